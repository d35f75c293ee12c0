"""`fountain dev` (what scripts/dev runs): every service served together, each under its gateway prefix."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from implement.dependencies import dev_server

from .conftest import PROJECT_SPECS, ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fountain_dev_serves_every_service(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FOUNTAIN_DEV_API_KEY": "dev-key-for-the-test"}
    with dev_server(tmp_path, PROJECT_SPECS, ROOT / "services", env) as base:
        index = httpx.get(f"{base}/", timeout=5)
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


def test_deprecated_version_keeps_its_headers_under_the_mount_prefix(tmp_path: Path):
    from fastapi.testclient import TestClient

    from generator import generate
    from generator.dev import build_dev_app

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "central-sequence").symlink_to(PROJECT_SPECS / "central-sequence")
    result = generate(tmp_path / "specs", tmp_path / "out", project_root=tmp_path)
    app = build_dev_app(result.services, tmp_path / "out", tmp_path / "state", "dev-key")
    with TestClient(app) as client:
        old = client.post("/central-sequence/v1/sequence", json={}, headers={"X-API-KEY": "dev-key"})
        new = client.post("/central-sequence/v2/sequence", json={}, headers={"X-API-KEY": "dev-key"})
        docs = client.get("/central-sequence/docs")
    assert old.headers.get("deprecation") == "true", old.headers
    assert old.headers["link"] == '</central-sequence/v2>; rel="successor-version"'
    assert "deprecation" not in new.headers
    # Swagger UI's assets are found under the prefix too.
    assert docs.status_code == 200 and "/central-sequence/static-offline-docs/swagger-ui-bundle.js" in docs.text


def test_a_busy_port_is_named_before_anything_is_generated(tmp_path: Path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen();"
            "print(s.getsockname()[1], flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = holder.stdout.readline().strip()
        (tmp_path / "specs").symlink_to(PROJECT_SPECS)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "FOUNTAIN_DEV_API_KEY": "k"}
        result = subprocess.run(
            [sys.executable, "-m", "fountain", "dev", "--port", port],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr and f"pid {holder.pid}" in result.stderr, result.stderr
    assert "serving" not in result.stderr and not (tmp_path / "build").exists()


def test_a_database_url_without_service_is_refused_before_anything_is_generated(tmp_path: Path):
    (tmp_path / "specs").symlink_to(PROJECT_SPECS)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FOUNTAIN_DEV_API_KEY": "k",
        "FOUNTAIN_DEV_DATABASE": "sqlite:///one.db",
    }
    result = subprocess.run(
        [sys.executable, "-m", "fountain", "dev", "--port", str(_free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "FOUNTAIN_DEV_DATABASE" in result.stderr and "{service}" in result.stderr, result.stderr
    assert "one.db" not in result.stderr  # the URL may hold a password: never echoed
    assert not (tmp_path / "build").exists()
