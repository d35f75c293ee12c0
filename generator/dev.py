"""`fountain dev`: every generated service in one local process, each under its gateway prefix."""

from __future__ import annotations

import importlib
import os
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from html import escape
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from .model import Service


def prefix(service: Service) -> str:
    """The path prefix a service has locally and behind the gateway: /<slug>."""
    return f"/{service.slug}"


def dev_api_key(state_dir: Path) -> str:
    """The local API key: FOUNTAIN_DEV_API_KEY, else one generated once into a 0600 file."""
    if os.environ.get("FOUNTAIN_DEV_API_KEY"):
        return os.environ["FOUNTAIN_DEV_API_KEY"]
    path = state_dir / "api-key"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def dependency_urls(service: Service, services: list[Service], base_url: str) -> dict[str, str]:
    """Settings naming where each service this one calls answers: its prefix on this same server.

    A URL set in the environment (CENTRAL_SEQUENCE_URL=...) wins, to call another instance or a dead port.
    """
    by_slug = {s.slug: s for s in services}
    return {
        f"{by_slug[d].package}_url": base_url.rstrip("/") + prefix(by_slug[d])
        for d in service.depends_on
        if f"{by_slug[d].package}_url".upper() not in {name.upper() for name in os.environ}
    }


def database_url(template: str | None, service: Service, state_dir: Path) -> str:
    """The service's database: the template with {service} filled in, else a SQLite file in state_dir."""
    if template is None:
        return f"sqlite:///{(state_dir / service.package).resolve()}.db"
    return template.replace("{service}", service.package)


def build_dev_app(
    services: list[Service],
    trees: Path,
    state_dir: Path,
    api_key: str,
    base_url: str | None = None,
    database: str | None = None,
) -> Starlette:
    """A root app mounting each service's app under its prefix, with an index page at /.

    base_url is where this app is served: the services call each other there (else compose's defaults).
    database is a URL template with {service} (else one SQLite file a service in state_dir).
    """
    from pydantic import SecretStr

    state_dir.mkdir(parents=True, exist_ok=True)
    apps = []
    for service in services:
        sys.path.insert(0, str(trees / service.slug))
        main = importlib.import_module(f"{service.package}.main")
        config = importlib.import_module(f"{service.package}.config")
        settings = config.Settings(
            database_url=database_url(database, service, state_dir),
            api_keys=SecretStr(api_key),
            # Services call each other with the dev key, so a service whose spec asks no key of its own callers
            # (the v4 Story Factory) can still call ones that do.
            service_api_key=SecretStr(api_key),
            **(dependency_urls(service, services, base_url) if base_url else {}),
        )
        apps.append((service, main.create_app(settings)))

    async def index(_: Request) -> HTMLResponse:
        rows = "".join(
            f'<li><a href="{prefix(s)}/docs">{escape(s.title)}</a> <code>{prefix(s)}</code> '
            f"({', '.join(v.label + (' deprecated' if v.deprecated else '') for v in s.versions)})</li>"
            for s, _ in apps
        )
        return HTMLResponse(f"<!doctype html><title>FountainAI</title><h1>FountainAI services</h1><ul>{rows}</ul>")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for _, app in apps:
                await stack.enter_async_context(app.router.lifespan_context(app))
            yield

    routes = [Route("/", index), *(Mount(prefix(s), app=app) for s, app in apps)]
    return Starlette(routes=routes, lifespan=lifespan)
