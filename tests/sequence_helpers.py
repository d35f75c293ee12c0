"""Run the project's Central Sequence Service (its real domain module) under uvicorn for tests and bench/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from generator.contract import KEEP_ALIVE_SECONDS
from implement.dependencies import stop

from .conftest import PROJECT_SPECS, ROOT, run_fountain

KEY = "test-key"


def build_project_service(out: Path, slug: str) -> Path:
    """Generate the project's specs (with the committed services/ domain modules) into out; the tree of slug."""
    result = run_fountain("generate", str(PROJECT_SPECS), "-o", str(out), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return out / slug


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(tree: Path, package: str, database_url: str, extra_env: dict[str, str] | None = None):
    """uvicorn on a free port with DATABASE_URL; yields the base URL, stops the server afterwards."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree), "DATABASE_URL": database_url, "API_KEYS": KEY, **(extra_env or {})}
    log = open(tree / f"server-{port}.log", "w")  # noqa: SIM115 - a pipe nobody reads would fill and stall it
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"{package}.main:create_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-keep-alive",  # as the service's image runs it
            str(KEEP_ALIVE_SECONDS),
        ],
        cwd=tree,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {Path(log.name).read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        stop(server, grace=10)
        log.close()
