"""Host keys: pinned from Lightsail, known_hosts only appended to, odd lines tolerated, a changed key fails at once.

Against the real sshd of tests/sshd.py; Lightsail is stood in for at its HTTP edge (the awsJson1_1 protocol of
GetInstanceAccessDetails) and reached through the real AWS SDK.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from provision import DeployError, DeployOptions, prepare
from provision.connection import Target
from provision.known_hosts import HostKeyChanged
from provision.lightsail import host_keys

from .test_provision import host, pytestmark  # noqa: F401 - fixture and skip mark reused

OTHER_ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
ODD_LINES = (
    "# comment kept as it is\n"
    "@cert-authority *.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICA0\n"
    "@revoked * ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCrevoked\n"
    "github.com,140.82.121.4 sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t\n"
    "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|AAAAAAAAAAAAAAAAAAAAAAAAAAA= ssh-ed25519 " + OTHER_ED25519 + "\n"
    "a.example,b.example ssh-ed25519 " + OTHER_ED25519 + " two hosts on one line"
)


def _host_key(server) -> tuple[str, str]:
    key_type, key = (server.workdir / "host_key.pub").read_text().split()[:2]
    return key_type, key


def _options(server, known: Path, **target) -> DeployOptions:
    base = Target("127.0.0.1", server.user, server.port, known, timeout=5)
    return DeployOptions(replace(base, **target), server.key, root=server.root)


def test_known_hosts_is_only_appended_to_and_odd_lines_are_kept(host, tmp_path: Path):  # noqa: F811
    known = tmp_path / "known_hosts"
    known.write_text(ODD_LINES)  # no final newline either
    prepare(_options(host, known, accept_new_host_key=True))
    key_type, key = _host_key(host)
    assert known.read_text() == ODD_LINES + f"\n[127.0.0.1]:{host.port} {key_type} {key}\n"
    prepare(_options(host, known, accept_new_host_key=True))  # known now: nothing more is written
    assert known.read_text().count(key) == 1


def test_a_hashed_entry_is_recognised(host, tmp_path: Path):  # noqa: F811
    key_type, key = _host_key(host)
    salt = b"0123456789abcdefghij"
    digest = hmac.new(salt, f"[127.0.0.1]:{host.port}".encode(), hashlib.sha1).digest()
    line = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()} {key_type} {key}\n"
    known = tmp_path / "known_hosts"
    known.write_text(line)
    prepare(_options(host, known))  # no accept-new needed: the hashed line names this host
    assert known.read_text() == line


def test_a_changed_host_key_fails_at_once_even_while_waiting_for_a_booting_host(host, tmp_path: Path):  # noqa: F811
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{host.port} ssh-ed25519 {OTHER_ED25519}\n")
    options = replace(_options(host, known, accept_new_host_key=True), ready_timeout=120)
    started = time.monotonic()
    with pytest.raises(HostKeyChanged, match=r"the host key changed \(ssh-ed25519\)"):
        prepare(options)
    assert time.monotonic() - started < 10
    assert known.read_text() == f"[127.0.0.1]:{host.port} ssh-ed25519 {OTHER_ED25519}\n"


def test_a_revoked_host_key_is_refused(host, tmp_path: Path):  # noqa: F811
    key_type, key = _host_key(host)
    known = tmp_path / "known_hosts"
    known.write_text(f"@revoked * {key_type} {key}\n")
    with pytest.raises(HostKeyChanged, match="revoked key"):
        prepare(_options(host, known, accept_new_host_key=True))


class _Lightsail:
    """Lightsail's JSON protocol (X-Amz-Target: Lightsail_20161128.<Operation>) for GetInstanceAccessDetails."""

    def __init__(self, keys: list[dict]):
        self.keys, self.requests = keys, []
        lightsail = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                target = self.headers.get("X-Amz-Target")
                lightsail.requests.append((target, body, "AWS4-HMAC-SHA256" in self.headers.get("Authorization", "")))
                if target != "Lightsail_20161128.GetInstanceAccessDetails":
                    self.send_response(400)
                    self.end_headers()
                    return
                answer = json.dumps(
                    {
                        "accessDetails": {
                            "instanceName": body["instanceName"],
                            "protocol": "ssh",
                            "username": "ubuntu",
                            "hostKeys": lightsail.keys,
                        }
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def aws_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return monkeypatch


def test_the_host_key_is_pinned_from_lightsail(host, tmp_path: Path, aws_env):  # noqa: F811
    key_type, key = _host_key(host)
    lightsail = _Lightsail([{"algorithm": key_type, "publicKey": key, "witnessedAt": 1764201600}])
    aws_env.setenv("AWS_ENDPOINT_URL_LIGHTSAIL", lightsail.url)
    pinned = host_keys("fountainai-dev-host", "eu-central-1")
    assert pinned == (f"{key_type} {key}",)
    assert lightsail.requests == [
        (
            "Lightsail_20161128.GetInstanceAccessDetails",
            {"instanceName": "fountainai-dev-host", "protocol": "ssh"},
            True,
        )
    ]
    known = tmp_path / "known_hosts"
    prepare(_options(host, known, host_keys=pinned))  # no accept-new: the key is known in advance
    assert known.read_text() == f"[127.0.0.1]:{host.port} {key_type} {key}\n"
    lightsail.server.shutdown()


def test_a_host_key_other_than_lightsails_is_refused(host, tmp_path: Path, aws_env):  # noqa: F811
    lightsail = _Lightsail([{"algorithm": "ssh-ed25519", "publicKey": OTHER_ED25519}])
    aws_env.setenv("AWS_ENDPOINT_URL_LIGHTSAIL", lightsail.url)
    known = tmp_path / "known_hosts"
    with pytest.raises(HostKeyChanged, match="is not the one Lightsail reports"):
        prepare(_options(host, known, host_keys=host_keys("fountainai-dev-host", "eu-central-1")))
    assert not known.exists()
    lightsail.server.shutdown()


def test_no_host_key_yet_is_one_clear_error(aws_env):
    lightsail = _Lightsail([])
    aws_env.setenv("AWS_ENDPOINT_URL_LIGHTSAIL", lightsail.url)
    with pytest.raises(DeployError, match="Lightsail reports no SSH host key yet"):
        host_keys("fountainai-dev-host", "eu-central-1")
    lightsail.server.shutdown()
