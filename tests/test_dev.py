"""`fountain dev` (what scripts/dev runs): every service served together, each under its gateway prefix."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import PROJECT_SPECS, ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fountain_dev_serves_every_service(tmp_path: Path):
    (tmp_path / "specs").symlink_to(PROJECT_SPECS)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FOUNTAIN_DEV_API_KEY": "dev-key-for-the-test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "fountain", "dev", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                index = httpx.get(f"{base}/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "fountain dev did not start"
                time.sleep(0.3)
        assert index.status_code == 200
        for slug in ("central-sequence", "character", "core-script-management", "logging", "session-context"):
            assert f'href="/{slug}/docs"' in index.text
        key = {"X-API-KEY": "dev-key-for-the-test"}
        created = httpx.post(
            f"{base}/character/v1/characters",
            json={"name": "Ada", "description": "lead", "comment": "first draft"},
            headers=key,
        )
        assert created.status_code == 201, created.text
        listed = httpx.get(f"{base}/character/v1/characters", headers=key)
        assert [c["name"] for c in listed.json()] == ["Ada"]
        assert httpx.get(f"{base}/character/v1/characters").status_code == 401
        assert httpx.get(f"{base}/character/health").status_code == 200
        # The project's bundle lands in the project too, as with `fountain generate`.
        assert (tmp_path / "kong" / "kong.yml").is_file()
    finally:
        server.terminate()
        server.wait(timeout=10)
