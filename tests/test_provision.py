"""Provisioning against a real OpenSSH sshd on 127.0.0.1, through real fabric, as a non-root deploy user.

The only stand-in is the host's container engine (tests/hostbin/docker) and, for one case, a dropped
sftp session (tests/hostbin/sftp-server). After every case the host's `current` release serves.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest

from generator.bundle.files import BUNDLE_FILES, COMPOSE_FILE
from generator.bundle.tools import compose_binary
from provision import DeployError, DeployOptions, deploy, prepare, rollback, status
from provision.connection import Target
from provision.envfiles import Secrets
from provision.release import Release, build_release

from .conftest import ROOT, run_fountain
from .sshd import Sshd, start_sshd

pytestmark = pytest.mark.skipif(not shutil.which("sshd") and not Path("/usr/sbin/sshd").exists(), reason="no sshd")

SERVICES = ["central-sequence", "character", "core-script-management", "logging", "session-context", "story-factory"]


def _secrets(seed: str = "one") -> Secrets:
    return Secrets(
        database_passwords={s: f"db-{seed}-{s}-0123456789" for s in SERVICES},
        consumer_keys={"ops": f"ops-key-{seed}-0123456789abcdef"},
        postgres_password=f"pg-{seed}-0123456789abcdef",
        logging_key=f"log-key-{seed}-0123456789",
    )


def _bundle(tmp: Path, image_suffix: str = "") -> Path:
    """A copy of the committed bundle; a suffix changes character's image, as a new build would."""
    for rel in BUNDLE_FILES:
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp / rel)
    if image_suffix:
        compose = tmp / COMPOSE_FILE
        text = compose.read_text()
        start = text.index("image: fountainai/character:")
        end = text.index("\n", start)
        compose.write_text(text[:end] + image_suffix + text[end:])
    return tmp


@pytest.fixture(scope="module")
def host() -> Sshd:
    server = start_sshd(str(compose_binary()))
    yield server
    server.stop()


@pytest.fixture
def options(host: Sshd, tmp_path: Path) -> DeployOptions:
    host.faults()
    host.cut_uploads_after(None)
    target = Target("127.0.0.1", host.user, host.port, tmp_path / "known_hosts", accept_new_host_key=True, timeout=5)
    return DeployOptions(target, host.key, root=host.root, keep=3, lock_ttl=60, health_timeout=3)


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, Release]:
    base = tmp_path_factory.mktemp("bundles")
    return {
        "one": build_release(_bundle(base / "one"), _secrets("one")),
        "two": build_release(_bundle(base / "two"), _secrets("two")),
        "broken": build_release(_bundle(base / "broken", "-unhealthy"), _secrets("two")),
        "unpullable": build_release(_bundle(base / "unpullable", "-missing"), _secrets("two")),
    }


def assert_serves(host: Sshd, options: DeployOptions, release: str) -> None:
    """`current` points at the release, Compose runs exactly its file, and every service is healthy."""
    report = status(options)
    assert report["current"] == release and report["healthy"], report
    state = json.loads((host.docker_state / "state.json").read_text())
    assert state["compose_file"] == str(Path(host.root) / "releases" / release / COMPOSE_FILE)
    assert report["locked_by"] is None


def _ensure(options: DeployOptions, release: Release) -> None:
    outcome = deploy(options, release)
    assert outcome.release == release.name


def _give_to_deploy_user(host: Sshd, *paths: Path) -> None:
    owner = os.stat(host.docker_state)
    for path in paths:
        os.chown(path, owner.st_uid, owner.st_gid)


