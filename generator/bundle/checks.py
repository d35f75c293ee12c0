"""Our own checks of a bundle: what decK 1.4 and the Compose schema do not look at."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

import yaml

from ..errors import pointer
from .compose import GATEWAY
from .files import COMPOSE_FILE, KONG_FILE
from .settings import BundleSettings

# Kong 3.x's bundled plugins (kong/constants.lua), without the Enterprise ones.
KNOWN_PLUGINS = frozenset(
    """acl acme ai-prompt-decorator ai-prompt-guard ai-prompt-template ai-proxy ai-request-transformer
    ai-response-transformer aws-lambda azure-functions basic-auth bot-detection correlation-id cors datadog
    file-log grpc-gateway grpc-web hmac-auth http-log ip-restriction jwt key-auth ldap-auth loggly oauth2
    opentelemetry post-function pre-function prometheus proxy-cache rate-limiting redirect request-size-limiting
    request-termination request-transformer response-ratelimiting response-transformer session
    standard-webhooks statsd syslog tcp-log udp-log zipkin""".split()
)

# Config fields of the plugins we generate, from each plugin's schema.lua in Kong 3.x.
PLUGIN_FIELDS = {
    "key-auth": {
        "key_names",
        "hide_credentials",
        "anonymous",
        "key_in_header",
        "key_in_query",
        "key_in_body",
        "run_on_preflight",
        "realm",
    },
    "rate-limiting": {
        "second",
        "minute",
        "hour",
        "day",
        "month",
        "year",
        "limit_by",
        "header_name",
        "path",
        "policy",
        "fault_tolerant",
        "redis",
        "hide_client_headers",
        "error_code",
        "error_message",
        "sync_rate",
    },
    "http-log": {
        "http_endpoint",
        "method",
        "content_type",
        "timeout",
        "keepalive",
        "retry_count",
        "queue_size",
        "flush_timeout",
        "headers",
        "queue",
        "custom_fields_by_lua",
    },
    "correlation-id": {"header_name", "generator", "echo_downstream"},
    "request-termination": {"status_code", "message", "body", "content_type", "trigger", "echo"},
    "request-transformer": {"http_method", "remove", "rename", "replace", "add", "append"},
    "response-transformer": {"remove", "rename", "replace", "add", "append"},
    "acme": {
        "account_email",
        "account_key",
        "api_uri",
        "cert_type",
        "rsa_key_size",
        "renew_threshold_days",
        "domains",
        "allow_any_domain",
        "fail_backoff_minutes",
        "storage",
        "storage_config",
        "tos_accepted",
        "eab_kid",
        "eab_hmac_key",
        "enable_ipv4_common_name",
        "preferred_chain",
    },
}
_CHOICES = {
    ("correlation-id", "generator"): {"uuid", "uuid#counter", "tracker"},
    ("rate-limiting", "policy"): {"local", "cluster", "redis"},
    ("rate-limiting", "limit_by"): {"consumer", "consumer-group", "credential", "ip", "service", "header", "path"},
    ("http-log", "method"): {"POST", "PUT", "PATCH"},
}
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
_SECRET_NAME = re.compile(r"(pass(word)?|secret|token|api_?keys?|credential|private_?key)$", re.IGNORECASE)


def _kong_regex(path: str) -> re.Pattern[str]:
    # Kong's PCRE named groups (?<name>...) are (?P<name>...) in Python; Kong anchors at the start.
    return re.compile("^" + re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", path[1:]))


def _plugin_problems(plugin: dict[str, Any], at: str) -> Iterable[str]:
    name = plugin.get("name")
    if name not in KNOWN_PLUGINS:
        yield f"{at}/name: unknown plugin {name!r}"
        return
    config = plugin.get("config") or {}
    fields = PLUGIN_FIELDS.get(name)
    if fields is not None:
        for key in sorted(set(config) - fields):
            yield f"{at}/config/{key}: {name} has no config field {key!r}"
    for (plugin_name, key), allowed in _CHOICES.items():
        if plugin_name == name and key in config and config[key] not in allowed:
            yield f"{at}/config/{key}: {config[key]!r} is not one of {sorted(allowed)}"
    if name == "rate-limiting" and not any(
        isinstance(config.get(k), int) and config[k] > 0 for k in ("second", "minute", "hour", "day", "month", "year")
    ):
        yield f"{at}/config: rate-limiting needs at least one positive limit"
    if name == "http-log" and urlparse(str(config.get("http_endpoint", ""))).scheme not in {"http", "https"}:
        yield f"{at}/config/http_endpoint: not an http(s) URL"
    if name == "http-log" and config.get("headers"):
        yield f"{at}/config/headers: header values (keys) belong to the deploy, not the committed file"
    if name == "key-auth":
        # The client's key must reach neither the upstream nor a query string (kong/plugins/key-auth/schema.lua
        # defaults: hide_credentials false, key_in_query true).
        if config.get("hide_credentials") is not True:
            yield f"{at}/config/hide_credentials: must be true, or the client's key reaches the upstream"
        if config.get("key_in_query", True) or config.get("key_in_body", False):
            yield f"{at}/config/key_in_query: keys only in a header (a query string is logged)"


def _log_drops_credentials(doc: dict[str, Any]) -> Iterable[str]:
    """http-log sends request.headers; every header key-auth reads must be removed from the entry."""
    headers = {
        name.lower()
        for service in doc.get("services") or []
        for route in service.get("routes") or []
        for plugin in route.get("plugins") or []
        if plugin.get("name") == "key-auth"
        for name in (plugin.get("config") or {}).get("key_names") or []
    }
    for i, plugin in enumerate(doc.get("plugins") or []):
        if plugin.get("name") != "http-log":
            continue
        fields = (plugin.get("config") or {}).get("custom_fields_by_lua") or {}
        for header in sorted(headers):
            if fields.get(f"request.headers.{header}") != "return nil":
                yield f"{pointer('plugins', i, 'config', 'custom_fields_by_lua')}: does not drop request.headers.{header}"


def _route_problems(route: dict[str, Any], at: str) -> Iterable[str]:
    for i, path in enumerate(route.get("paths") or []):
        where = f"{at}/paths/{i}"
        if not isinstance(path, str) or not (path.startswith("/") or path.startswith("~/")):
            yield f"{where}: route path {path!r} must start with '/' (or '~/' for a regex)"
        elif path.startswith("~"):
            try:
                _kong_regex(path)
            except re.error as error:
                yield f"{where}: invalid regex {path!r}: {error}"
    for i, method in enumerate(route.get("methods") or []):
        if method not in _METHODS:
            yield f"{at}/methods/{i}: {method!r} is not an HTTP method"
    if not route.get("paths") and not route.get("hosts"):
        yield f"{at}: a route needs paths or hosts"
    for i, plugin in enumerate(route.get("plugins") or []):
        yield from _plugin_problems(plugin, f"{at}/plugins/{i}")


def kong_problems(doc: dict[str, Any], compose: dict[str, Any] | None = None) -> list[str]:
    """Everything wrong with a declarative Kong config; `compose` lets upstreams be checked too."""
    problems: list[str] = []
    if doc.get("_format_version") != "3.0":
        problems.append(f"/_format_version: must be '3.0' (Kong 3.x), not {doc.get('_format_version')!r}")
    containers = (compose or {}).get("services", {})
    names: set[str] = set()
    for s, service in enumerate(doc.get("services") or []):
        at = pointer("services", s)
        url = urlparse(service.get("url") or f"{service.get('protocol', 'http')}://{service.get('host', '')}")
        if compose is not None and url.hostname not in containers:
            problems.append(f"{at}/url: upstream host {url.hostname!r} is not a container in the compose file")
        elif (
            compose is not None
            and url.port
            and str(url.port) not in map(str, containers[url.hostname].get("expose", []))
        ):
            problems.append(f"{at}/url: container {url.hostname!r} does not expose port {url.port}")
        for r, route in enumerate(service.get("routes") or []):
            name = route.get("name")
            if name in names:
                problems.append(f"{at}/routes/{r}/name: route name {name!r} is used twice")
            names.add(name)
            problems.extend(_route_problems(route, f"{at}/routes/{r}"))
        for i, plugin in enumerate(service.get("plugins") or []):
            problems.extend(_plugin_problems(plugin, f"{at}/plugins/{i}"))
    for i, plugin in enumerate(doc.get("plugins") or []):
        problems.extend(_plugin_problems(plugin, pointer("plugins", i)))
    problems.extend(_log_drops_credentials(doc))
    for i, consumer in enumerate(doc.get("consumers") or []):
        for j, plugin in enumerate(consumer.get("plugins") or []):
            problems.extend(_plugin_problems(plugin, pointer("consumers", i, "plugins", j)))
        for field in sorted(k for k in consumer if k.endswith("_credentials")):
            problems.append(
                f"{pointer('consumers', i, field)}: credentials belong to the deploy, not the committed file"
            )
    return problems


def _host_port(mapping: Any) -> str | None:
    if isinstance(mapping, dict):
        return str(mapping.get("published")) if mapping.get("published") else None
    parts = str(mapping).split(":")
    # HOST:CONTAINER, IP:HOST:CONTAINER; a bare CONTAINER port publishes nothing fixed.
    return parts[-2] if len(parts) >= 2 else None


def _memory_mb(value: Any) -> int:
    match = re.fullmatch(r"(\d+)([bkmg]?)b?", str(value).lower())
    if not match:
        return 0
    number, unit = int(match[1]), match[2]
    return {"b": number // 2**20, "k": number // 1024, "m": number, "g": number * 1024, "": number // 2**20}[unit]


def compose_problems(doc: dict[str, Any], settings: BundleSettings, gateway: str = GATEWAY) -> list[str]:
    """Port, dependency, health, memory and secret rules for the Compose file."""
    problems: list[str] = []
    containers = doc.get("services") or {}
    claimed: dict[str, str] = {}
    total = 0
    for name, container in containers.items():
        at = pointer("services", name)
        for i, mapping in enumerate(container.get("ports") or []):
            port = _host_port(mapping)
            if name != gateway:
                problems.append(f"{at}/ports/{i}: only the gateway publishes ports; {name} publishes {mapping!r}")
            if port and port in claimed:
                problems.append(f"{at}/ports/{i}: host port {port} is already claimed by {claimed[port]}")
            elif port:
                claimed[port] = name
        for dep in container.get("depends_on") or {}:
            if dep not in containers:
                problems.append(f"{at}/depends_on/{dep}: no container named {dep!r}")
        for key in ("image", "healthcheck", "restart", "mem_limit"):
            if key not in container:
                problems.append(f"{at}: missing {key}")
        total += _memory_mb(container.get("mem_limit", 0))
        environment = container.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
        for key, value in environment.items():
            if _SECRET_NAME.search(key) and value not in (None, ""):
                problems.append(f"{at}/environment/{key}: a secret value in the compose file; use the env file")
        admin = str(environment.get("KONG_ADMIN_LISTEN", "127.0.0.1:8001"))
        if any(not part.strip().startswith("127.0.0.1:") for part in admin.split(",")):
            problems.append(f"{at}/environment/KONG_ADMIN_LISTEN: the admin API must listen on 127.0.0.1 only")
        for i, volume in enumerate(container.get("volumes") or []):
            source = str(volume).split(":", 1)[0]
            if not source.startswith((".", "/")) and source not in (doc.get("volumes") or {}):
                problems.append(f"{at}/volumes/{i}: named volume {source!r} is not declared")
    budget = settings.host_memory_mb - settings.host_reserve_mb
    if total > budget:
        problems.append(f"/services: memory limits add up to {total} MB, over the host's {budget} MB")
    return problems


def bundle_problems(files: dict[str, str], settings: BundleSettings) -> list[str]:
    """Our rules over the bundle's files as written, each problem prefixed with its file."""
    compose, kong = yaml.safe_load(files[COMPOSE_FILE]), yaml.safe_load(files[KONG_FILE])
    problems = [f"{COMPOSE_FILE} at {p}" for p in compose_problems(compose, settings)]
    return problems + [f"{KONG_FILE} at {p}" for p in kong_problems(kong, compose)]


def secret_leaks(files: dict[str, str], secrets: Iterable[str]) -> list[str]:
    """Files that contain any of the given secret values (the values themselves are never printed)."""
    values = [s for s in secrets if len(s) >= 8]
    return [
        f"{path}: contains a secret value" for path, text in sorted(files.items()) if any(v in text for v in values)
    ]
