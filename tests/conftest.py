"""Shared paths and helpers of the project's tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPECS = ROOT.parent / "shared" / "specs"
PROJECT_SPECS = ROOT / "specs"
FOUNTAIN = [sys.executable, "-m", "fountain"]


def run_fountain(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([*FOUNTAIN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder: services/ stubs land here."""
    (tmp_path / "services").mkdir()
    return tmp_path


# tests/golden/ holds generated trees (with their own tests): compared as bytes, never collected or run here.
collect_ignore_glob = ["golden/*"]
