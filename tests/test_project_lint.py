"""The project's own code is held to the bar it sets for generated code: ruff clean and formatted."""

import subprocess
import sys

from .conftest import ROOT

PATHS = ["fountain", "generator", "implement", "stacks", "provision", "policy", "tests", "bench", "__main__.py"]


def test_ruff_check_and_format():
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *PATHS], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", *PATHS],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout


def test_the_project_installs_what_the_generated_services_run_on():
    """`fountain dev` serves the generated services from the project's environment, which `scripts/dev`
    installs without the test extras: every runtime pin must be a main dependency, at the same version."""
    import tomllib

    from generator import pins

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(pins.RUNTIME) - set(project["dependencies"]) == set()
