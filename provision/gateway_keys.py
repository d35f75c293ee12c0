"""Kong's config as the deploy hands it to the gateway: the committed one with the keys filled in."""

from __future__ import annotations

import copy
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
    return filled
