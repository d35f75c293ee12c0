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


@pytest.fixture(scope="session")
def engine():
    """A running Docker engine with the Compose plugin (started here if none answers), else the test skips."""
    from .engine import start_engine

    found = start_engine()
    if isinstance(found, str):
        pytest.skip(f"no Docker engine: {found}")
    return found


def base_images(engine) -> dict[str, str]:
    """The base images the bundle names, built locally at the registry's edge (cached by recipe hash)."""
    import re

    from generator.bundle.settings import BundleSettings

    from .edge_images import edge_images

    settings = BundleSettings()
    dockerfile = (ROOT / "generator" / "templates" / "Dockerfile.j2").read_text()
    python = re.search(r"^FROM (\S+)", dockerfile, re.M).group(1)
    return edge_images(engine, python, settings.postgres_image, settings.kong_image)


@pytest.fixture(scope="session")
def edge(engine):
    """base_images() once per session."""
    return base_images(engine)
