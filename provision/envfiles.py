"""The env files the deploy writes next to the compose file (mode 0600): every secret a container gets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from generator.contract import DATABASE, GATEWAY, bundle_services, env_file, password_variable

from .gateway_keys import runtime_config


@dataclass(frozen=True)
class Secrets:
    """What the system of record holds: database passwords per service and gateway keys per consumer."""

    database_passwords: dict[str, str]
    consumer_keys: dict[str, str]
    postgres_password: str
    logging_key: str | None = None
    extra: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Secrets:
        """From the JSON the Pulumi program (or an operator's secrets file) provides."""
        try:
            return cls(
                database_passwords=dict(data["database_passwords"]),
                consumer_keys=dict(data["consumer_keys"]),
                postgres_password=str(data["postgres_password"]),
                logging_key=data.get("logging_key"),
                extra={k: dict(v) for k, v in (data.get("extra") or {}).items()},
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"secrets: missing or malformed {error}") from None

    def values(self) -> list[str]:
        found = [*self.database_passwords.values(), *self.consumer_keys.values(), self.postgres_password]
        found += [v for env in self.extra.values() for v in env.values()]
        return [v for v in found + [self.logging_key or ""] if v]


def _line(name: str, value: str) -> str:
    # Compose reads single-quoted values literally, so no $ or # in a password is interpreted.
    if "'" in value or "\n" in value:
        raise ValueError(f"{name}: a value with a quote or a newline cannot go into an env file")
    return f"{name}='{value}'\n"


def env_files(compose_doc: dict[str, Any], kong_doc: dict[str, Any], secrets: Secrets) -> dict[str, str]:
    """Relative path (from the compose folder) -> content; each container gets only its own secrets."""
    services = bundle_services(compose_doc)
    missing = sorted(set(services) - set(secrets.database_passwords))
    if missing:
        raise ValueError(f"secrets: no database password for service {missing[0]!r}")
    # Every consumer's key is accepted by every service, which checks it again behind Kong.
    api_keys = ",".join(secrets.consumer_keys[k] for k in sorted(secrets.consumer_keys))
    if secrets.logging_key:
        api_keys = ",".join(filter(None, [api_keys, secrets.logging_key]))
    files = {}
    for slug, db in services.items():
        password = quote(secrets.database_passwords[slug], safe="")
        body = _line("DATABASE_URL", f"postgresql+psycopg://{db}:{password}@postgres:5432/{db}")
        body += _line("API_KEYS", api_keys)
        for name, value in sorted(secrets.extra.get(slug, {}).items()):
            body += _line(name, value)
        files[env_file(slug)] = body
    postgres = _line("POSTGRES_PASSWORD", secrets.postgres_password)
    for slug, db in services.items():
        postgres += _line(password_variable(db), secrets.database_passwords[slug])
    files[env_file(DATABASE)] = postgres
    runtime = runtime_config(kong_doc, secrets.consumer_keys, secrets.logging_key)
    # Kong prefers this string to the mounted file, so the keys never sit in a file the container reads.
    compact = json.dumps(runtime, sort_keys=True, separators=(",", ":"))
    files[env_file(GATEWAY)] = _line("KONG_DECLARATIVE_CONFIG_STRING", compact)
    return files
