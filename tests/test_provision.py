"""Provisioning over SSH against a real OpenSSH sshd on 127.0.0.1, through real fabric, as a non-root deploy user,
with the real Docker engine behind it (tests/deploy_host.py): real containers, real health checks, real `up`
and recreate between releases, real migrations in one-off containers.

Faults come from what a release brings (an image whose service exits, a migration that fails, an image the
registry lacks), from the host (a stale lock, a second deploy, too little disk for the setting) or from the
connection (a dropped sftp session: tests/hostbin/sftp-server). After every case the host's `current` serves.
Most cases start from the release already serving and deploy releases that differ from it only in character's
image or in a comment, so the other services' containers stay; only the secret-rotation case recreates them all.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from generator.bundle.tools import compose_binary
from generator.contract import COMPOSE_FILE
from provision import DeployError, DeployOptions, deploy, prepare, rollback, status
from provision.connection import Target
from provision.release import Release, build_release

from .conftest import ROOT, run_fountain
from .deploy_host import (
    HEALTH_TIMEOUT,
    SERVICES,
    assert_serves,
    bundle,
    character_image,
    containers,
    events,
    secrets,
)
from .engine import Engine, install_compose_plugin
from .sshd import Sshd, start_sshd


@pytest.fixture(scope="module")
def host(deploy_host) -> Sshd:
    return deploy_host[0]


@pytest.fixture
def options(host: Sshd, tmp_path: Path) -> DeployOptions:
    host.cut_uploads_after(None)
    target = Target("127.0.0.1", host.user, host.port, tmp_path / "known_hosts", accept_new_host_key=True, timeout=10)
    return DeployOptions(target, host.key, root=host.root, keep=3, lock_ttl=600, health_timeout=HEALTH_TIMEOUT)


@pytest.fixture(scope="module")
def releases(deploy_host, tmp_path_factory) -> dict[str, Release]:
    _, derived = deploy_host
    base = tmp_path_factory.mktemp("bundles")
    return {
        "one": build_release(bundle(base / "one"), secrets("one")),
        "two": build_release(bundle(base / "two"), secrets("two")),
        **{name: build_release(bundle(base / name, image), secrets("one")) for name, image in derived.items()},
        "unpullable": build_release(bundle(base / "unpullable", "fountainai/character:not-built"), secrets("one")),
    }


def _ensure(options: DeployOptions, release: Release) -> None:
    assert deploy(options, release).release == release.name


def _serving(options: DeployOptions, releases: dict[str, Release]) -> Release:
    """The release `current` serves healthy (one of these), else release one deployed: cases that need only some
    release serving start from the one before them, so the module deploys no more than its cases need."""
    report = status(options)
    found = next((r for r in releases.values() if r.name == report["current"]), None)
    if found is None or not report["healthy"]:
        _ensure(options, releases["one"])
        return releases["one"]
    return found


def _variant(releases: dict[str, Release], folder: Path, note: str) -> Release:
    """Another release of the committed bundle with release one's secrets (same containers, new name)."""
    releases[note] = build_release(bundle(folder, note=note), secrets("one"))
    return releases[note]


def _ids(engine: Engine) -> dict[str, str]:
    return {s: c["id"] for s, c in containers(engine).items()}


def _psql(engine: Engine, database: str, sql: str) -> str:
    postgres = containers(engine)["postgres"]["id"]
    return engine.docker("exec", postgres, "psql", "-U", "postgres", "-d", database, "-Atc", sql).stdout.strip()


def _give_to_deploy_user(host: Sshd, *paths: Path) -> None:
    owner = os.stat(host.root)
    for path in paths:
        os.chown(path, owner.st_uid, owner.st_gid)


