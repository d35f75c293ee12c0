"""Generate a spec into a scratch project and run Python inside the generated tree, as a user of it would."""

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from .conftest import run_fountain

POSTGRES = os.environ.get("FOUNTAIN_TEST_POSTGRES_URL")

# The prelude every snippet gets: an app on DATABASE_URL, entered so its migrations run.
PRELUDE = """
import os, importlib
from fastapi.testclient import TestClient
pkg = importlib.import_module(os.environ["PKG"] + ".main")
settings = importlib.import_module(os.environ["PKG"] + ".config").Settings(database_url=os.environ["DB"], api_keys="k")
app = pkg.create_app(settings)
"""


def generate(project: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_fountain("generate", "specs", "-o", "out", *extra, cwd=project)


def run_in_tree(tree: Path, package: str, database: str, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree), "PKG": package, "DB": database}
    script = PRELUDE + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], cwd=tree, env=env, capture_output=True, text=True, timeout=300
    )


def fresh_postgres() -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


def database_url(kind: str, folder: Path) -> str:
    return fresh_postgres() if kind == "postgresql" else f"sqlite:///{folder}/data.db"
