"""The host-wide deploy lock: an atomic mkdir with an owner file; a stale lock is taken over."""

from __future__ import annotations

import getpass
import os
import secrets
import socket
import time
from datetime import UTC, datetime

from . import commands
from .connection import Host
from .errors import DeployError
from .layout import Layout


def iso(epoch: float) -> str:
    """UTC time to the second, as the lock and the audit log write it."""
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
        self.held = False

    def _try(self) -> bool:
        owner = f"{who()} {time.time():.0f} {os.getpid()} {self.token}"
        self.held = self.host.run(commands.take_lock(self.layout, owner), check=False)[0] == 0
        return self.held

    def acquire(self) -> None:
        if self._try():
            return
        _, text, _ = self.host.run(commands.lock_owner(self.layout), check=False)
        parts = text.split()
        holder, since = (parts[0], float(parts[1])) if len(parts) >= 2 else ("someone (no owner file)", 0.0)
        if time.time() - since < self.ttl:
            raise DeployError(
                f"deploy refused: {self.layout.root} is locked by {holder} since {iso(since)} "
                f"(the lock expires at {iso(since + self.ttl)})"
            )
        self.stale_owner = f"{holder} since {iso(since)}"
        self.host.run(commands.remove(self.layout.lock))
        if not self._try():
            raise DeployError(f"deploy refused: {self.layout.root} was locked again while taking over a stale lock")

    def release(self) -> None:
        self.host.run(commands.release_lock(self.layout, self.token), check=False)
        self.held = False
