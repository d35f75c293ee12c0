"""`docker compose` command lines for a release (pure: strings in, strings out)."""

from __future__ import annotations

import shlex

from .layout import PROJECT


def compose(compose_file: str, *args: str) -> str:
    return shlex.join(["docker", "compose", "-p", PROJECT, "-f", compose_file, *args])


def up(compose_file: str, wait_seconds: int) -> str:
    return compose(compose_file, "up", "-d", "--remove-orphans", "--wait", "--wait-timeout", str(wait_seconds))
