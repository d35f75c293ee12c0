"""The services a function's service calls, served by `fountain dev` while its candidates are checked."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from generator.dev import dependency_urls
from generator.model import Service


class DependenciesDown(RuntimeError):
    """`fountain dev` did not come up."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dev_server(
    folder: Path, specs: Path, handlers: Path, env: Mapping[str, str], timeout: float = 180
) -> Iterator[str]:
    """`fountain dev` in folder (specs/ and services/ linked in unless there) on a free loopback port; yields its URL."""
    # The project's layout (specs/ and services/ side by side) so `fountain dev` serves its domain modules;
    # its SQLite files and generated trees stay in folder, so a second server in the same folder keeps the data.
    for name, source in (("specs", specs), ("services", handlers)):
        if not (folder / name).exists():
            (folder / name).symlink_to(source.resolve())
    port = _free_port()
    log_path = folder / "dev.log"
    # A file, not a pipe: a pipe nobody reads would fill and stall the server.
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "fountain", "dev", "--port", str(port)],
            cwd=folder,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(server, base, timeout, log_path)
            yield base
        finally:
            stop(server)


def stop(server: subprocess.Popen, grace: float = 15) -> None:
    """Stop a uvicorn process: terminate, then kill after `grace` seconds (it waits for busy connections)."""
    server.terminate()
    try:
        server.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


@contextmanager
def serving(specs: Path, handlers: Path) -> Iterator[tuple[str, str]]:
    """The project under `fountain dev` in a scratch folder, SQLite, a fresh key; yields (base URL, key)."""
    key = secrets.token_urlsafe(24)
    # The key goes through the environment, never the command line.
    env = {**os.environ, "FOUNTAIN_DEV_API_KEY": key}
    env.pop("FOUNTAIN_DEV_DATABASE", None)
    with tempfile.TemporaryDirectory(prefix="fountain-implement-dependencies-") as scratch:
        with dev_server(Path(scratch), specs, handlers, env) as base:
            yield base, key


def _wait(server: subprocess.Popen, base: str, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-4000:]
            raise DependenciesDown(f"fountain dev did not start:\n{tail}")
        time.sleep(0.3)


def environment(service: Service, services: list[Service], base: str, key: str) -> tuple[tuple[str, str], ...]:
    """The settings a service's checks run with: where each service it calls answers, and the key to call with."""
    urls = dependency_urls(service, services, base)
    return (*sorted((name.upper(), url) for name, url in urls.items()), ("SERVICE_API_KEY", key))
