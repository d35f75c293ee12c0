"""Schemathesis over every operation of the six services as `fountain dev` serves them, on SQLite and PostgreSQL.

The real CLI of the pinned Schemathesis: every check, every phase (examples, coverage, fuzzing and the
stateful phase, which follows the `links` the generator adds from each create to its item operations),
a fixed seed, 100 examples an operation, no operation and no check excluded. The six services run once
per database (a module fixture), as a user starts them; each spec version is one test against them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import PROJECT_SPECS, ROOT
from .dev_server import KEY, fountain_dev, postgres_databases

POSTGRES = os.environ.get("FOUNTAIN_TEST_POSTGRES_URL")
SEED = 20261127
EXAMPLES = 100
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
PACKAGES = [
    "central_sequence",
    "character",
    "core_script_management",
    "logging_service",
    "session_context",
    "story_factory",
]
# Story Factory's domain is written on branch issue-12a (issue 12 part A); until it is merged every operation
# of it answers 501. strict: the marker fails the suite once Story Factory passes, so it cannot outlive the cause.
STORY_FACTORY_PENDING = pytest.mark.xfail(
    strict=True, reason="Story Factory answers 501 until issue 12 part A (branch issue-12a) lands its domain"
)


def _spec_versions() -> list:
    versions = sorted((folder.name, spec.stem) for folder in PROJECT_SPECS.iterdir() for spec in folder.glob("v*.yaml"))
    return [
        pytest.param(
            slug, version, marks=[STORY_FACTORY_PENDING] if slug == "story-factory" else [], id=f"{slug}-{version}"
        )
        for slug, version in versions
    ]


def schemathesis_run(spec: Path, base_url: str, cwd: Path) -> subprocess.CompletedProcess:
    """The Schemathesis CLI over spec against base_url: all checks and phases, fixed seed, 100 examples."""
    command = [
        str(SCHEMATHESIS),
        "run",
        str(spec),
        "--url",
        base_url,
        "--header",
        f"X-API-KEY: {KEY}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        # One worker: the machine is small, and a fixed seed then draws the same cases in the same order.
        "--workers",
        "1",
        "--output-truncate",
        "false",
    ]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)


def assert_every_operation_passed(result: subprocess.CompletedProcess, operations: int) -> None:
    """Exit 0, and the summary says every operation of the spec was selected and tested."""
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(rf"Selected: {operations}/{operations}\b", output), output
    assert re.search(rf"Tested: {operations}\b", output), output


def operation_count(spec: Path) -> int:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    paths = yaml.safe_load(spec.read_text())["paths"]
    return sum(1 for item in paths.values() for method in item if method in methods)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dev(request, tmp_path_factory) -> tuple[Path, str]:
    """The six services under `fountain dev` on the database kind; (project folder, base URL)."""
    database = None
    if request.param == "postgresql":
        if not POSTGRES:
            pytest.skip("FOUNTAIN_TEST_POSTGRES_URL is not set (scripts/test starts a throwaway cluster)")
        database = postgres_databases(POSTGRES, PACKAGES)
    project = tmp_path_factory.mktemp(f"dev-{request.param}")
    with fountain_dev(project, PROJECT_SPECS, ROOT / "services", database) as base:
        yield project, base


@pytest.mark.parametrize(("slug", "version"), _spec_versions())
def test_schemathesis_passes_every_operation(dev, slug: str, version: str):
    project, base = dev
    # The generated spec: the project's spec plus the links the stateful phase follows.
    [spec] = (project / "build" / "services" / slug).glob(f"*/{version}/openapi.json")
    result = schemathesis_run(spec, f"{base}/{slug}/{version}", project)
    assert_every_operation_passed(result, operation_count(PROJECT_SPECS / slug / f"{version}.yaml"))
