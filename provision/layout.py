"""Where things live on the host, under one root (default /srv/fountainai). Pure path arithmetic."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

PROJECT = "fountainai"
DEFAULT_ROOT = "/srv/fountainai"
# A release folder holds this marker once its upload is verified; its mtime is the last time it went live.
COMPLETE = ".complete"


@dataclass(frozen=True)
class Layout:
    root: str

    @property
    def releases(self) -> str:
        return posixpath.join(self.root, "releases")

    def release(self, name: str) -> str:
        return posixpath.join(self.releases, name)

    def incoming(self, name: str, token: str) -> str:
        return posixpath.join(self.releases, f".incoming-{name}-{token}")

    @property
    def current(self) -> str:
        return posixpath.join(self.root, "current")

    @property
    def previous(self) -> str:
        return posixpath.join(self.root, "previous")

    @property
    def lock(self) -> str:
        return posixpath.join(self.root, "deploy.lock")

    @property
    def lock_owner(self) -> str:
        return posixpath.join(self.lock, "owner")

    @property
    def audit(self) -> str:
        return posixpath.join(self.root, "audit.log")

    def compose_file(self, release_dir: str) -> str:
        return posixpath.join(release_dir, "compose", "docker-compose.yml")
