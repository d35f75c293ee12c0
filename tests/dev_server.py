"""`fountain dev` as a user starts it, in a scratch project holding the project's specs and domain modules."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx

from .conftest import ROOT
from .sequence_helpers import free_port

KEY = "dev-key-for-the-test"


def postgres_databases(admin_url: str, packages: list[str]) -> str:
    """One fresh database per service package on the test's PostgreSQL; the URL template naming them."""
    import psycopg

    prefix = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        for package in packages:
            connection.execute(f'CREATE DATABASE "{prefix}_{package}"')
    return admin_url.rsplit("/", 1)[0] + f"/{prefix}_{{service}}"


@contextmanager
def fountain_dev(project: Path, specs: Path, services: Path, database: str | None = None):
    """`fountain dev` in project (specs/ and services/ linked in) on a free port; yields the base URL."""
    (project / "specs").symlink_to(specs)
    (project / "services").symlink_to(services)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FOUNTAIN_DEV_API_KEY": KEY}
    env.pop("FOUNTAIN_DEV_DATABASE", None)
    if database is not None:
        env["FOUNTAIN_DEV_DATABASE"] = database
    log = open(project / "dev.log", "w")  # noqa: SIM115 - a pipe nobody reads would fill and stall the server
    server = subprocess.Popen(
        [sys.executable, "-m", "fountain", "dev", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"fountain dev did not start: {(project / 'dev.log').read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()  # uvicorn waits for idle keep-alive connections; the test is over
            server.wait(timeout=10)
        log.close()
