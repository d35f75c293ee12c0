"""`fountain deploy` deploys only tags the registry holds, and logs the host in to it with the password on stdin.

The host is a real sshd (tests/sshd.py) with the stand-in container engine; the registry is stood in for at its
HTTP edge by tests/registry_server.py (the v2 API's manifest HEAD behind token auth).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from generator.bundle.files import COMPOSE_FILE
from provision import DeployError, DeployOptions, deploy, status
from provision.connection import Target
from provision.registry import Credentials
from provision.release import build_release

from .registry_server import Registry
from .test_provision import _bundle, _secrets, host, pytestmark  # noqa: F401 - fixture and skip mark reused

CREDENTIALS = Credentials("fountainbot", "dckr-test-password-0123456789")


def _options(server, tmp_path: Path) -> DeployOptions:
    server.faults(login_password=CREDENTIALS.password)
    target = Target(
        "127.0.0.1", server.user, server.port, tmp_path / "known_hosts", accept_new_host_key=True, timeout=5
    )
    return DeployOptions(
        target, server.key, root=server.root, keep=3, lock_ttl=60, health_timeout=3, registry=CREDENTIALS
    )


def _release(tmp_path: Path, registry: Registry, seed: str):
    bundle = _bundle(tmp_path / seed)
    compose = bundle / COMPOSE_FILE
    compose.write_text(compose.read_text().replace("image: fountainai/", f"image: {registry.host}/fountainai/"))
    return build_release(bundle, _secrets(seed))


def test_missing_tags_stop_the_deploy_before_anything_changes(host, tmp_path: Path):  # noqa: F811
    with Registry(CREDENTIALS.username, CREDENTIALS.password) as registry:
        release = _release(tmp_path, registry, "reg-missing")
        images = release.service_images
        registry.tags |= {i.split("/", 1)[1] for i in images[1:]}  # all but the first
        before = status(_options(host, tmp_path))["current"]
        with pytest.raises(DeployError) as error:
            deploy(replace(_options(host, tmp_path), image_timeout=0.5), release)
        assert str(error.value).startswith(f"images not in the registry after 0 s: {images[0]};")
        assert status(_options(host, tmp_path))["current"] == before
        assert not (host.docker_state / "logins.json").exists() or registry.host not in json.loads(
            (host.docker_state / "logins.json").read_text()
        )


def test_present_tags_deploy_and_the_host_logs_in_without_the_password_on_a_command_line(host, tmp_path: Path):  # noqa: F811
    with Registry(CREDENTIALS.username, CREDENTIALS.password) as registry:
        release = _release(tmp_path, registry, "reg-present")
        registry.tags |= {i.split("/", 1)[1] for i in release.service_images}
        outcome = deploy(_options(host, tmp_path), release)
        assert outcome.action == "deployed"
        logins = json.loads((host.docker_state / "logins.json").read_text())
        assert logins[registry.host] == {"username": "fountainbot", "password_length": len(CREDENTIALS.password)}
        assert CREDENTIALS.password not in (host.docker_state / "calls.log").read_text()
        assert sorted(registry.heads) == sorted(i.split("/", 1)[1] for i in release.service_images)


def test_a_wrong_registry_password_fails_the_login(host, tmp_path: Path):  # noqa: F811
    with Registry(CREDENTIALS.username, CREDENTIALS.password) as registry:
        release = _release(tmp_path, registry, "reg-login")
        registry.tags |= {i.split("/", 1)[1] for i in release.service_images}
        options = _options(host, tmp_path)
        host.faults(login_password="something-else")
        with pytest.raises(DeployError, match=rf"docker login to {registry.host} failed \(Error response"):
            deploy(options, release)
