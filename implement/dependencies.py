"""The services a function's service calls, served by `fountain dev` while its candidates are checked."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from generator.dev import dependency_urls
from generator.model import Service


class DependenciesDown(RuntimeError):
    """`fountain dev` did not come up to serve the services a check calls."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(specs: Path, handlers: Path, timeout: float = 180) -> Iterator[tuple[str, str]]:
    """`fountain dev` over the project in a scratch folder on a free loopback port; yields (base URL, its key)."""
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="fountain-implement-dependencies-") as scratch:
        folder = Path(scratch)
        # The project's layout (specs/ and services/ side by side) so `fountain dev` serves its domain modules;
        # its SQLite files and generated trees stay in the scratch folder.
        (folder / "specs").symlink_to(specs.resolve())
        (folder / "services").symlink_to(handlers.resolve())
        port = _free_port()
        # The key goes through the environment, never the command line.
        env = {**os.environ, "FOUNTAIN_DEV_API_KEY": key}
        env.pop("FOUNTAIN_DEV_DATABASE", None)
        log_path = folder / "dev.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "fountain", "dev", "--port", str(port)],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                _wait(server, base, timeout, log_path)
                yield base, key
            finally:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)


def _wait(server: subprocess.Popen, base: str, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise DependenciesDown(f"fountain dev did not start to serve the services a check calls:\n{tail}")
        time.sleep(0.3)


def environment(service: Service, services: list[Service], base: str, key: str) -> tuple[tuple[str, str], ...]:
    """The settings a service's checks run with: where each service it calls answers, and the key to call with."""
    urls = dependency_urls(service, services, base)
    return (*sorted((name.upper(), url) for name, url in urls.items()), ("SERVICE_API_KEY", key))
