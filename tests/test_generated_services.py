"""Every generated service is ruff-clean and passes its own tests and Schemathesis, on SQLite and PostgreSQL."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .conftest import EXTRA_SPECS, PROJECT_SPECS, extra_specs, run_fountain

# "shapes": our own specs of the REST shapes real specs use (nested, paged envelopes, allOf ids).
SPEC_SETS = {
    "project": PROJECT_SPECS,
    "fountainai-v4": EXTRA_SPECS / "fountainai-v4",
    "shapes": Path(__file__).parent / "specs",
}
POSTGRES = os.environ.get("FOUNTAIN_TEST_POSTGRES_URL")


@pytest.fixture(scope="module", params=[pytest.param("fountainai-v4", marks=extra_specs), "project", "shapes"])
def generated(request, tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp(request.param)
    result = run_fountain("generate", str(SPEC_SETS[request.param]), "-o", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    return project / "out"


def _ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "ruff"), *args], cwd=cwd, capture_output=True, text=True)


def test_generated_code_is_ruff_clean(generated: Path):
    for tree in sorted(generated.iterdir()):
        lint = _ruff("check", "--no-cache", ".", cwd=tree)
        assert lint.returncode == 0, lint.stdout
        fmt = _ruff("format", "--check", "--no-cache", ".", cwd=tree)
        assert fmt.returncode == 0, fmt.stdout


def _fresh_database() -> str:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_generated_tests_and_schemathesis_pass(generated: Path, database: str):
    if database == "postgresql" and not POSTGRES:
        pytest.skip("FOUNTAIN_TEST_POSTGRES_URL is not set (scripts/test starts a throwaway cluster)")
    failures = []
    for tree in sorted(generated.iterdir()):
        env = {**os.environ, "PYTHONPATH": str(tree)}
        env.pop("TEST_DATABASE_URL", None)
        if database == "postgresql":
            env["TEST_DATABASE_URL"] = _fresh_database()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests"],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        # The allowances (501 stubs, undocumented 401/422 where the spec documents none) are listed by name.
        allowances = [line for line in result.stdout.splitlines() if "allowance:" in line]
        print(f"{tree.name} [{database}]: {result.stdout.strip().splitlines()[-1] if result.stdout else ''}")
        for line in sorted(set(allowances)):
            print("   ", line.strip())
        if result.returncode != 0:
            failures.append(f"{tree.name}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    assert not failures, "\n\n".join(failures)


def test_deprecated_version_says_so(generated: Path):
    tree = generated / "central-sequence"
    if not tree.exists():
        pytest.skip("only the project specs have two versions")
    code = (
        "from fastapi.testclient import TestClient\n"
        "from central_sequence.config import Settings\n"
        "from central_sequence.main import create_app\n"
        "import tempfile\n"
        "app = create_app(Settings(database_url=f'sqlite:///{tempfile.mkdtemp()}/t.db', api_keys='k'))\n"
        "with TestClient(app) as c:\n"
        "    doc = c.get('/openapi.json').json()\n"
        "    assert doc['paths']['/v1/sequence/reorder']['post']['deprecated'] is True\n"
        "    assert 'deprecated' not in doc['paths']['/v2/sequence/reorder']['put']\n"
        "    r = c.post('/v1/sequence', json={}, headers={'X-API-KEY': 'k'})\n"
        "    assert r.headers['deprecation'] == 'true' and 'v2' in r.headers['link'], r.headers\n"
        "    r = c.post('/v2/sequence', json={}, headers={'X-API-KEY': 'k'})\n"
        "    assert 'deprecation' not in r.headers\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )
    assert result.returncode == 0, result.stderr
