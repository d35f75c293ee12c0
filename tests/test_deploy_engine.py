"""`fountain deploy` over SSH (real sshd, real fabric) with the real Docker engine behind it: real containers,
real health checks, real `up`/recreate between releases, the deploy user in the docker group as on the host.

The images are the project's services built from their generated trees (tags equal to the committed
bundle's), on the local base images at the registry's edge. Nothing can be pulled here, so a missing image
fails the way it fails on a host whose registry lacks it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from generator.bundle.tools import compose_binary
from generator.contract import BUNDLE_FILES, COMPOSE_FILE
from provision import DeployError, DeployOptions, deploy, status
from provision.connection import Target
from provision.envfiles import Secrets
from provision.layout import PROJECT
from provision.release import Release, build_release

from .conftest import ROOT
from .engine import Engine
from .sshd import Sshd, start_sshd
from .stack import generate_and_build

SERVICES = ["central-sequence", "character", "core-script-management", "logging", "session-context", "story-factory"]
HEALTH_TIMEOUT = 240  # the first start migrates six databases on a shared 2-core machine


def _secrets(seed: str) -> Secrets:
    return Secrets(
        database_passwords={s: f"db-{seed}-{s}-@$#%/" for s in SERVICES},
        consumer_keys={"ops": f"ops-key-{seed}-0123456789abcdef"},
        postgres_password=f"pg-{seed}-0123456789abcdef",
        logging_key=f"log-key-{seed}-0123456789",
    )


def _bundle(folder: Path, character_image: str | None = None) -> Path:
    """A copy of the committed bundle; optionally with another image for the character service."""
    for rel in BUNDLE_FILES:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, folder / rel)
    if character_image:
        compose = folder / COMPOSE_FILE
        text = compose.read_text()
        start = text.index("image: fountainai/character:")
        end = text.index("\n", start)
        compose.write_text(text[:start] + f"image: {character_image}" + text[end:])
    return folder


def _character_image() -> str:
    text = (ROOT / COMPOSE_FILE).read_text()
    start = text.index("image: fountainai/character:") + len("image: ")
    return text[start : text.index("\n", start)]


def _down(engine: Engine) -> None:
    engine.docker("compose", "-p", PROJECT, "down", "-v", "--remove-orphans", check=False)


@pytest.fixture(scope="module")
def host(engine: Engine, edge, tmp_path_factory):
    bundle = generate_and_build(engine, tmp_path_factory.mktemp("generated"))
    assert (bundle / COMPOSE_FILE).read_text() == (ROOT / COMPOSE_FILE).read_text(), "regenerate the bundle"
    # An image whose service exits at once, as a broken build would.
    broken = tmp_path_factory.mktemp("broken-image")
    (broken / "Dockerfile").write_text(
        f'FROM {_character_image()}\nCMD ["sh", "-c", "echo \'ERROR: settings missing, exiting\' >&2; exit 3"]\n'
    )
    engine.docker("build", "-q", "--network", "host", "-t", _character_image() + "-exits", str(broken))
    _down(engine)
    server = start_sshd(str(compose_binary()), docker_config=engine.docker_config)
    yield server
    server.stop()
    _down(engine)


@pytest.fixture
def options(host: Sshd, tmp_path: Path) -> DeployOptions:
    host.cut_uploads_after(None)
    target = Target("127.0.0.1", host.user, host.port, tmp_path / "known_hosts", accept_new_host_key=True, timeout=10)
    return DeployOptions(target, host.key, root=host.root, keep=3, lock_ttl=600, health_timeout=HEALTH_TIMEOUT)


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, Release]:
    base = tmp_path_factory.mktemp("bundles")
    return {
        "one": build_release(_bundle(base / "one"), _secrets("one")),
        "two": build_release(_bundle(base / "two"), _secrets("two")),
        "exits": build_release(_bundle(base / "exits", _character_image() + "-exits"), _secrets("two")),
        "unpullable": build_release(_bundle(base / "unpullable", "fountainai/character:not-built"), _secrets("two")),
    }


def _containers(engine: Engine) -> dict[str, dict]:
    """What the engine runs for the project: service -> {image, state, health, config file, id}."""
    done = engine.docker("ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}", "--format", "{{.ID}}")
    found = {}
    for ident in done.stdout.split():
        info = json.loads(engine.docker("inspect", ident).stdout)[0]
        labels = info["Config"]["Labels"]
        found[labels["com.docker.compose.service"]] = {
            "id": ident,
            "image": info["Config"]["Image"],
            "state": info["State"]["Status"],
            "health": (info["State"].get("Health") or {}).get("Status"),
            "config": labels["com.docker.compose.project.config_files"],
        }
    return found


def assert_serves(engine: Engine, host: Sshd, options: DeployOptions, release: Release) -> dict[str, dict]:
    """`current` is the release, and the engine runs its compose file: every container running and healthy."""
    report = status(options)
    assert report["current"] == release.name and report["healthy"] and report["locked_by"] is None, report
    running = _containers(engine)
    # Compose runs the file under `current`, which points at this release; every container has its image.
    compose_file = str(Path(host.root) / "current" / COMPOSE_FILE)
    assert (Path(host.root) / "current").resolve().name == release.name
    wanted = yaml.safe_load(release.files[COMPOSE_FILE])["services"]
    assert {s: (c["state"], c["config"], c["image"]) for s, c in running.items()} == {
        s: ("running", compose_file, spec["image"]) for s, spec in wanted.items()
    }
    assert all(c["health"] == "healthy" for c in running.values()), running
    return running


def _ensure(options: DeployOptions, release: Release) -> None:
    assert deploy(options, release).release == release.name


def test_first_deploy(engine: Engine, host: Sshd, options: DeployOptions, releases):
    said: list[str] = []
    assert deploy(options, releases["one"], said.append).action == "deployed"
    running = assert_serves(engine, host, options, releases["one"])
    assert running["character"]["image"] == _character_image()
    env_dir = Path(host.root) / "releases" / releases["one"].name / "compose" / "env"
    # Secret files are the deploy user's alone; Kong's config is read by the container's own user (0644), so the
    # root and releases folders (0750) keep it from every other user of the host.
    for env in env_dir.iterdir():
        readable = f"compose/env/{env.name}" in releases["one"].container_read
        assert stat.S_IMODE(env.stat().st_mode) == (0o644 if readable else 0o600), env
    assert releases["one"].container_read == {"compose/env/kong.yml"}
    for folder in (Path(host.root), Path(host.root) / "releases"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750, folder
    # The init script made every database; the services connected with their passwords and migrated.
    databases = engine.docker("exec", running["postgres"]["id"], "psql", "-U", "postgres", "-Atc",
                              "SELECT datname FROM pg_database").stdout.split()  # fmt: skip
    assert {"central_sequence", "character", "logging_service", "story_factory"} <= set(databases)
    # No secret in the audit log or in any container's command line.
    audit = (Path(host.root) / "audit.log").read_text()
    inspected = engine.docker("inspect", *(c["id"] for c in running.values())).stdout
    for value in _secrets("one").values():
        assert value not in audit
        assert json.dumps(value)[1:-1] not in json.dumps([c["Args"] for c in json.loads(inspected)])
    assert audit.splitlines()[-1].endswith(f"deploy {releases['one'].name} ok")


def test_redeploying_the_current_release_does_nothing(engine: Engine, host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    before = {s: c["id"] for s, c in _containers(engine).items()}
    outcome = deploy(options, releases["one"])
    assert outcome.action == "noop" and "already current and healthy; nothing to do" in outcome.message
    assert {s: c["id"] for s, c in _containers(engine).items()} == before  # not a container touched


def test_changed_deploy_recreates_with_the_new_secrets(engine: Engine, host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    before = {s: c["id"] for s, c in _containers(engine).items()}
    assert deploy(options, releases["two"]).action == "deployed"
    after = assert_serves(engine, host, options, releases["two"])
    # New env files: every service container was recreated; healthy means it reached PostgreSQL with its rotated
    # password (/health queries the database), which only the init script rerun on the old volume set.
    assert all(after[s]["id"] != before[s] for s in SERVICES)
    # Kong loads its declarative file only at start: a new container, which passed the keyed health check.
    assert after["kong"]["id"] != before["kong"]


def test_failed_pull_leaves_the_running_release_untouched(engine: Engine, host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    with pytest.raises(DeployError) as error:
        deploy(options, releases["unpullable"])
    message = str(error.value)
    assert message.startswith(f"release {releases['unpullable'].name}: pulling images failed (")
    assert message.endswith(f"); release {releases['one'].name} keeps running")
    assert_serves(engine, host, options, releases["one"])


def test_a_service_that_exits_is_rolled_back(engine: Engine, host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["two"])
    with pytest.raises(DeployError) as error:
        deploy(options, releases["exits"])
    first, _, logs = str(error.value).partition("\n")
    assert first == (
        f"release {releases['exits'].name}: unhealthy: character; rolled back to {releases['two'].name} (healthy again)"
    )
    assert "--- last log lines of character ---" in logs and "ERROR: settings missing, exiting" in logs
    running = assert_serves(engine, host, options, releases["two"])
    assert running["character"]["image"] == _character_image()
    audit = (Path(host.root) / "audit.log").read_text().splitlines()
    assert audit[-1].endswith(
        f"deploy {releases['exits'].name} rolled-back-to:{releases['two'].name}:unhealthy:character"
    )


def test_upload_cut_off_midway_never_becomes_a_release(
    engine: Engine, host: Sshd, options: DeployOptions, releases, tmp_path: Path
):
    _ensure(options, releases["two"])
    fresh = build_release(_bundle(tmp_path / "three"), _secrets("three"))  # not on the host yet: it is uploaded
    before = {s: c["id"] for s, c in _containers(engine).items()}
    host.cut_uploads_after(4000)
    with pytest.raises(DeployError, match="upload of .* failed|connection lost"):
        deploy(options, fresh)
    host.cut_uploads_after(None)
    releases_dir = Path(host.root) / "releases"
    assert list(releases_dir.glob(".incoming-*")), "the cut-off upload left its incoming folder"
    assert {s: c["id"] for s, c in _containers(engine).items()} == before
    assert_serves(engine, host, options, releases["two"])


pytestmark = pytest.mark.skipif(
    not Path("/usr/sbin/sshd").exists()
    or os.geteuid() != 0
    or subprocess.run(["getent", "group", "docker"]).returncode,
    reason="needs root, sshd and the docker group (apt-get install openssh-server docker.io)",
)
