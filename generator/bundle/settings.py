"""Settings of the generated bundle, read from FOUNTAIN_* environment variables."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..errors import SpecError


class BundleSettings(BaseSettings):
    """Image names, gateway limits and the host's memory budget; every field has a sane default."""

    model_config = SettingsConfigDict(env_prefix="FOUNTAIN_", extra="ignore", frozen=True)

    image_prefix: str = Field("fountainai", description="images are <image_prefix>/<service>:<tree hash>")
    postgres_image: str = "postgres:16.4-alpine"
    kong_image: str = "kong:3.9.1"
    acme_store_image: str = "redis:7.4.2-alpine"
    compose_project: str = "fountainai"
    # The guide's figures: 1000 requests a minute and 5000 an hour.
    rate_limit_minute: int = Field(1000, gt=0)
    rate_limit_hour: int = Field(5000, gt=0)
    # Requests without a valid key, per client IP, before they are refused.
    anonymous_rate_limit_minute: int = Field(60, gt=0)
    anonymous_rate_limit_hour: int = Field(600, gt=0)
    # Route on the specs' server host names as well as on the path prefix.
    route_by_host: bool = False
    consumers: tuple[str, ...] = ("ops",)
    logging_service: str = "logging"
    correlation_header: str = "X-Correlation-ID"
    # The guide's $10 Lightsail plan has 2 GB; the OS, Docker and page cache keep the reserve.
    host_memory_mb: int = Field(2048, gt=0)
    host_reserve_mb: int = Field(512, ge=0)
    postgres_memory_mb: int = Field(384, gt=0)
    kong_memory_mb: int = Field(384, gt=0)
    acme_store_memory_mb: int = Field(32, gt=0)
    service_memory_max_mb: int = Field(256, gt=0)
    service_memory_min_mb: int = Field(96, gt=0)


def load_settings() -> BundleSettings:
    """The settings from the environment; a bad value is one clear error naming its variable."""
    try:
        return BundleSettings()
    except ValidationError as error:
        first = error.errors()[0]
        name = "FOUNTAIN_" + str(first["loc"][0]).upper() if first["loc"] else "FOUNTAIN_*"
        raise SpecError(name, f"{first['msg']} (got {first.get('input')!r})") from None
