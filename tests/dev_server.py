"""`fountain dev` as a user starts it (a scratch project holding specs and domain modules), and the Schemathesis CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import yaml

from implement.dependencies import dev_server

from .conftest import ROOT

KEY = "dev-key-for-the-test"
SEED = 20261127
EXAMPLES = 100
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def schemathesis_run(spec: Path, base_url: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
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
        *extra,
    ]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)


def assert_every_operation_tested(output: str, operations: int) -> None:
    """The run's summary says every operation of the spec was selected and tested."""
    assert re.search(rf"Selected: {operations}/{operations}\b", output), output
    assert re.search(rf"Tested: {operations}\b", output), output


def operation_count(spec: Path) -> int:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    paths = yaml.safe_load(spec.read_text())["paths"]
    return sum(1 for item in paths.values() for method in item if method in methods)


def postgres_databases(admin_url: str, packages: list[str]) -> str:
    """One fresh database per service package on the test's PostgreSQL; the URL template naming them."""
    import psycopg

    prefix = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        for package in packages:
            connection.execute(f'CREATE DATABASE "{prefix}_{package}"')
    return admin_url.rsplit("/", 1)[0] + f"/{prefix}_{{service}}"


@contextmanager
def fountain_dev(project: Path, specs: Path, services: Path, database: str | None = None):
    """`fountain dev` in project (specs/ and services/ linked in) on a free port; yields the base URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FOUNTAIN_DEV_API_KEY": KEY}
    env.pop("FOUNTAIN_DEV_DATABASE", None)
    if database is not None:
        env["FOUNTAIN_DEV_DATABASE"] = database
    with dev_server(project, specs, services, env) as base:
        yield base
