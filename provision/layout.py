"""Where things live on the host, under one root (default /srv/fountainai). Pure path arithmetic."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

PROJECT = "fountainai"
DEFAULT_ROOT = "/srv/fountainai"
# A release folder holds this marker once its upload is verified; its mtime is the last time it went live.
COMPLETE = ".complete"


def _under_root(*parts: str) -> property:
    return property(lambda self: posixpath.join(self.root, *parts))


@dataclass(frozen=True)
class Layout:
    root: str

    releases = _under_root("releases")
    current = _under_root("current")
    previous = _under_root("previous")
    lock = _under_root("deploy.lock")
    lock_owner = _under_root("deploy.lock", "owner")
    audit = _under_root("audit.log")

    def release(self, name: str) -> str:
        return posixpath.join(self.releases, name)

    def incoming(self, name: str, token: str) -> str:
        return posixpath.join(self.releases, f".incoming-{name}-{token}")

    def compose_file(self, release_dir: str) -> str:
        return posixpath.join(release_dir, "compose", "docker-compose.yml")
