"""Same specs, same bytes; check mode lists every file that drifted."""

import shutil
from pathlib import Path

from generator.writer import existing_files

from .conftest import PROJECT_SPECS, run_fountain


def test_two_runs_give_identical_trees(project: Path):
    for out in ("a", "b"):
        result = run_fountain("generate", str(PROJECT_SPECS), "-o", out, cwd=project)
        assert result.returncode == 0, result.stderr
    a, b = existing_files(project / "a"), existing_files(project / "b")
    assert a and a == b


def test_check_mode_lists_drift_and_writes_nothing(project: Path):
    assert run_fountain("generate", str(PROJECT_SPECS), "-o", "out", cwd=project).returncode == 0
    clean = run_fountain("generate", str(PROJECT_SPECS), "-o", "out", "--check", cwd=project)
    assert clean.returncode == 0, clean.stderr
    routes = project / "out" / "character" / "character" / "v1" / "routes.py"
    routes.write_text(routes.read_text() + "# drift\n")
    (project / "out" / "logging" / "Dockerfile").unlink()
    before = existing_files(project / "out")
    drift = run_fountain("generate", str(PROJECT_SPECS), "-o", "out", "--check", cwd=project)
    assert drift.returncode == 1
    assert "character/v1/routes.py (differs)" in drift.stderr
    assert "logging/Dockerfile (missing)" in drift.stderr
    assert existing_files(project / "out") == before


def test_check_mode_reports_missing_stubs(project: Path):
    handlers = ("--handlers", "services")
    assert run_fountain("generate", str(PROJECT_SPECS), "-o", "out", *handlers, cwd=project).returncode == 0
    shutil.rmtree(project / "services" / "story-factory")
    drift = run_fountain("generate", str(PROJECT_SPECS), "-o", "out", "--check", *handlers, cwd=project)
    assert drift.returncode == 1
    assert "services/story-factory/domain.py (missing)" in drift.stderr
