"""The env files the deploy writes next to the compose file (mode 0600): every secret a container gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from generator.contract import DATABASE, KONG_RUNTIME_CONFIG, bundle_services, env_file, password_variable

from .gateway_keys import runtime_config
from .gateway_tls import Tls, with_tls

SECRETS_FORMAT = (
    '{"database_passwords": {SERVICE: PASSWORD, ...}, "consumer_keys": {CONSUMER: KEY, ...}, '
    '"postgres_password": PASSWORD, "logging_key": KEY (optional), "extra": {SERVICE: {VARIABLE: VALUE}} (optional)}'
)


class _SecretsJson(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_passwords: dict[str, str]
    consumer_keys: dict[str, str]
    postgres_password: str
    logging_key: str | None = None
    extra: dict[str, dict[str, str]] | None = None


def _problems(error: ValidationError) -> str:
    """Every problem at once: the missing keys in one list, then each other one with its JSON pointer."""
    missing = [str(e["loc"][0]) for e in error.errors() if e["type"] == "missing"]
    others = [
        f"/{'/'.join(str(p) for p in e['loc'])}: {e['msg'].lower()}" if e["loc"] else e["msg"].lower()
        for e in error.errors()
        if e["type"] != "missing"
    ]
    return "; ".join(([f"missing {', '.join(missing)}"] if missing else []) + others)


@dataclass(frozen=True)
class Secrets:
    """What the system of record holds: database passwords per service and gateway keys per consumer."""

    database_passwords: dict[str, str]
    consumer_keys: dict[str, str]
    postgres_password: str
    logging_key: str | None = None
    extra: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any, source: str = "secrets") -> Secrets:
        """From the JSON the Pulumi program (or an operator's secrets file) provides; see SECRETS_FORMAT."""
        try:
            valid = _SecretsJson.model_validate(data)
        except ValidationError as error:
            raise ValueError(f"{source}: {_problems(error)}; expected {SECRETS_FORMAT}") from None
        return cls(**{**valid.model_dump(), "extra": valid.extra or {}})

    def values(self) -> list[str]:
        found = [*self.database_passwords.values(), *self.consumer_keys.values(), self.postgres_password]
        found += [v for env in self.extra.values() for v in env.values()]
        return [v for v in found + [self.logging_key or ""] if v]


def _line(name: str, value: str) -> str:
    # Compose reads single-quoted values literally, so no $ or # in a password is interpreted.
    if "'" in value or "\n" in value:
        raise ValueError(f"{name}: a value with a quote or a newline cannot go into an env file")
    return f"{name}='{value}'\n"


def env_files(
    compose_doc: dict[str, Any], kong_doc: dict[str, Any], secrets: Secrets, tls: Tls | None = None
) -> dict[str, str]:
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
    # Kong's only config: a file beside the env files, mounted read-only (see KONG_RUNTIME_CONFIG).
    runtime = runtime_config(kong_doc, secrets.consumer_keys, secrets.logging_key)
    if tls is not None:
        runtime = with_tls(runtime, tls)
    files[KONG_RUNTIME_CONFIG] = yaml.safe_dump(runtime, sort_keys=False, allow_unicode=True)
    return files
