"""Kong's declarative config: a Kong service per API version, a route per operation, the gateway plugins."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from ..model import ApiVersion, Operation, Service
from .compose import APP_PORT
from .settings import BundleSettings

FORMAT_VERSION = "3.0"
TAG = "fountain-generated"
AUTH_HEADER_TAG = "fountain-auth-header:"
# The consumer key-auth falls back to when a request has no valid key: its own plugins limit it per IP and
# then refuse it (kong/plugins/key-auth/handler.lua: `anonymous` is the "logical OR" flow).
ANONYMOUS = "anonymous"

# Lua run by http-log (double quotes only: the deploy passes this config inside a single-quoted env value) to shape each entry into the logging service's LogEntryRequest.
_LOG_FIELDS = {
    "service": 'local s = kong.router.get_service() return s and s.name or "gateway"',
    "level": 'local c = kong.response.get_status() return c >= 500 and "error" or (c >= 400 and "warning" or "info")',
    "message": 'return kong.request.get_method() .. " " .. kong.request.get_path() .. " " .. kong.response.get_status()',
}


def kong_service_name(service: Service, version: ApiVersion) -> str:
    return f"{service.slug}-{version.label}"


def route_name(service: Service, version: ApiVersion, op: Operation) -> str:
    return f"{kong_service_name(service, version)}-{op.operation_id}"


def route_path(service: Service, version: ApiVersion, op: Operation) -> str:
    """An anchored regex path: literal segments as they are, each {param} one segment."""
    parts = []
    for segment in op.path.strip("/").split("/"):
        if re.fullmatch(r"\{[^}]+\}", segment):
            parts.append("[^/]+")
        else:
            # Only characters that mean something in a regex are escaped, so the path stays readable.
            parts.append(re.sub(r"([.+*?^$()\[\]{}|\\])", r"\\\1", segment))
    return "~/" + "/".join([service.slug, version.label, *parts]) + "$"


def route_priority(op: Operation) -> int:
    """More literal segments win, so /items/search is chosen over /items/{id}."""
    return sum(1 for s in op.path.strip("/").split("/") if s and not s.startswith("{"))


def server_hosts(version: ApiVersion) -> list[str]:
    hosts = {urlparse(server.get("url", "")).hostname for server in version.spec.get("servers", [])}
    return sorted(h for h in hosts if h)


def _route(service: Service, version: ApiVersion, op: Operation, settings: BundleSettings) -> dict[str, Any]:
    route: dict[str, Any] = {
        "name": route_name(service, version, op),
        "methods": [op.method.upper()],
        "paths": [route_path(service, version, op)],
        "strip_path": False,
        "preserve_host": False,
        "regex_priority": route_priority(op),
        "tags": [TAG],
    }
    hosts = server_hosts(version) if settings.route_by_host else []
    if hosts:
        route["hosts"] = hosts
    if op.api_key_header:
        # The client's key never reaches the upstream (the deploy has Kong send the gateway's own key instead,
        # see provision/gateway_keys.py) nor a query string or body, where it would be logged.
        route["plugins"] = [
            {
                "name": "key-auth",
                "config": {
                    "key_names": [op.api_key_header],
                    "hide_credentials": True,
                    "key_in_header": True,
                    "key_in_query": False,
                    "key_in_body": False,
                    "anonymous": ANONYMOUS,
                },
                "tags": [TAG],
            }
        ]
    return route


def credential_headers(services: list[Service]) -> list[str]:
    """Every header a key-auth route reads a key from, lower-cased as kong.request.get_headers() gives them."""
    return sorted(
        {op.api_key_header.lower() for s in services for v in s.versions for op in v.operations if op.api_key_header}
    )


def _anonymous_consumer(settings: BundleSettings) -> dict[str, Any]:
    """Requests without a valid key: limited per client IP, then refused with key-auth's own 401.

    key-auth (priority 1250) runs before rate-limiting (910), so a bad key would be refused before any limit
    counted it; as the anonymous consumer it is counted first. A plugin on a consumer takes precedence over
    the global one (Kong's plugin precedence), and request-termination (priority 2) runs last.
    """
    return {
        "username": ANONYMOUS,
        "tags": [TAG],
        "plugins": [
            {
                "name": "rate-limiting",
                "config": {
                    "minute": settings.anonymous_rate_limit_minute,
                    "hour": settings.anonymous_rate_limit_hour,
                    "policy": "local",
                    "limit_by": "ip",
                },
                "tags": [TAG],
            },
            {
                "name": "request-termination",
                "config": {"status_code": 401, "message": "No API key found in request"},
                "tags": [TAG],
            },
        ],
    }


def _global_plugins(services: list[Service], settings: BundleSettings) -> list[dict[str, Any]]:
    plugins: list[dict[str, Any]] = [
        {
            "name": "correlation-id",
            "config": {"header_name": settings.correlation_header, "generator": "uuid", "echo_downstream": True},
        },
        {
            # Per consumer for keyed requests; Kong's rate-limiting counts by client IP where there is no
            # consumer (kong/plugins/rate-limiting/handler.lua, get_identifier), i.e. on public routes.
            "name": "rate-limiting",
            "config": {
                "minute": settings.rate_limit_minute,
                "hour": settings.rate_limit_hour,
                "policy": "local",
                "limit_by": "consumer",
            },
        },
    ]
    for plugin in plugins:
        plugin["tags"] = [TAG]
    logging = next((s for s in services if s.slug == settings.logging_service), None)
    if logging is not None:
        op = _log_operation(logging)
        path = f"/{logging.slug}/{logging.latest.label}{op.path if op else '/logs'}"
        # The deploy learns the key's header name from this tag through `logging_key_header` and adds the key.
        auth = [f"{AUTH_HEADER_TAG}{op.api_key_header}"] if op and op.api_key_header else []
        plugins.append(
            {
                "name": "http-log",
                "config": {
                    "http_endpoint": f"http://{logging.slug}:{APP_PORT}{path}",
                    "method": "POST",
                    "content_type": "application/json",
                    "timeout": 10000,
                    "keepalive": 60000,
                    "custom_fields_by_lua": {
                        **_LOG_FIELDS,
                        "correlationId": f'return kong.request.get_header("{settings.correlation_header}")',
                        # Kong redacts only Authorization headers from the log entry (kong/pdk/log.lua); a
                        # nil set through a dotted key removes the field (set_serialize_value, edit_result).
                        **{f"request.headers.{h}": "return nil" for h in credential_headers(services)},
                    },
                },
                "tags": [TAG, *auth],
            }
        )
    return plugins


def _log_operation(logging: Service) -> Operation | None:
    """The logging service's POST operation that stores one entry."""
    return next((op for op in logging.latest.operations if op.method == "post"), None)


def kong_document(services: list[Service], settings: BundleSettings) -> dict[str, Any]:
    """The committed declarative config; consumers are listed without keys (the deploy adds them)."""
    kong_services = []
    for service in services:
        for version in service.versions:
            kong_services.append(
                {
                    "name": kong_service_name(service, version),
                    "url": f"http://{service.slug}:{APP_PORT}",
                    "connect_timeout": 5000,
                    "read_timeout": 30000,
                    "write_timeout": 30000,
                    "retries": 2,
                    "tags": [TAG],
                    "routes": [_route(service, version, op, settings) for op in version.operations],
                }
            )
    return {
        "_format_version": FORMAT_VERSION,
        "services": kong_services,
        "consumers": [{"username": name, "tags": [TAG]} for name in settings.consumers]
        + ([_anonymous_consumer(settings)] if credential_headers(services) else []),
        "plugins": _global_plugins(services, settings),
    }


def logging_key_header(document: dict[str, Any]) -> str | None:
    """The header the logging service reads its API key from, as recorded on the http-log plugin."""
    for plugin in document.get("plugins", []):
        if plugin.get("name") == "http-log":
            for tag in plugin.get("tags", []):
                if tag.startswith(AUTH_HEADER_TAG):
                    return tag.removeprefix(AUTH_HEADER_TAG)
    return None
