"""What a fresh clone holds is enough: the workflow's drift check and the test suite's collection."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, run_fountain


def _committed_copy(target: Path) -> Path:
    """The repository's tracked files (as they are in the work tree), without build/ or anything beside it."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    for rel in filter(None, listed.stdout.split("\0")):
        source = ROOT / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    return target


def test_drift_check_passes_on_a_fresh_clone(tmp_path: Path):
    clone = _committed_copy(tmp_path / "clone")
    assert not (clone / "build").exists()
    result = run_fountain("generate", "--check", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert "compared the bundle" in result.stderr
    # A changed committed file is still drift.
    (clone / "kong" / "kong.yml").write_text((clone / "kong" / "kong.yml").read_text() + "# edited\n")
    drift = run_fountain("generate", "--check", cwd=clone)
    assert drift.returncode == 1 and "kong.yml (differs)" in drift.stderr


def test_extra_spec_tests_are_not_collected_without_the_setting(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "FOUNTAIN_EXTRA_SPECS"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert collected and not [line for line in collected if "v4" in line or "test_invalid_spec" in line]
    reason = [line for line in result.stdout.splitlines() if "FOUNTAIN_EXTRA_SPECS" in line]
    assert len(reason) == 1 and "not collected" in reason[0], result.stdout[-2000:]
