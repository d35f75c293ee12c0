"""`fountain deploy` deploys only tags the registry holds, and logs the host in to it with the password on stdin.

The host is the real sshd with the real engine behind it (the session's deploy host, tests/deploy_host.py);
the registry is stood in for at its HTTP edge by tests/registry_server.py (the v2 API's version check and
manifest HEAD behind token auth), which the engine's own `docker login` talks to (127.0.0.0/8 is an insecure
registry by default, so over plain HTTP). Nothing can be pulled from it, so the service images are tagged with
its name in the engine first, as a pull would have left them (`pull --policy missing` then skips them).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from generator.contract import COMPOSE_FILE
from provision import DeployError, DeployOptions, deploy, status
from provision.connection import Target
from provision.registry import Credentials
from provision.release import Release, build_release

from .deploy_host import HEALTH_TIMEOUT, assert_serves, bundle, secrets
from .engine import Engine
from .registry_server import Registry
from .sshd import Sshd
from .test_provision import pytestmark  # noqa: F401 - the same needs: root, sshd, the docker group

CREDENTIALS = Credentials("fountainbot", "dckr-test-password-0123456789")


@pytest.fixture
def host(deploy_host) -> Sshd:
    return deploy_host[0]


def _options(server: Sshd, tmp_path: Path) -> DeployOptions:
    target = Target(
        "127.0.0.1", server.user, server.port, tmp_path / "known_hosts", accept_new_host_key=True, timeout=10
    )
    return DeployOptions(
        target, server.key, root=server.root, keep=3, lock_ttl=600, health_timeout=HEALTH_TIMEOUT, registry=CREDENTIALS
    )


def _release(engine: Engine, tmp_path: Path, registry: Registry, seed: str) -> Release:
    """The committed bundle with every service image under the registry's name, tagged so in the engine."""
    folder = bundle(tmp_path / seed)
    compose = folder / COMPOSE_FILE
    text = compose.read_text()
    compose.write_text(text.replace("image: fountainai/", f"image: {registry.host}/fountainai/"))
    release = build_release(folder, secrets("two"))  # the secrets the provisioning tests end with
    for image in release.service_images:
        engine.docker("tag", image.split("/", 1)[1], image)
    return release


def _logins(server: Sshd) -> dict:
    path = server.docker_config / "config.json"
    return json.loads(path.read_text()).get("auths", {}) if path.exists() else {}


def test_missing_tags_stop_the_deploy_before_anything_changes(engine: Engine, host: Sshd, tmp_path: Path):
    with Registry(CREDENTIALS.username, CREDENTIALS.password) as registry:
        release = _release(engine, tmp_path, registry, "reg-missing")
        images = release.service_images
        registry.tags |= {i.split("/", 1)[1] for i in images[1:]}  # all but the first
        before = status(_options(host, tmp_path))["current"]
        with pytest.raises(DeployError) as error:
            deploy(replace(_options(host, tmp_path), image_timeout=0.5), release)
        assert str(error.value).startswith(f"images not in the registry after 0 s: {images[0]};")
        assert status(_options(host, tmp_path))["current"] == before
        assert registry.logins == [] and registry.host not in _logins(host)


def test_present_tags_deploy_and_the_host_logs_in(engine: Engine, host: Sshd, tmp_path: Path):
    with Registry(CREDENTIALS.username, CREDENTIALS.password) as registry:
        release = _release(engine, tmp_path, registry, "reg-present")
        registry.tags |= {i.split("/", 1)[1] for i in release.service_images}
        options = _options(host, tmp_path)
        assert deploy(options, release).action == "deployed"
        assert sorted(registry.heads) == sorted(i.split("/", 1)[1] for i in release.service_images)
        # The engine logged in (an offline token, as `docker login` asks) and the CLI stored the login.
        assert registry.logins == [CREDENTIALS.username] and registry.host in _logins(host)
        running = assert_serves(engine, host, options, release)
        assert running["character"]["image"].startswith(f"{registry.host}/fountainai/character:")
        audit = (Path(host.root) / "audit.log").read_text()
        assert CREDENTIALS.password not in audit


def test_a_refused_login_stops_the_deploy(engine: Engine, host: Sshd, tmp_path: Path):
    with Registry(CREDENTIALS.username, CREDENTIALS.password) as registry:
        release = _release(engine, tmp_path, registry, "reg-login")
        registry.tags |= {i.split("/", 1)[1] for i in release.service_images}
        registry.refuse_logins = True
        before = status(_options(host, tmp_path))["current"]
        with pytest.raises(DeployError, match=rf"docker login to {registry.host} failed \(Error response"):
            deploy(_options(host, tmp_path), release)
        assert status(_options(host, tmp_path))["current"] == before
