"""Schemathesis over every operation of the six services as `fountain dev` serves them, on SQLite and PostgreSQL.

The real CLI of the pinned Schemathesis: every check, every phase (examples, coverage, fuzzing and the
stateful phase, which follows the `links` the generator adds from each create to its item operations),
a fixed seed, 100 examples an operation, no operation and no check excluded. The six services run once
per database (a module fixture), as a user starts them; each spec version is one test against them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import PROJECT_SPECS, ROOT
from .dev_server import (
    assert_every_operation_tested,
    fountain_dev,
    operation_count,
    postgres_databases,
    schemathesis_run,
)

POSTGRES = os.environ.get("FOUNTAIN_TEST_POSTGRES_URL")
PACKAGES = [
    "central_sequence",
    "character",
    "core_script_management",
    "logging_service",
    "session_context",
    "story_factory",
]


def _spec_versions() -> list:
    versions = sorted((folder.name, spec.stem) for folder in PROJECT_SPECS.iterdir() for spec in folder.glob("v*.yaml"))
    return [pytest.param(slug, version, id=f"{slug}-{version}") for slug, version in versions]


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
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert_every_operation_tested(output, operation_count(PROJECT_SPECS / slug / f"{version}.yaml"))