def test_first_deploy(host: Sshd, options: DeployOptions, releases):
    assert not (Path(host.root) / "current").exists()
    said: list[str] = []
    outcome = deploy(options, releases["one"], said.append)
    assert outcome.action == "deployed"
    assert any("uploading" in m for m in said) and any("pulling" in m for m in said)
    assert_serves(host, options, releases["one"].name)
    env_dir = Path(host.root) / "releases" / releases["one"].name / "compose" / "env"
    for env in env_dir.iterdir():
        # Kong's config is read inside its container by the `kong` user: readable, but only through the
        # release root, which no other user of the host may enter (0750, the deploy user's group).
        expected = 0o644 if env.name == "kong.yml" else 0o600
        assert stat.S_IMODE(env.stat().st_mode) == expected, env
        assert env.stat().st_uid == os.stat(host.docker_state).st_uid
    for folder in (Path(host.root), Path(host.root) / "releases"):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o007 == 0, folder
    # Secrets reach the host only inside those files: not in any command the engine ran, not in the audit.
    calls = (host.docker_state / "calls.log").read_text()
    assert "exec -T postgres bash /docker-entrypoint-initdb.d/10-fountain-databases.sh" in calls
    audit = (Path(host.root) / "audit.log").read_text()
    for value in _secrets("one").database_passwords.values():
        assert value not in calls and value not in audit
    assert audit.splitlines()[-1].endswith(f"deploy {releases['one'].name} ok")


