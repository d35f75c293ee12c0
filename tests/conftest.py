"""Shared paths and helpers of the project's tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_SPECS = ROOT / "specs"
# Tests over spec collections a fresh clone does not have (the real FountainAI v4 specs, broken specs)
# run only when this setting names their folder; .ci/run points it at ../shared/specs.
EXTRA_SPECS_SETTING = "FOUNTAIN_EXTRA_SPECS"
_EXTRA = os.environ.get(EXTRA_SPECS_SETTING, "").strip()
EXTRA_SPECS = Path(_EXTRA).resolve() if _EXTRA else Path("/nonexistent-extra-specs")
extra_specs = pytest.mark.extra_specs
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"extra_specs: runs only when {EXTRA_SPECS_SETTING} names the spec collections")
    if _EXTRA and not EXTRA_SPECS.is_dir():
        raise pytest.UsageError(
            f"{EXTRA_SPECS_SETTING}={_EXTRA}: not a folder (it should hold fountainai-v4/ and invalid/)"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _EXTRA:
        return
    left_out = [item for item in items if item.get_closest_marker("extra_specs")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("extra_specs")]
        config.stash[_REASON] = (
            f"{len(left_out)} test(s) over extra spec collections not collected: "
            f"{EXTRA_SPECS_SETTING} is not set (.ci/run sets it to ../shared/specs)"
        )


def pytest_report_collectionfinish(config: pytest.Config) -> str | list[str]:
    return config.stash.get(_REASON, [])


_REASON = pytest.StashKey[str]()


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
    return edge_images(engine, python, settings.postgres_image, settings.kong_image, settings.acme_store_image)


@pytest.fixture(scope="session")
def edge(engine):
    """base_images() once per session."""
    return base_images(engine)


@pytest.fixture(scope="session")
def deploy_host(engine, edge, tmp_path_factory):
    """A real sshd with the engine behind it and character's derived images (tests/deploy_host.py), shared by
    the provisioning tests and the registry's, so the images and the running release carry over."""
    from .deploy_host import down, start_host

    server, derived = start_host(engine, tmp_path_factory.mktemp("host"))
    yield server, derived
    server.stop()
    down(engine)
