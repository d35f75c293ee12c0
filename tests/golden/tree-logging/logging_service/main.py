"""The Logging Service: `uvicorn --factory logging_service.main:create_app`."""

from pathlib import Path

from fastapi import FastAPI

from .clients import Clients
from .config import Settings
from .runtime.app import VersionMount, build_app
from .v1.routes import router as v1_router

VERSIONS = [
    VersionMount("v1", v1_router, deprecated=False, successor=None),
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return build_app(
        settings or Settings(),
        service="logging",
        title="Logging Service",
        description="Receives the gateway's http-log entries and makes them searchable (guide, Part C). The body of POST /logs is what Kong's http-log plugin sends with queue_size 1: one kong.log.serialize() object (request, response, latencies, route, client_ip, started_at, ...) plus the custom fields our gateway config adds (service name, level, message, correlationId). Credentials are never stored: Authorization, Proxy-Authorization, Cookie and API-key headers (and an apikey query parameter) are removed before the entry is written. Entries older than the service's LOG_RETENTION_DAYS setting are pruned.",
        version="1.0.0",
        versions=VERSIONS,
        migrations=Path(__file__).parent / "migrations",
        clients=Clients,
    )