def test_redeploying_the_current_release_does_nothing(host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    calls_before = (host.docker_state / "calls.log").read_text().count(" pull")
    outcome = deploy(options, releases["one"])
    assert outcome.action == "noop" and "already current and healthy; nothing to do" in outcome.message
    assert (host.docker_state / "calls.log").read_text().count(" pull") == calls_before
    assert_serves(host, options, releases["one"].name)


def test_failed_pull_leaves_the_running_release_untouched(host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    host.faults(pull_fail=["-missing"])
    with pytest.raises(DeployError) as error:
        deploy(options, releases["unpullable"])
    assert str(error.value) == (
        f"release {releases['unpullable'].name}: pulling images failed (Error response from daemon: manifest for "
        f"fountainai/character:{_tag(releases['unpullable'])} not found); release {releases['one'].name} keeps running"
    )
    host.faults()
    assert_serves(host, options, releases["one"].name)


def _tag(release: Release) -> str:
    text = release.files[COMPOSE_FILE].decode()
    start = text.index("image: fountainai/character:") + len("image: fountainai/character:")
    return text[start : text.index("\n", start)]


def test_failed_health_check_rolls_back(host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    host.faults(unhealthy_images=["-unhealthy"])
    with pytest.raises(DeployError) as error:
        deploy(options, releases["broken"])
    first, _, logs = str(error.value).partition("\n")
    assert first == (
        f"release {releases['broken'].name}: unhealthy: character; rolled back to {releases['one'].name} (healthy again)"
    )
    assert "--- last log lines of character ---" in logs and "ERROR connection to postgres refused" in logs
    assert_serves(host, options, releases["one"].name)
    audit = (Path(host.root) / "audit.log").read_text().splitlines()
    assert audit[-1].endswith(
        f"deploy {releases['broken'].name} rolled-back-to:{releases['one'].name}:unhealthy:character"
    )


def test_upload_cut_off_midway_never_becomes_a_release(host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    host.cut_uploads_after(4000)
    with pytest.raises(DeployError, match="upload of .* failed|connection lost"):
        deploy(options, releases["two"])
    host.cut_uploads_after(None)
    releases_dir = Path(host.root) / "releases"
    assert not (releases_dir / releases["two"].name).exists()
    assert list(releases_dir.glob(".incoming-*")), "the cut-off upload left its incoming folder"
    assert_serves(host, options, releases["one"].name)
    assert deploy(options, releases["two"]).action == "deployed"
    assert not list(releases_dir.glob(".incoming-*"))
    assert_serves(host, options, releases["two"].name)


def test_two_deploys_at_once(host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    host.faults(slow_pull=3)
    results: dict[str, object] = {}

    def first() -> None:
        results["first"] = deploy(options, releases["two"])

    thread = threading.Thread(target=first)
    thread.start()
    lock = Path(host.root) / "deploy.lock" / "owner"
    deadline = time.monotonic() + 10
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(
        DeployError, match=r"^deploy refused: .* is locked by \S+@\S+ since \d{4}-\d\d-\d\dT.*expires at"
    ):
        deploy(options, releases["two"])
    thread.join(30)
    assert results["first"].action == "deployed"
    host.faults()
    assert_serves(host, options, releases["two"].name)


def test_a_stale_lock_expires(host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    lock = Path(host.root) / "deploy.lock"
    lock.mkdir()
    (lock / "owner").write_text(f"ghost@elsewhere {time.time() - 3600:.0f} 1 deadbeef\n")
    _give_to_deploy_user(host, lock, lock / "owner")
    said: list[str] = []
    assert deploy(options, releases["two"], said.append).action == "deployed"
    assert any("took over a stale lock held by ghost@elsewhere" in m for m in said)
    assert_serves(host, options, releases["two"].name)


def test_rollback_to_an_older_release(host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    _ensure(options, releases["two"])
    assert rollback(options).release == releases["one"].name  # the previous one
    assert_serves(host, options, releases["one"].name)
    assert rollback(options, to=releases["two"].name).release == releases["two"].name
    assert_serves(host, options, releases["two"].name)
    with pytest.raises(DeployError, match="release nosuchrelease is not on the host"):
        rollback(options, to="nosuchrelease")
    assert_serves(host, options, releases["two"].name)


def test_old_releases_are_pruned(host: Sshd, options: DeployOptions, releases, tmp_path: Path):
    for seed in ("p1", "p2", "p3", "p4"):
        _ensure(options, build_release(_bundle(tmp_path / seed), _secrets(seed)))
    kept = [p for p in (Path(host.root) / "releases").iterdir() if not p.name.startswith(".")]
    assert len(kept) == options.keep
    assert (Path(host.root) / "current").resolve().name in {p.name for p in kept}
    assert (Path(host.root) / "previous").resolve().name in {p.name for p in kept}


def test_unreachable_host(options: DeployOptions, releases, host: Sshd):
    _ensure(options, releases["one"])
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    target = Target("127.0.0.1", host.user, closed, options.target.known_hosts, True, timeout=3)
    bad = DeployOptions(target, options.private_key, root=options.root)
    with pytest.raises(DeployError) as error:
        deploy(bad, releases["two"])
    assert str(error.value) == f"{host.user}@127.0.0.1:{closed}: host unreachable (Connection refused)"
    assert_serves(host, options, releases["one"].name)


def test_wrong_key(options: DeployOptions, releases, host: Sshd):
    _ensure(options, releases["one"])
    bad = DeployOptions(options.target, host.wrong_key, root=options.root)
    with pytest.raises(DeployError) as error:
        deploy(bad, releases["two"])
    assert str(error.value) == f"{host.user}@127.0.0.1:{host.port}: the host refused the SSH key for user {host.user}"
    assert_serves(host, options, releases["one"].name)


def test_unknown_host_key_is_refused_without_accept_new(options: DeployOptions, releases, host: Sshd, tmp_path: Path):
    strict = Target("127.0.0.1", host.user, host.port, tmp_path / "empty_known_hosts", accept_new_host_key=False)
    with pytest.raises(DeployError, match="unknown host key; check it and rerun with --accept-new-host-key"):
        deploy(DeployOptions(strict, options.private_key, root=options.root), releases["one"])


def test_host_without_docker(releases, tmp_path: Path):
    bare = start_sshd(str(compose_binary()), with_docker=False)
    try:
        target = Target("127.0.0.1", bare.user, bare.port, tmp_path / "kh", True, timeout=5)
        with pytest.raises(
            DeployError,
            match=r"no Docker with the Compose plugin on the host \(.*(docker: (command )?not found|'compose' is not a docker command|unknown command: docker compose)",
        ):
            deploy(DeployOptions(target, bare.key, root=bare.root), releases["one"])
    finally:
        bare.stop()


def test_a_booting_host_is_waited_for(releases, tmp_path: Path):
    booting = start_sshd(str(compose_binary()), with_docker=False)
    try:
        target = Target("127.0.0.1", booting.user, booting.port, tmp_path / "kh", True, timeout=5)
        options = DeployOptions(target, booting.key, root=booting.root, ready_timeout=30, health_timeout=3)
        said: list[str] = []

        def install_docker_later() -> None:
            time.sleep(1.5)
            shutil.copy(booting.workdir / "bin" / "sftp-server", booting.workdir / "bin" / "docker")
            wrapper = booting.workdir / "bin" / "docker"
            wrapper.write_text(wrapper.read_text().replace("sftp-server", "docker"))

        threading.Thread(target=install_docker_later).start()
        assert deploy(options, releases["one"], said.append).action == "deployed"
        assert "waiting for the host to be ready (Docker with Compose)" in said
    finally:
        booting.stop()


def test_fountain_deploy_command_reads_secrets_on_stdin(host: Sshd, options: DeployOptions, releases, tmp_path: Path):
    import subprocess
    import sys

    payload = json.dumps(
        {
            "ssh_private_key": host.key,
            "secrets": {
                "database_passwords": _secrets("cli").database_passwords,
                "consumer_keys": _secrets("cli").consumer_keys,
                "postgres_password": _secrets("cli").postgres_password,
                "logging_key": _secrets("cli").logging_key,
            },
        }
    )
    argv = [
        sys.executable, "-m", "fountain", "deploy", "127.0.0.1", "--port", str(host.port), "--user", host.user,
        "--root", host.root, "--bundle", str(ROOT), "--known-hosts", str(tmp_path / "kh"), "--accept-new-host-key",
        "--secrets-stdin", "--health-timeout", "3",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, input=payload, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "is live and healthy" in done.stderr
    assert host.key not in done.stderr + done.stdout
    refused = run_fountain("deploy", "127.0.0.1", "--port", "1", "--bundle", str(ROOT), cwd=tmp_path)
    assert refused.returncode == 1 and "error no SSH key: pass --identity FILE" in refused.stderr


def test_prepare_is_idempotent(host: Sshd, options: DeployOptions):
    first, second = prepare(options), prepare(options)
    assert first["compose"] == second["compose"] == "Docker Compose version v2.40.3"
    assert first["user"] == host.user and first["free_mb"] > 0
    assert (Path(host.root) / "releases").is_dir()


def test_full_disk_is_refused(host: Sshd, options: DeployOptions, releases):
    _ensure(options, releases["one"])
    greedy = DeployOptions(options.target, options.private_key, root=options.root, min_free_mb=10**9)
    with pytest.raises(DeployError, match=r": disk full: \d+ MB free under .*, a deploy needs 1000000000 MB$"):
        deploy(greedy, releases["two"])
    assert_serves(host, options, releases["one"].name)


def test_sshd_leaves_no_keys_and_no_user_behind():
    """stop() removes the work folder (it holds private keys) and, as root, the deploy user it created."""
    import pwd

    server = start_sshd(str(compose_binary()), with_docker=False)
    work, user = server.workdir, server.user
    assert (work / "client_key").is_file()
    server.stop()
    assert not work.exists()
    if os.geteuid() == 0:
        with pytest.raises(KeyError):
            pwd.getpwnam(user)
        assert not Path(f"/home/{user}").exists()


def test_every_outcome_is_one_audit_line(host: Sshd, options: DeployOptions, releases):
    """The runbook audits a failed step in one line; a deploy refused at the lock touched nothing and writes none."""
    _ensure(options, releases["one"])
    audit = Path(host.root) / "audit.log"
    before = audit.read_text().splitlines()
    host.faults(pull_fail=["-missing"])
    with pytest.raises(DeployError, match="pulling images failed"):
        deploy(options, releases["unpullable"])
    host.faults()
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
    assert_serves(host, options, releases["one"].name)
