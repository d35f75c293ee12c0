"""Settings of `fountain implement`: model, endpoint, limits and prices from the environment."""

from __future__ import annotations

import os

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it."""


class Settings(BaseSettings):
    """FOUNTAIN_IMPLEMENT_* variables, and the key from OPENAI_API_KEY only (never from a file in the repo)."""

    # No env_file: a key must never be read from a file that could be committed.
    model_config = SettingsConfigDict(env_prefix="FOUNTAIN_IMPLEMENT_", extra="forbid")

    api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    model: str = "gpt-4.1"
    base_url: str | None = Field(default=None, description="any OpenAI-compatible endpoint; None: the SDK's default")
    timeout: float = Field(default=120.0, gt=0, description="seconds for one API call before it is abandoned")
    max_retries: int = Field(default=2, ge=0, description="SDK retries of 408/409/429/5xx and timeouts")
    concurrency: int = Field(default=4, ge=1, description="sessions talking to the API at once")
    rounds: int = Field(default=3, ge=1, description="answers per operation before it stays a stub")
    max_output_tokens: int = Field(default=4096, ge=256)
    price_input_per_mtok: float = Field(default=2.0, ge=0, description="USD per million prompt tokens")
    price_output_per_mtok: float = Field(default=8.0, ge=0, description="USD per million completion tokens")
    schemathesis_examples: int = Field(default=25, ge=1, description="Schemathesis examples for the operation")
    check_timeout: float = Field(default=600.0, gt=0, description="seconds for one candidate's test run")


def load_settings() -> Settings:
    """Settings from the environment; a bad value or an unknown FOUNTAIN_IMPLEMENT_ name is one message naming it."""
    # pydantic-settings ignores environment variables it has no field for, so a misspelt one would pass silently.
    known = {f"FOUNTAIN_IMPLEMENT_{name.upper()}" for name in Settings.model_fields if name != "api_key"}
    unknown = sorted(k for k in os.environ if k.upper().startswith("FOUNTAIN_IMPLEMENT_") and k.upper() not in known)
    if unknown:
        raise SettingsError(f"{unknown[0]}: not a setting of fountain implement (known: {', '.join(sorted(known))})")
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = "OPENAI_API_KEY" if field == "api_key" else f"FOUNTAIN_IMPLEMENT_{field.upper()}"
        raise SettingsError(f"{name}: {first['msg']}") from None


def missing_key_message() -> str:
    """The one line the GPT mode prints when it would need the key."""
    return (
        "OPENAI_API_KEY is not set: `fountain implement` needs it to call the model "
        "(FOUNTAIN_IMPLEMENT_BASE_URL for another OpenAI-compatible endpoint); "
        "`--dry-run` works without it, and `fountain generate` never needs it"
    )
