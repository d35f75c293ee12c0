"""The deploy's health gate proves the keys work through the gateway: keyed request passes, unkeyed gets 401.

Real sshd and fabric; the container engine is the stand-in of tests/hostbin/docker, whose answers for Kong's
proxy port follow Kong's rules (tests/kong_rules.py) over the config the Kong container would load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.bundle.files import COMPOSE_FILE
from provision import DeployError, DeployOptions, deploy, status
from provision.connection import Target
from provision.release import build_release

from .test_provision import _bundle, _secrets, host, pytestmark  # noqa: F401 - fixture and skip mark reused


def _options(server, tmp_path: Path) -> DeployOptions:
    server.faults()
    target = Target(
        "127.0.0.1", server.user, server.port, tmp_path / "known_hosts", accept_new_host_key=True, timeout=5
    )
    return DeployOptions(target, server.key, root=server.root, keep=3, lock_ttl=60, health_timeout=3)


def test_a_release_whose_keys_work_goes_live(host, tmp_path: Path):  # noqa: F811
    release = build_release(_bundle(tmp_path / "good"), _secrets("gw-good"))
    assert deploy(_options(host, tmp_path), release).action == "deployed"
    probes = [line for line in (host.docker_state / "calls.log").read_text().splitlines() if "127.0.0.1:8000" in line]
    assert probes and all(_secrets("gw-good").consumer_keys["ops"] not in line for line in probes)


def test_a_gateway_that_loads_the_keyless_file_is_rolled_back(host, tmp_path: Path):  # noqa: F811
    good = build_release(_bundle(tmp_path / "before"), _secrets("gw-before"))
    deploy(_options(host, tmp_path), good)
    bundle = _bundle(tmp_path / "keyless")
    compose = bundle / COMPOSE_FILE
    # The old wiring: the committed kong.yml (consumers without keys) is what Kong loads.
    compose.write_text(
        compose.read_text().replace("./env/kong.yml:/kong/kong.yml:ro", "../kong/kong.yml:/kong/kong.yml:ro")
    )
    broken = build_release(bundle, _secrets("gw-keyless"))
    with pytest.raises(DeployError, match=rf"release {broken.name}: unhealthy: kong; rolled back to {good.name}"):
        deploy(_options(host, tmp_path), broken)
    assert status(_options(host, tmp_path))["current"] == good.name
