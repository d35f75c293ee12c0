"""A user's mistake at the host commands is one line on stderr naming what is wrong, never a traceback."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .conftest import run_fountain


def _private(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    path.chmod(0o600)
    return path


@pytest.fixture
def identity(tmp_path: Path) -> Path:
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    return _private(tmp_path / "id_ed25519", key)


def _deploy(tmp_path: Path, identity: Path, secrets_file: Path):
    # Port 9 (discard) is never reached: the secrets are read and checked before any connection.
    return run_fountain(
        "deploy", "127.0.0.1", "--port", "9", "--identity", str(identity), "--secrets-file", str(secrets_file),
        cwd=tmp_path,
    )  # fmt: skip


def test_secrets_file_that_is_not_json(tmp_path: Path, identity: Path):
    bad = _private(tmp_path / "secrets.json", "database_passwords: {a: b}\n")
    result = _deploy(tmp_path, identity, bad)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error {bad}: not JSON (Expecting value at line 1); expected {{")
    assert "Traceback" not in result.stderr


def test_secrets_file_lists_every_missing_key_at_once(tmp_path: Path, identity: Path):
    partial = _private(tmp_path / "secrets.json", json.dumps({"consumer_keys": {"ops": 7}, "logging_kee": "x"}))
    result = _deploy(tmp_path, identity, partial)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"error {partial}: missing database_passwords, postgres_password; ")
    assert "/consumer_keys/ops: input should be a valid string" in line
    assert "/logging_kee: extra inputs are not permitted" in line


def test_secrets_format_is_documented_in_help_and_readme(tmp_path: Path):
    """--help shows the format; the README's example is a file the deploy accepts."""
    from provision.envfiles import SECRETS_FORMAT, Secrets

    from .conftest import ROOT

    shown = run_fountain("deploy", "--help", cwd=tmp_path, env={"COLUMNS": "400"}).stdout
    assert SECRETS_FORMAT in " ".join(shown.split())
    readme = (ROOT / "README.md").read_text()
    example = readme.split("**The secrets file**", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    parsed = Secrets.from_json(json.loads(example), "README")
    assert parsed.consumer_keys == {"ops": "gateway-key-of-ops"} and parsed.extra["character"]


@pytest.fixture
def not_ssh() -> int:
    """A port that answers like a web server, not like SSH."""
    server = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def test_status_against_a_port_that_is_not_ssh(tmp_path: Path, identity: Path, not_ssh: int):
    result = run_fountain("status", "127.0.0.1", "--port", str(not_ssh), "--identity", str(identity), cwd=tmp_path)
    assert result.returncode == 1
    # paramiko may append the socket's reason (a reset when the server closes first): still one line.
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(
        f"error deploy@127.0.0.1:{not_ssh}: no SSH server answers on this port (Error reading SSH protocol banner"
    )
