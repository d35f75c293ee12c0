"""The Logging Service: `uvicorn --factory logging_service.main:create_app`."""

from pathlib import Path

from fastapi import FastAPI

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
        description="Receives the gateway's http-log entries and makes them searchable (guide, Part C).",
        version="1.0.0",
        versions=VERSIONS,
        migrations=Path(__file__).parent / "migrations",
    )
