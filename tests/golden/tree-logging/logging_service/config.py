"""Settings of the Logging Service, read from the environment (and a .env file)."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """DATABASE_URL defaults to a local SQLite file; production sets a PostgreSQL URL."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./logging_service.db"
    # Comma-separated keys accepted in the API-key header; empty means every secured call is refused.
    api_keys: SecretStr = SecretStr("")
    migrate_on_start: bool = True
    # Connections to a PostgreSQL database, all kept open: a pool that opened and closed connections past
    # its size under load made PostgreSQL start a process for each (bench/sequence.py). Requests past it
    # wait for a connection. Six services at 15 stay inside PostgreSQL's default max_connections of 100 as
    # long as each uses one pool: `async def` domain functions get a second pool of this size (opened at
    # start-up only when there are any), so a service mixing them with plain ones or CRUD routes can hold
    # twice as many. Central Sequence's routes are all async: 15, plus one connection for /health.
    database_pool_size: int = Field(15, gt=0)
    # Calls to other services: seconds to connect and to wait for each read or write, retries of a call that
    # may be repeated (runtime/client.py), and how many run at once for one request.
    client_timeout_seconds: float = Field(5.0, gt=0)
    client_connect_timeout_seconds: float = Field(1.0, gt=0)
    client_retries: int = Field(2, ge=0, le=5)
    client_max_connections: int = Field(32, gt=0)
    client_concurrency: int = Field(8, gt=0)
    # The header carrying a request's correlation id (the gateway's correlation-id plugin sets it).
    correlation_header: str = "X-Correlation-ID"
    # The key presented to other services; empty: the caller's own key is passed on.
    service_api_key: SecretStr = SecretStr("")

    def api_key_values(self) -> list[str]:
        return [key.strip() for key in self.api_keys.get_secret_value().split(",") if key.strip()]
