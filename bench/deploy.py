"""Benchmark: first, changed and no-op deploys over loopback SSH, beside the guide's pull-and-up in the same run.

Run (as root, or as a user that may run sshd): .venv/bin/python bench/deploy.py
A real sshd on 127.0.0.1 and the test host's stand-in container engine (tests/hostbin/docker).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.bundle.files import BUNDLE_FILES  # noqa: E402
from generator.bundle.tools import compose_binary  # noqa: E402
from provision import (  # noqa: E402
    DeployOptions,
    commands,  # noqa: E402
    deploy,
)
from provision.connection import Host, Target, load_key  # noqa: E402
from provision.envfiles import Secrets  # noqa: E402
from provision.release import build_release  # noqa: E402
from tests.sshd import start_sshd  # noqa: E402

RUNS = 5
SERVICES = ["central-sequence", "character", "core-script-management", "logging", "session-context", "story-factory"]


def secrets(seed: str) -> Secrets:
    return Secrets(
        {s: f"db-{seed}-{s}-0123456789" for s in SERVICES}, {"ops": f"ops-{seed}-0123456789"}, f"pg-{seed}-x" * 2
    )


def one_run(host, target: Target, bundle: Path, run: int) -> dict[str, float]:
    """One of each case, in a fresh release root, timed end to end (connection included)."""
    root = f"{host.root}/run{run}"
    options = DeployOptions(target, host.key, root=root, health_timeout=10)
    first, second = build_release(bundle, secrets(f"a{run}")), build_release(bundle, secrets(f"b{run}"))
    times: dict[str, float] = {}
    clock = time.perf_counter()
    session = Host(target, load_key(host.key))
    session.open()
    session.run(["true"])
    session.close()
    times["ssh"] = time.perf_counter() - clock
    for case, release in (("first", first), ("changed", second), ("noop", second)):
        clock = time.perf_counter()
        deploy(options, release)
        times[case] = time.perf_counter() - clock
    compose = f"{root}/current/compose/docker-compose.yml"
    pull_up = [commands.compose(compose, "pull"), commands.compose(compose, "up", "-d")]
    clock = time.perf_counter()
    guide = Host(target, load_key(host.key))
    guide.open()
    guide.run(*pull_up)
    guide.close()
    times["guide"] = time.perf_counter() - clock
    return times


def main() -> None:
    host = start_sshd(str(compose_binary()))
    work = Path(tempfile.mkdtemp(prefix="fountain-bench-"))
    try:
        bundle = work / "bundle"
        for rel in BUNDLE_FILES:
            (bundle / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, bundle / rel)
        known = work / "known_hosts"
        target = Target("127.0.0.1", host.user, host.port, known, accept_new_host_key=True)
        runs = [one_run(host, target, bundle, run) for run in range(RUNS)]
        figures = {key: [r[key] for r in runs] for key in ("ssh", "guide", "first", "changed", "noop")}
        labels = {
            "ssh": "baseline: connect + `true`",
            "guide": "baseline: the guide's pull && up -d",
            "first": "first deploy",
            "changed": "changed deploy",
            "noop": "no-op deploy",
        }
        print(f"{'case':38} {'median s':>9} {'min s':>7} {'max s':>7}   ({RUNS} runs, loopback SSH)")
        for key, label in labels.items():
            values = figures[key]
            print(f"{label:38} {statistics.median(values):>9.2f} {min(values):>7.2f} {max(values):>7.2f}")
        print("target: a no-op deploy under 2 s")
    finally:
        host.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
