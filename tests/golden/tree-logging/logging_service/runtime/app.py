# Vendored from the FountainAI deploy project (generator/runtime/app.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Assemble a service's FastAPI app: versioned routers, error handlers, health, deprecation headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .client import call_context, http_client
from .db import Database
from .errors import ErrorMapping, install_error_handlers


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
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root + "/"):
            path = path[len(root) :]  # Starlette keeps the root path in "path" and routes on the rest
        for prefix, successor in self.deprecated.items():
            if path == prefix or path.startswith(prefix + "/"):
                return scope.get("root_path", "") + f"/{successor}"
        return None


class GatewayPrefix:
    """Serves /<service>/v1/x like /v1/x: the gateway forwards the whole path (its routes keep strip_path off)."""

    def __init__(self, app: ASGIApp, prefix: str):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and not scope.get("root_path") and path.startswith(self.prefix + "/"):
            # Starlette routes on the path minus the root path, and links (successor, OpenAPI servers) keep it.
            scope = {**scope, "root_path": self.prefix}
        await self.app(scope, receive, send)


def build_app(
    settings: Any,
    *,
    service: str,
    title: str,
    description: str,
    version: str,
    versions: list[VersionMount],
    migrations: Path,
    clients: Any = None,
) -> FastAPI:
    """The service's ASGI app; migrations run at start-up unless MIGRATE_ON_START is false.

    `clients(http, settings, call)` builds ctx.clients for a request (clients/__init__.py's Clients).
    """
    db = Database(settings.database_url, settings.database_pool_size)
    http = http_client(settings) if clients is not None else None
    endpoints = [r.endpoint for v in versions for r in v.router.routes if isinstance(r, APIRoute)]
    uses_async = any(getattr(endpoint, "runs_async", bool)() for endpoint in endpoints)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            db.migrate(migrations)
        if uses_async:
            # At start-up, not on the first request: a DATABASE_URL the async pool cannot serve stops the service.
            # The synchronous ping first: a database it cannot reach fails at once with the driver's reason,
            # where the async pool would wait for its connection to time out.
            await anyio.to_thread.run_sync(db.ping)
            await db.ping_async()
        yield
        await db.dispose()
        if http is not None:
            http.close()

    # Swagger UI's assets come from a pinned package, so /docs works without internet.
    app = FastAPIOffline(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db
    if clients is not None:
        key_headers = getattr(clients, "key_headers", ())
        app.state.clients = lambda request: clients(
            http, settings, call_context(request.headers, settings, key_headers)
        )
    install_error_handlers(app)
    for mount in versions:
        app.include_router(mount.router, prefix=f"/{mount.label}", deprecated=mount.deprecated or None)

    @app.get("/health", tags=["health"], include_in_schema=False)
    async def health() -> dict[str, str]:
        await anyio.to_thread.run_sync(db.ping)
        if uses_async:
            await db.ping_async()
        return {"status": "ok", "service": service}

    _serve_what_the_service_does(app, versions)
    if any(v.deprecated for v in versions):
        app.add_middleware(DeprecationHeaders, versions=versions)
    app.add_middleware(GatewayPrefix, prefix=f"/{service}")
    return app


def _serve_what_the_service_does(app: FastAPI, versions: list[VersionMount]) -> None:
    """The served /openapi.json states the service's real error answers, not FastAPI's 422 for everything."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _true_errors(generate(), versions)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _true_errors(schema: dict[str, Any], versions: list[VersionMount]) -> dict[str, Any]:
    """Drop FastAPI's added 422 where the operation answers otherwise; where it does answer 422, use its shape."""
    routes = [(f"/{v.label}{r.path_format}", r) for v in versions for r in v.router.routes if isinstance(r, APIRoute)]
    for path, route in routes:
        rules: ErrorMapping | None = getattr(route.endpoint, "error_mapping", None)
        for method in route.methods:
            responses = schema["paths"].get(path, {}).get(method.lower(), {}).get("responses", {})
            if "422" not in responses or any(str(k) == "422" for k in route.responses):
                continue
            if rules is not None and 422 in (rules.validation_status, rules.path_status):
                # The spec documents no 400, so the service answers 422: in the spec's error shape.
                responses["422"] = {
                    "description": "Validation Error",
                    "content": {"application/json": {"schema": _error_schema(rules)}},
                }
            else:
                del responses["422"]
    text = repr(schema["paths"])
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}" not in text and f"#/components/schemas/{name}" not in repr(schemas):
            schemas.pop(name, None)
    if "components" in schema and not schemas:
        schema["components"].pop("schemas", None)
    return schema


def _error_schema(rules: ErrorMapping) -> dict[str, Any]:
    """The JSON schema of the error body an ErrorMapping produces."""
    props: dict[str, Any] = {}
    if rules.code:
        props[rules.code] = {"type": "integer" if rules.code_is_int else "string"}
    if rules.message:
        props[rules.message] = {"type": "string"}
    if rules.details:
        props[rules.details] = {"type": "string"}
    return {"type": "object", "properties": props}
