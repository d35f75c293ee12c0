"""Benchmark: deploys over SSH against real containers, beside the guide's `pull && up -d` in the same run.

A real sshd on 127.0.0.1 with the real Docker engine behind it (tests/deploy_host.py: the deploy user in the
docker group, the six service images built from their generated trees on the local base images). Each run
starts from nothing (`down -v`) in a fresh release root and times, end to end (connection included):
- first deploy: PostgreSQL with its init script, six services migrating, Kong, every health check;
- changed deploy: character's image changes (one more migration, run before the switch);
- no-op deploy: the same release again;
- rollback: back to the first release (character recreated on the older image);
and, for the same change as the changed deploy, the guide's way: copy the new compose file in place and run
`docker compose pull && docker compose up -d` over SSH (no upload check, migration gate or health gate);
both pull with `--policy missing`, as nothing can be pulled here and every image is already in the engine.
Run as root: .venv/bin/python bench/deploy.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.contract import COMPOSE_FILE  # noqa: E402
from provision import DeployError, DeployOptions, commands, deploy, rollback, status  # noqa: E402
from provision.connection import Host, Target, load_key  # noqa: E402
from provision.release import build_release  # noqa: E402
from tests.conftest import base_images  # noqa: E402
from tests.deploy_host import HEALTH_TIMEOUT, bundle, down, secrets, start_host  # noqa: E402
from tests.engine import Engine, start_engine  # noqa: E402

LABELS = {
    "ssh": "baseline: SSH connect + `true`",
    "guide": "baseline: the guide's pull && up -d (same change)",
    "first": "first deploy (empty host)",
    "changed": "changed deploy (one service's image)",
    "noop": "no-op deploy",
    "rollback": "rollback to the previous release",
}


def _timed(step) -> float:
    clock = time.perf_counter()
    step()
    return time.perf_counter() - clock


def _ssh(host, target: Target, *argvs: list[str]) -> None:
    session = Host(target, load_key(host.key))
    session.open()
    try:
        session.run(*argvs)
    finally:
        session.close()


def one_run(engine: Engine, host, target: Target, work: Path, extra_image: str, run: int) -> dict[str, float]:
    """One of each case on an empty engine, in a fresh release root."""
    down(engine)
    root = f"{host.root}/run{run}"
    options = DeployOptions(target, host.key, root=root, health_timeout=HEALTH_TIMEOUT, lock_ttl=900)
    first = build_release(bundle(work / f"first{run}", note=f"run {run}"), secrets(f"run{run}"))
    changed = build_release(bundle(work / f"changed{run}", extra_image, f"run {run}"), secrets(f"run{run}"))
    times = {"ssh": _timed(lambda: _ssh(host, target, ["true"]))}
    times["first"] = _timed(lambda: deploy(options, first))
    times["changed"] = _timed(lambda: deploy(options, changed))
    times["noop"] = _timed(lambda: deploy(options, changed))
    times["rollback"] = _timed(lambda: rollback(options))
    report = status(options)
    assert report["current"] == first.name and report["healthy"], report
    # The guide's way for the same change: the new compose file in place of the running one, then pull && up -d.
    running = f"{root}/current/{COMPOSE_FILE}"
    copy = ["cp", f"{root}/releases/{changed.name}/{COMPOSE_FILE}", running]
    pull_up = [commands.compose_pull(running), commands.compose(running, "up", "-d")]
    times["guide"] = _timed(lambda: _ssh(host, target, copy, *pull_up))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    engine = start_engine()
    if isinstance(engine, str):
        sys.exit(f"bench/deploy.py: no Docker engine: {engine}")
    work = Path(tempfile.mkdtemp(prefix="fountain-bench-"))
    base_images(engine)
    host, derived = start_host(engine, work / "host")
    try:
        target = Target("127.0.0.1", host.user, host.port, work / "known_hosts", accept_new_host_key=True, timeout=10)
        runs = []
        for run in range(args.runs * 3):
            if len(runs) == args.runs:
                break
            try:
                runs.append(one_run(engine, host, target, work, derived["extra"], run))
            except (DeployError, AssertionError) as error:
                # Another project on a shared engine (same ports and network) can take the containers away.
                print(f"run {run} failed, not counted: {str(error).splitlines()[0]}", flush=True)
    finally:
        host.stop()
        down(engine)
    if not runs:
        sys.exit("bench/deploy.py: every run failed")
    print(f"{'case':52} {'median s':>9} {'min s':>7} {'max s':>7}   ({len(runs)} runs, real containers)")
    for key, label in LABELS.items():
        values = [r[key] for r in runs]
        print(f"{label:52} {statistics.median(values):>9.2f} {min(values):>7.2f} {max(values):>7.2f}")
    print("target: a no-op deploy under 2 s")


if __name__ == "__main__":
    main()
