"""Settings of the Logging Service, read from the environment (and a .env file)."""

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """DATABASE_URL defaults to a local SQLite file; production sets a PostgreSQL URL."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./logging_service.db"
    # Comma-separated keys accepted in the API-key header; empty means every secured call is refused.
    api_keys: SecretStr = SecretStr("")
    migrate_on_start: bool = True

    def api_key_values(self) -> list[str]:
        return [key.strip() for key in self.api_keys.get_secret_value().split(",") if key.strip()]
