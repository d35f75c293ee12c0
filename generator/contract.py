"""The bundle contract: all that the deploy (provision/) and the Pulumi program (stacks/) may know of the bundle."""

from __future__ import annotations

from typing import Any

from .bundle.compose import (
    ACME_STORE,
    ACME_STORE_PORT,
    APP_PORT,
    DATABASE,
    GATEWAY,
    INFRASTRUCTURE,
    INIT_SCRIPT_IN_CONTAINER,
    KEEP_ALIVE_SECONDS,
    KONG_RUNTIME_CONFIG,
    LABEL_DATABASE,
    LABEL_SERVICE,
    env_file,
)
from .bundle.files import BUNDLE_FILES, COMPOSE_FILE, INIT_SCRIPT_FILE, KONG_FILE
from .bundle.hashing import content_hash
from .bundle.kong import logging_key_header
from .bundle.postgres_init import password_variable
from .bundle.settings import BundleSettings, load_settings

__all__ = [
    "ACME_STORE",
    "ACME_STORE_PORT",
    "APP_PORT",
    "BUNDLE_FILES",
    "COMPOSE_FILE",
    "DATABASE",
    "GATEWAY",
    "INFRASTRUCTURE",
    "INIT_SCRIPT_FILE",
    "INIT_SCRIPT_IN_CONTAINER",
    "KEEP_ALIVE_SECONDS",
    "KONG_FILE",
    "KONG_RUNTIME_CONFIG",
    "BundleSettings",
    "bundle_services",
    "content_hash",
    "env_file",
    "load_settings",
    "logging_key_header",
    "password_variable",
]


def bundle_services(compose_doc: dict[str, Any]) -> dict[str, str]:
    """Service slug -> database name, read from the labels the generator puts on each service container."""
    found = {}
    for container in compose_doc.get("services", {}).values():
        labels = container.get("labels") or {}
        if LABEL_SERVICE in labels:
            found[labels[LABEL_SERVICE]] = labels[LABEL_DATABASE]
    return found
