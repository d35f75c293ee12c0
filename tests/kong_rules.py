"""How Kong 3.9 (DB-less) would answer a request, for the parts of its behaviour our config relies on.

Kong cannot run here, so its rules are read from its source (Kong/kong) and followed:
* which config it loads: `kong/init.lua` `has_declarative_config`/`parse_declarative_config` — the file named by
  KONG_DECLARATIVE_CONFIG when set, else KONG_DECLARATIVE_CONFIG_STRING;
* routing: regex paths (`~` prefix) anchored at the start, higher `regex_priority` first, method must match;
* key-auth (`kong/plugins/key-auth/handler.lua`): the key from the first of `key_names` present (headers are
  case-insensitive); no key -> 401 "No API key found in request", unknown key -> 401 "Unauthorized"; with
  `anonymous` set, both become that consumer instead;
* a plugin on the consumer outranks the global one; request-termination answers with its `status_code`;
* a route whose `protocols` lack the request's scheme answers `https_redirect_status_code`;
* `hide_credentials` removes the key header before the upstream; request-transformer then `replace`s/`add`s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


def load_config(environment: dict[str, str], mounts: dict[str, str]) -> dict[str, Any]:
    """The declarative config Kong loads from its container's environment and bind mounts (target -> source)."""
    path = environment.get("KONG_DECLARATIVE_CONFIG")
    if path:
        return yaml.safe_load(Path(mounts[path]).read_text())
    text = environment.get("KONG_DECLARATIVE_CONFIG_STRING")
    return json.loads(text) if text else {"_format_version": "3.0"}


def conf_env_values(environment: dict[str, str]) -> dict[str, str]:
    """What Kong writes into `.kong_env`: every KONG_* setting (kong/cmd/utils/prefix_handler.lua)."""
    return {k.removeprefix("KONG_").lower(): v for k, v in environment.items() if k.startswith("KONG_")}


@dataclass
class Answer:
    status: int
    message: str = ""
    upstream_headers: dict[str, str] = field(default_factory=dict)
    consumer: str | None = None


def _route(config: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    candidates = []
    for service in config.get("services") or []:
        for route in service.get("routes") or []:
            if route.get("methods") and method not in route["methods"]:
                continue
            for pattern in route.get("paths") or []:
                regex = pattern[1:] if pattern.startswith("~") else re.escape(pattern)
                if re.match(regex, path):
                    candidates.append((-(route.get("regex_priority") or 0), route["name"], route))
    return min(candidates)[2] if candidates else None


def _consumer_plugins(config: dict[str, Any], username: str | None) -> list[dict[str, Any]]:
    for consumer in config.get("consumers") or []:
        if consumer["username"] == username:
            return consumer.get("plugins") or []
    return []


def answer(config: dict[str, Any], method: str, path: str, headers: dict[str, str], scheme: str = "http") -> Answer:
    """Kong's answer to one request (the upstream's is 200), with what the upstream would receive."""
    route = _route(config, method, path)
    if route is None:
        return Answer(404, "no Route matched with those values")
    if scheme not in route.get("protocols", ["http", "https"]):
        # Kong's router: a route without this protocol redirects (https_redirect_status_code, default 426).
        return Answer(route.get("https_redirect_status_code", 426), "redirect to https")
    sent = {k.lower(): v for k, v in headers.items()}
    plugins = route.get("plugins") or []
    consumer = None
    auth = next((p for p in plugins if p["name"] == "key-auth"), None)
    if auth:
        conf = auth["config"]
        names = [n.lower() for n in conf["key_names"]]
        key = next((sent[n] for n in names if n in sent), None) if conf.get("key_in_header", True) else None
        owner = None
        for entry in config.get("consumers") or []:
            if key is not None and any(c.get("key") == key for c in entry.get("keyauth_credentials") or []):
                owner = entry["username"]
        if owner is None and not conf.get("anonymous"):
            return Answer(401, "No API key found in request" if key is None else "Unauthorized")
        consumer = owner or conf["anonymous"]
        if conf.get("hide_credentials") and owner is not None:
            for n in names:
                sent.pop(n, None)
    for plugin in _consumer_plugins(config, consumer):
        if plugin["name"] == "request-termination":
            return Answer(plugin["config"]["status_code"], plugin["config"].get("message", ""), consumer=consumer)
    for plugin in plugins:
        if plugin["name"] == "request-transformer":
            for item in plugin["config"].get("replace", {}).get("headers", []):
                name, _, value = item.partition(":")
                if name.lower() in sent:
                    sent[name.lower()] = value
            for item in plugin["config"].get("add", {}).get("headers", []):
                name, _, value = item.partition(":")
                sent.setdefault(name.lower(), value)
    return Answer(200, upstream_headers=sent, consumer=consumer)
