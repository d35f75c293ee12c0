"""A release: the committed bundle plus the env files written from the secrets, named by its content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.contract import BUNDLE_FILES, COMPOSE_FILE, KONG_FILE, KONG_RUNTIME_CONFIG, bundle_services, content_hash

from .envfiles import Secrets, env_files
from .errors import DeployError
from .gateway_tls import Tls

MANIFEST = "MANIFEST.sha256"


@dataclass(frozen=True)
class Release:
    name: str
    files: dict[str, bytes]
    secret_files: frozenset[str]
    # Secret files a container reads as its own user (Kong runs as `kong`, not as the deploy user): 0644, kept
    # private by the release root's 0750 (only the deploy user may reach them on the host).
    container_read: frozenset[str] = frozenset()

    def manifest(self) -> bytes:
        """sha256sum's format, so the host checks the upload with `sha256sum -c`."""
        lines = [f"{hashlib.sha256(data).hexdigest()}  {rel}" for rel, data in sorted(self.files.items())]
        return ("\n".join(lines) + "\n").encode()

    @property
    def services(self) -> list[str]:
        return list(bundle_services(yaml.safe_load(self.files[COMPOSE_FILE])))

    @property
    def service_images(self) -> list[str]:
        """The images the service repositories build (PostgreSQL's and Kong's are public releases)."""
        containers = yaml.safe_load(self.files[COMPOSE_FILE])["services"]
        return sorted(containers[name]["image"] for name in self.services)


def build_release(bundle_dir: Path, secrets: Secrets, tls: Tls | None = None) -> Release:
    """Read the bundle, add the env files; the name changes when any byte (or any secret) changes."""
    missing = [rel for rel in BUNDLE_FILES if not (bundle_dir / rel).is_file()]
    if missing:
        raise DeployError(f"{bundle_dir / missing[0]}: not found; run `fountain generate` first")
    files = {rel: (bundle_dir / rel).read_bytes() for rel in BUNDLE_FILES}
    compose = yaml.safe_load(files[COMPOSE_FILE])
    kong = yaml.safe_load(files[KONG_FILE])
    try:
        envs = env_files(compose, kong, secrets, tls)
    except ValueError as error:
        raise DeployError(str(error)) from None
    secret_files = {f"compose/{rel}" for rel in envs}
    files.update({f"compose/{rel}": text.encode() for rel, text in envs.items()})
    # The name hashes the secrets too (so a rotated key is a new release); 12 hex digits reveal nothing.
    return Release(content_hash(files), files, frozenset(secret_files), frozenset({f"compose/{KONG_RUNTIME_CONFIG}"}))
