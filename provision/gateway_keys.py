"""Kong's config as the deploy hands it to the gateway: the committed one with the keys filled in."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from generator.contract import logging_key_header


def runtime_config(document: dict[str, Any], consumer_keys: dict[str, str], logging_key: str | None) -> dict[str, Any]:
    """The committed config with the secrets filled in; only the deploy builds it, only on the host."""
    filled = copy.deepcopy(document)
    for consumer in filled.get("consumers", []):
        key = consumer_keys.get(consumer["username"])
        if key:
            consumer["keyauth_credentials"] = [{"key": key}]
    header = logging_key_header(document)
    if logging_key and header:
        for plugin in filled.get("plugins", []):
            if plugin["name"] == "http-log":
                plugin["config"]["headers"] = {header: logging_key}
    if logging_key:
        for service in filled.get("services", []):
            for route in service.get("routes", []):
                _send_gateway_key(route, logging_key)
    return filled


def _send_gateway_key(route: dict[str, Any], key: str) -> None:
    """Behind key-auth (hide_credentials) the upstream gets the gateway's own key, never the client's.

    The services check a key too; request-transformer (priority 801, after key-auth's 1250) sets it: `replace`
    where the header is still there, `add` where key-auth removed it (kong/plugins/request-transformer/access.lua).
    """
    auth = next((p for p in route.get("plugins", []) if p["name"] == "key-auth"), None)
    if auth is None:
        return
    headers = [f"{name}:{key}" for name in auth["config"]["key_names"]]
    route["plugins"].append(
        {"name": "request-transformer", "config": {"replace": {"headers": headers}, "add": {"headers": headers}}}
    )


@dataclass(frozen=True)
class AuthProbe:
    """A request the health check sends through the gateway to a key-auth route, with and without a key."""

    method: str
    path: str
    header: str
    key: str
    https: bool = False  # the route takes HTTPS only (a stack with a domain)


def auth_probe(runtime: dict[str, Any]) -> AuthProbe | None:
    """A key-auth route (GET preferred) turned into a concrete path, and a consumer's key; None without either."""
    keys = [c["key"] for consumer in runtime.get("consumers", []) for c in consumer.get("keyauth_credentials", [])]
    routes = [
        (route["methods"][0] != "GET", route["name"], route, plugin)
        for service in runtime.get("services", [])
        for route in service.get("routes", [])
        for plugin in route.get("plugins", [])
        if plugin["name"] == "key-auth" and route.get("methods")
    ]
    if not keys or not routes:
        return None
    _, _, route, plugin = min(routes, key=lambda r: r[:2])
    path = route["paths"][0].removeprefix("~").removesuffix("$").replace("[^/]+", "1").replace("\\", "")
    https = "http" not in route.get("protocols", ["http", "https"])
    return AuthProbe(route["methods"][0], path, plugin["config"]["key_names"][0], keys[0], https)
