"""The env files the deploy writes next to the compose file (mode 0600): every secret a container gets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..model import Service
from .compose import APP_PORT, database_name, env_file
from .kong import runtime_config
from .postgres_init import password_variable


@dataclass(frozen=True)
class Secrets:
    """What the system of record holds: database passwords per service and gateway keys per consumer."""

    database_passwords: dict[str, str]
    consumer_keys: dict[str, str]
    postgres_password: str
    logging_key: str | None = None
    extra: dict[str, dict[str, str]] = field(default_factory=dict)

    def values(self) -> list[str]:
        found = [*self.database_passwords.values(), *self.consumer_keys.values(), self.postgres_password]
        found += [v for env in self.extra.values() for v in env.values()]
        return [v for v in found + [self.logging_key or ""] if v]


def _line(name: str, value: str) -> str:
    # Compose reads single-quoted values literally, so no $ or # in a password is interpreted.
    if "'" in value or "\n" in value:
        raise ValueError(f"{name}: a value with a quote or a newline cannot go into an env file")
    return f"{name}='{value}'\n"


def env_files(services: list[Service], kong_doc: dict[str, Any], secrets: Secrets) -> dict[str, str]:
    """Relative path (from the compose folder) -> content; each container gets only its own secrets."""
    # Every consumer's key is accepted by every service, which checks it again behind Kong.
    api_keys = ",".join(secrets.consumer_keys[k] for k in sorted(secrets.consumer_keys))
    if secrets.logging_key:
        api_keys = ",".join(filter(None, [api_keys, secrets.logging_key]))
    files = {}
    for service in services:
        db = database_name(service)
        password = quote(secrets.database_passwords[service.slug], safe="")
        body = _line("DATABASE_URL", f"postgresql+psycopg://{db}:{password}@postgres:5432/{db}")
        body += _line("API_KEYS", api_keys)
        for name, value in sorted(secrets.extra.get(service.slug, {}).items()):
            body += _line(name, value)
        files[env_file(service.slug)] = body
    postgres = _line("POSTGRES_PASSWORD", secrets.postgres_password)
    for service in services:
        postgres += _line(password_variable(service), secrets.database_passwords[service.slug])
    files[env_file("postgres")] = postgres
    runtime = runtime_config(kong_doc, secrets.consumer_keys, secrets.logging_key)
    # Kong prefers this string to the mounted file, so the keys never sit in a file the container reads.
    compact = json.dumps(runtime, sort_keys=True, separators=(",", ":"))
    files[env_file("kong")] = _line("KONG_DECLARATIVE_CONFIG_STRING", compact)
    return files


__all__ = ["APP_PORT", "Secrets", "env_files"]
