# Vendored from the FountainAI deploy project (generator/runtime/app.py), runtime fb83645acfd8.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Assemble a service's FastAPI app: versioned routers, error handlers, health, deprecation headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .db import Database
from .errors import install_error_handlers


@dataclass(frozen=True)
class VersionMount:
    label: str
    router: APIRouter
    deprecated: bool = False
    successor: str | None = None


class DeprecationHeaders:
    """Marks every response under a deprecated version prefix (RFC 9745 and RFC 8288 headers)."""

    def __init__(self, app: ASGIApp, versions: list[VersionMount]):
        self.app = app
        self.deprecated = {f"/{v.label}": v.successor for v in versions if v.deprecated}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        successor = self._successor(scope) if scope["type"] == "http" else None
        if successor is None:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"deprecation", b"true"))
                headers.append((b"link", f'<{successor}>; rel="successor-version"'.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _successor(self, scope: Scope) -> str | None:
        path = scope["path"]
        for prefix, successor in self.deprecated.items():
            if path == prefix or path.startswith(prefix + "/"):
                return scope.get("root_path", "") + f"/{successor}"
        return None


def build_app(
    settings: Any,
    *,
    service: str,
    title: str,
    description: str,
    version: str,
    versions: list[VersionMount],
    migrations: Path,
) -> FastAPI:
    """The service's ASGI app; migrations run at start-up unless MIGRATE_ON_START is false."""
    db = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            db.migrate(migrations)
        yield
        db.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db
    install_error_handlers(app)
    for mount in versions:
        app.include_router(mount.router, prefix=f"/{mount.label}", deprecated=mount.deprecated or None)

    @app.get("/health", tags=["health"], include_in_schema=False)
    def health() -> dict[str, str]:
        db.ping()
        return {"status": "ok", "service": service}

    if any(v.deprecated for v in versions):
        app.add_middleware(DeprecationHeaders, versions=versions)
    return app