def test_first_deploy(engine: Engine, host: Sshd, options: DeployOptions, releases):
    said: list[str] = []
    since = time.time()
    assert deploy(options, releases["one"], said.append).action == "deployed"
    assert any("uploading" in m for m in said) and any("pulling" in m for m in said)
    running = assert_serves(engine, host, options, releases["one"])
    # The health gate's requests through Kong (keyed and unkeyed) ran in its container, the key on curl's stdin.
    execs = [e["Action"] for e in events(engine, since) if e["Action"].startswith("exec_create")]
    probes = [a for a in execs if "http://127.0.0.1:8000/" in a]
    assert any("-H @-" in a for a in probes) and any("-H @-" not in a for a in probes), execs
    assert not any(secrets("one").consumer_keys["ops"] in a for a in execs)
    assert running["character"]["image"] == character_image()
    env_dir = Path(host.root) / "releases" / releases["one"].name / "compose" / "env"
    # Secret files are the deploy user's alone; Kong's config is read by the container's own user (0644), so the
    # root and releases folders (0750) keep it from every other user of the host.
    for env in env_dir.iterdir():
        readable = f"compose/env/{env.name}" in releases["one"].container_read
        assert stat.S_IMODE(env.stat().st_mode) == (0o644 if readable else 0o600), env
        assert env.stat().st_uid == os.stat(host.root).st_uid
    assert releases["one"].container_read == {"compose/env/kong.yml"}
    for folder in (Path(host.root), Path(host.root) / "releases"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750, folder
    # The init script made every database; the services connected with their passwords and migrated.
    databases = _psql(engine, "postgres", "SELECT datname FROM pg_database").split()
    assert {"central_sequence", "character", "logging_service", "story_factory"} <= set(databases)
    assert _psql(engine, "character", "SELECT version_num FROM alembic_version") != ""
    # No secret in the audit log or in any container's command line.
    audit = (Path(host.root) / "audit.log").read_text()
    inspected = engine.docker("inspect", *(c["id"] for c in running.values())).stdout
    for value in secrets("one").values():
        assert value not in audit
        assert json.dumps(value)[1:-1] not in json.dumps([c["Args"] for c in json.loads(inspected)])
    assert audit.splitlines()[-1].endswith(f"deploy {releases['one'].name} ok")


def test_redeploying_the_current_release_does_nothing(engine: Engine, host: Sshd, options: DeployOptions, releases):
    serving = _serving(options, releases)
    before = _ids(engine)
    outcome = deploy(options, serving)
    assert outcome.action == "noop" and "already current and healthy; nothing to do" in outcome.message
    assert _ids(engine) == before  # not a container touched


def test_failed_pull_leaves_the_running_release_untouched(engine: Engine, host: Sshd, options: DeployOptions, releases):
    serving = _serving(options, releases)
    before = _ids(engine)
    with pytest.raises(DeployError) as error:
        deploy(options, releases["unpullable"])
    message = str(error.value)
    assert message.startswith(f"release {releases['unpullable'].name}: pulling images failed (")
    assert "Error response from daemon" in message  # the engine's own answer (no registry is reachable here)
    assert message.endswith(f"); release {serving.name} keeps running")
    assert _ids(engine) == before
    assert_serves(engine, host, options, serving)


def test_every_outcome_is_one_audit_line(engine: Engine, host: Sshd, options: DeployOptions, releases):
    """The runbook audits a failed step in one line; a deploy refused at the lock touched nothing and writes none."""
    serving = _serving(options, releases)
    audit = Path(host.root) / "audit.log"
    before = audit.read_text().splitlines()
    with pytest.raises(DeployError, match="pulling images failed"):
        deploy(options, releases["unpullable"])
    after_pull = audit.read_text().splitlines()
    assert after_pull[: len(before)] == before and len(after_pull) == len(before) + 1
    assert after_pull[-1].endswith(f" deploy {releases['unpullable'].name} pull-failed")
    lock = Path(host.root) / "deploy.lock"
    lock.mkdir()
    (lock / "owner").write_text(f"alice@laptop {time.time():.0f} 1 cafe\n")
    _give_to_deploy_user(host, lock, lock / "owner")
    try:
        with pytest.raises(DeployError, match="is locked by alice@laptop"):
            deploy(options, releases["two"])
    finally:
        shutil.rmtree(lock)
    assert audit.read_text().splitlines() == after_pull
    assert_serves(engine, host, options, serving)


def test_a_stale_lock_expires(engine: Engine, host: Sshd, options: DeployOptions, releases):
    serving = _serving(options, releases)
    lock = Path(host.root) / "deploy.lock"
    lock.mkdir()
    (lock / "owner").write_text(f"ghost@elsewhere {time.time() - 3600:.0f} 1 deadbeef\n")
    _give_to_deploy_user(host, lock, lock / "owner")
    said: list[str] = []
    assert deploy(options, serving, said.append).action == "noop"
    assert any("took over a stale lock held by ghost@elsewhere" in m for m in said)
    assert not lock.exists()
    assert_serves(engine, host, options, serving)


def test_unreachable_host(engine: Engine, options: DeployOptions, releases, host: Sshd):
    serving = _serving(options, releases)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    target = Target("127.0.0.1", host.user, closed, options.target.known_hosts, True, timeout=3)
    bad = DeployOptions(target, options.private_key, root=options.root)
    with pytest.raises(DeployError) as error:
        deploy(bad, releases["two"])
    assert str(error.value) == f"{host.user}@127.0.0.1:{closed}: host unreachable (Connection refused)"
    assert_serves(engine, host, options, serving)


def test_wrong_key(engine: Engine, options: DeployOptions, releases, host: Sshd):
    serving = _serving(options, releases)
    bad = DeployOptions(options.target, host.wrong_key, root=options.root)
    with pytest.raises(DeployError) as error:
        deploy(bad, releases["two"])
    assert str(error.value) == f"{host.user}@127.0.0.1:{host.port}: the host refused the SSH key for user {host.user}"
    assert_serves(engine, host, options, serving)


def test_unknown_host_key_is_refused_without_accept_new(options: DeployOptions, releases, host: Sshd, tmp_path: Path):
    strict = Target("127.0.0.1", host.user, host.port, tmp_path / "empty_known_hosts", accept_new_host_key=False)
    with pytest.raises(DeployError, match="unknown host key; check it and rerun with --accept-new-host-key"):
        deploy(DeployOptions(strict, options.private_key, root=options.root), releases["one"])


def test_full_disk_is_refused(engine: Engine, host: Sshd, options: DeployOptions, releases):
    serving = _serving(options, releases)
    greedy = DeployOptions(options.target, options.private_key, root=options.root, min_free_mb=10**9)
    with pytest.raises(DeployError, match=r": disk full: \d+ MB free under .*, a deploy needs 1000000000 MB$"):
        deploy(greedy, releases["two"])
    assert_serves(engine, host, options, serving)


def test_prepare_is_idempotent(host: Sshd, options: DeployOptions):
    first, second = prepare(options), prepare(options)
    version = subprocess.run([str(compose_binary()), "version"], capture_output=True, text=True).stdout.strip()
    assert first["compose"] == second["compose"] == version and version.startswith("Docker Compose version v2.")
    assert first["user"] == host.user and first["free_mb"] > 0
    assert (Path(host.root) / "releases").is_dir()


def test_a_failed_migration_stops_the_deploy_before_the_switch(
    engine: Engine, host: Sshd, options: DeployOptions, releases
):
    # Before any case deploys the extra revision (9002): on a schema past its head the broken image would
    # leave it as it is (a rollback's rule) rather than fail.
    _ensure(options, releases["one"])
    before, revision = _ids(engine), _psql(engine, "character", "SELECT version_num FROM alembic_version")
    with pytest.raises(DeployError) as error:
        deploy(options, releases["badmigration"])
    # The traceback's exception line, not the SQL or SQLAlchemy's link that follow it.
    assert str(error.value) == (
        f"release {releases['badmigration'].name}: migrations of character failed (sqlalchemy.exc.ProgrammingError: "
        f'(psycopg.errors.UndefinedTable) relation "no_such_table" does not exist); '
        f"release {releases['one'].name} keeps running"
    )
    # Nothing of the new release ran but the one-off migration; the schema is where it was.
    assert {s: i for s, i in _ids(engine).items() if s in SERVICES} == {s: before[s] for s in SERVICES}
    assert _psql(engine, "character", "SELECT version_num FROM alembic_version") == revision
    report = status(options)
    assert report["current"] == releases["one"].name and report["healthy"] and report["locked_by"] is None, report
    assert containers(engine)["character"]["image"] == character_image()
    audit = (Path(host.root) / "audit.log").read_text().splitlines()
    assert audit[-1].endswith(f"deploy {releases['badmigration'].name} migrate-failed:character")
    # PostgreSQL was not recreated on the failed release's definition (its init-script mount lies under
    # releases/<failed>/): the database step brings an unchanged declaration up through current/.
    assert containers(engine)["postgres"]["config"] == str(Path(host.root) / "current" / COMPOSE_FILE)
    assert_serves(engine, host, options, releases["one"])


def test_a_service_that_exits_is_rolled_back(engine: Engine, host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    with pytest.raises(DeployError) as error:
        deploy(replace(options, health_timeout=90), releases["exits"])
    first, _, logs = str(error.value).partition("\n")
    assert first == (
        f"release {releases['exits'].name}: unhealthy: character; rolled back to {releases['one'].name} (healthy again)"
    )
    assert "--- last log lines of character ---" in logs and "ERROR: settings missing, exiting" in logs
    running = assert_serves(engine, host, options, releases["one"])
    assert running["character"]["image"] == character_image()
    audit = (Path(host.root) / "audit.log").read_text().splitlines()
    assert audit[-1].endswith(
        f"deploy {releases['exits'].name} rolled-back-to:{releases['one'].name}:unhealthy:character"
    )


def test_a_gateway_that_loads_the_keyless_file_is_rolled_back(
    engine: Engine, host: Sshd, options: DeployOptions, releases, tmp_path: Path
):
    _ensure(options, releases["one"])
    folder = bundle(tmp_path / "keyless")
    compose = folder / COMPOSE_FILE
    # The old wiring: Kong loads the committed kong.yml (consumers without keys), so a keyed request gets 401.
    compose.write_text(
        compose.read_text().replace("./env/kong.yml:/kong/kong.yml:ro", "../kong/kong.yml:/kong/kong.yml:ro")
    )
    broken = build_release(folder, secrets("one"))
    with pytest.raises(DeployError) as error:
        deploy(options, broken)
    assert str(error.value).startswith(
        f"release {broken.name}: unhealthy: kong; rolled back to {releases['one'].name} (healthy again)"
    )
    assert_serves(engine, host, options, releases["one"])


def test_migrations_run_before_the_switch_for_the_changed_service_only(
    engine: Engine, host: Sshd, options: DeployOptions, releases
):
    _ensure(options, releases["one"])
    before = _ids(engine)
    since = time.time()
    assert deploy(options, releases["extra"]).action == "deployed"
    running = assert_serves(engine, host, options, releases["extra"])
    assert _psql(engine, "character", "SELECT version_num FROM alembic_version") == "9002"
    assert _psql(engine, "character", "SELECT to_regclass('deploy_marker')") == "deploy_marker"
    started = [
        (
            e["Actor"]["Attributes"]["com.docker.compose.service"],
            e["Actor"]["Attributes"].get("com.docker.compose.oneoff"),
        )
        for e in events(engine, since, "--filter", "event=start")
    ]
    # One one-off container migrated character (the only changed image), before its new container started.
    assert [s for s, oneoff in started if oneoff == "True"] == ["character"]
    assert started.index(("character", "True")) < started.index(("character", "False"))
    assert running["character"]["id"] != before["character"]
    assert all(running[s]["id"] == before[s] for s in SERVICES if s != "character")


def test_rollback_to_an_older_release(engine: Engine, host: Sshd, options: DeployOptions, releases):
    report = status(options)
    if (report["previous"], report["current"]) != (releases["one"].name, releases["extra"].name):
        _ensure(options, releases["one"])
        _ensure(options, releases["extra"])
    # Back to the previous release: its code runs on the schema the newer one migrated (revisions only add).
    assert rollback(options).release == releases["one"].name
    assert assert_serves(engine, host, options, releases["one"])["character"]["image"] == character_image()
    assert _psql(engine, "character", "SELECT version_num FROM alembic_version") == "9002"
    assert rollback(options, to=releases["extra"].name).release == releases["extra"].name
    assert assert_serves(engine, host, options, releases["extra"])["character"]["image"].endswith("-extra")
    with pytest.raises(DeployError, match="release nosuchrelease is not on the host"):
        rollback(options, to="nosuchrelease")
    assert_serves(engine, host, options, releases["extra"])


def test_upload_cut_off_midway_never_becomes_a_release(
    engine: Engine, host: Sshd, options: DeployOptions, releases, tmp_path: Path
):
    serving = _serving(options, releases)
    fresh = _variant(releases, tmp_path / "cut", "cut")  # not on the host yet
    before = _ids(engine)
    host.cut_uploads_after(4000)
    with pytest.raises(DeployError, match="upload of .* failed|connection lost"):
        deploy(options, fresh)
    host.cut_uploads_after(None)
    releases_dir = Path(host.root) / "releases"
    assert not (releases_dir / fresh.name).exists()
    assert list(releases_dir.glob(".incoming-*")), "the cut-off upload left its incoming folder"
    assert _ids(engine) == before
    assert_serves(engine, host, options, serving)
    assert deploy(options, fresh).action == "deployed"
    assert not list(releases_dir.glob(".incoming-*"))
    assert_serves(engine, host, options, fresh)


def test_two_deploys_at_once(engine: Engine, host: Sshd, options: DeployOptions, releases, tmp_path: Path):
    _serving(options, releases)
    other = _variant(releases, tmp_path / "other", "other")
    results: dict[str, object] = {}

    def first() -> None:
        results["first"] = deploy(options, other)

    thread = threading.Thread(target=first)
    thread.start()
    lock = Path(host.root) / "deploy.lock" / "owner"
    deadline = time.monotonic() + 30
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(
        DeployError, match=r"^deploy refused: .* is locked by \S+@\S+ since \d{4}-\d\d-\d\dT.*expires at"
    ):
        deploy(options, releases["two"])
    thread.join(HEALTH_TIMEOUT)
    assert results["first"].action == "deployed"
    assert_serves(engine, host, options, other)


def test_fountain_deploy_command_reads_secrets_on_stdin(
    engine: Engine, host: Sshd, options: DeployOptions, releases, tmp_path: Path
):
    _serving(options, releases)
    one = secrets("one")
    payload = json.dumps(
        {
            "ssh_private_key": host.key,
            "secrets": {
                "database_passwords": one.database_passwords,
                "consumer_keys": one.consumer_keys,
                "postgres_password": one.postgres_password,
                "logging_key": one.logging_key,
            },
        }
    )
    folder = bundle(tmp_path / "cli", note="cli")
    argv = [
        sys.executable, "-m", "fountain", "deploy", "127.0.0.1", "--port", str(host.port), "--user", host.user,
        "--root", host.root, "--bundle", str(folder), "--known-hosts", str(tmp_path / "kh"), "--accept-new-host-key",
        "--secrets-stdin", "--health-timeout", str(HEALTH_TIMEOUT),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        argv, input=payload, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=2 * HEALTH_TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    assert "is live and healthy" in done.stderr
    assert host.key not in done.stderr + done.stdout
    releases["cli"] = build_release(folder, one)
    assert_serves(engine, host, options, releases["cli"])
    refused = run_fountain("deploy", "127.0.0.1", "--port", "1", "--bundle", str(ROOT), cwd=tmp_path)
    assert refused.returncode == 1 and "error no SSH key: pass --identity FILE" in refused.stderr


def test_old_releases_are_pruned(engine: Engine, host: Sshd, options: DeployOptions, releases, tmp_path: Path):
    _serving(options, releases)
    releases_dir = Path(host.root) / "releases"
    before = {p.name for p in releases_dir.iterdir() if not p.name.startswith(".")}
    release = _variant(releases, tmp_path / "pruned", "pruned")
    outcome = deploy(options, release)
    kept = {p.name for p in releases_dir.iterdir() if not p.name.startswith(".")}
    # The cases before left more than `keep` releases (failed deploys' too); the newest by use are kept.
    assert len(before | {release.name}) > options.keep and len(kept) == options.keep
    assert f"; pruned {len(before | {release.name}) - options.keep} old release(s)" in outcome.message
    assert (Path(host.root) / "current").resolve().name == release.name and release.name in kept
    assert (Path(host.root) / "previous").resolve().name in kept
    assert_serves(engine, host, options, release)


def test_changed_secrets_recreate_every_container(engine: Engine, host: Sshd, options: DeployOptions, releases):
    _serving(options, releases)  # release one's secrets, whichever it is
    before = _ids(engine)
    assert deploy(options, releases["two"]).action == "deployed"
    after = assert_serves(engine, host, options, releases["two"])
    # New env files: every service container was recreated; healthy means it reached PostgreSQL with its rotated
    # password (/health queries the database), which only the init script rerun on the old volume set.
    assert all(after[s]["id"] != before[s] for s in SERVICES)
    # Kong loads its declarative file only at start: a new container, which passed the keyed health check.
    assert after["kong"]["id"] != before["kong"]


def test_host_without_docker(releases, tmp_path: Path):
    """The deploy user may run the docker CLI but is not in the docker group and has no Compose plugin."""
    bare = start_sshd()
    try:
        target = Target("127.0.0.1", bare.user, bare.port, tmp_path / "kh", True, timeout=5)
        with pytest.raises(
            DeployError,
            match=r"no Docker with the Compose plugin on the host \(.*(docker: (command )?not found|'compose' is not a docker command|unknown command: docker compose)",
        ):
            deploy(DeployOptions(target, bare.key, root=bare.root), releases["one"])
    finally:
        bare.stop()


def test_a_booting_host_is_waited_for(engine: Engine, tmp_path: Path):
    """A host whose Compose plugin is still being installed (cloud-init) is waited for, then checked for real.

    prepare() runs the same preflight as deploy() and leaves the module's host and its containers alone.
    """
    booting = start_sshd(docker=True, plugin=False)
    try:
        target = Target("127.0.0.1", booting.user, booting.port, tmp_path / "kh", True, timeout=5)
        options = DeployOptions(target, booting.key, root=booting.root, ready_timeout=60)
        threading.Timer(1.5, install_compose_plugin, [booting.docker_config]).start()
        clock = time.monotonic()
        found = prepare(options)
        assert found["compose"].startswith("Docker Compose version v2.") and time.monotonic() - clock >= 1.5
    finally:
        booting.stop()


def test_sshd_leaves_no_keys_and_no_user_behind():
    """stop() removes the work folder (it holds private keys) and, as root, the deploy user it created."""
    import pwd

    server = start_sshd()
    work, user = server.workdir, server.user
    assert (work / "client_key").is_file()
    server.stop()
    assert not work.exists()
    if os.geteuid() == 0:
        with pytest.raises(KeyError):
            pwd.getpwnam(user)
        assert not Path(f"/home/{user}").exists()


pytestmark = pytest.mark.skipif(
    not Path("/usr/sbin/sshd").exists()
    or os.geteuid() != 0
    or subprocess.run(["getent", "group", "docker"]).returncode,
    reason="needs root, sshd and the docker group (apt-get install openssh-server docker.io)",
)
