"""The host-wide deploy lock: an atomic mkdir with an owner file; a stale lock is taken over."""

from __future__ import annotations

import getpass
import os
import secrets
import shlex
import socket
import time
from datetime import UTC, datetime

from .connection import Host
from .errors import DeployError
from .layout import Layout


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def who() -> str:
    """user@machine of whoever runs the deploy, for the lock and the audit log."""
    return f"{getpass.getuser()}@{socket.gethostname()}"


class Lock:
    """Held for one deploy or rollback; released even when the step fails."""

    def __init__(self, host: Host, layout: Layout, ttl_seconds: float):
        self.host, self.layout, self.ttl = host, layout, ttl_seconds
        self.token = secrets.token_hex(8)
        self.stale_owner: str | None = None

    def _try(self) -> bool:
        owner = f"{who()} {time.time():.0f} {os.getpid()} {self.token}"
        lock = shlex.quote(self.layout.lock)
        code, _, _ = self.host.run(
            f"mkdir {lock} 2>/dev/null && printf '%s\\n' {shlex.quote(owner)} > {lock}/owner", check=False
        )
        return code == 0

    def acquire(self) -> None:
        if self._try():
            return
        _, text, _ = self.host.run(f"cat {shlex.quote(self.layout.lock)}/owner 2>/dev/null", check=False)
        parts = text.split()
        holder, since = (parts[0], float(parts[1])) if len(parts) >= 2 else ("someone (no owner file)", 0.0)
        if time.time() - since < self.ttl:
            raise DeployError(
                f"deploy refused: {self.layout.root} is locked by {holder} since {_iso(since)} "
                f"(the lock expires at {_iso(since + self.ttl)})"
            )
        self.stale_owner = f"{holder} since {_iso(since)}"
        self.host.run(f"rm -rf {shlex.quote(self.layout.lock)}")
        if not self._try():
            raise DeployError(f"deploy refused: {self.layout.root} was locked again while taking over a stale lock")

    def release(self) -> None:
        lock = shlex.quote(self.layout.lock)
        # Only our own lock is removed: a taken-over stale lock's first owner must not remove the new one.
        self.host.run(f"grep -q {shlex.quote(self.token)} {lock}/owner 2>/dev/null && rm -rf {lock}", check=False)
