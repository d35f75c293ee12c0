"""The tag a service's workflow pushes is the tag the compose file names: the same content hash, two implementations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from generator.bundle.hashing import content_hash
from generator.generate import build

from .conftest import PROJECT_SPECS, ROOT


def test_workflow_tag_equals_the_generators_hash(tmp_path: Path):
    result = build(PROJECT_SPECS, ROOT)
    tree = result.trees["character"]
    repo = tmp_path / "character"
    for rel, text in tree.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "-A"], check=True)
    workflow = yaml.safe_load(tree[".github/workflows/ci.yml"])
    step = next(s for s in workflow["jobs"]["image"]["steps"] if s.get("id") == "tag")
    output = tmp_path / "github_output"
    subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=repo,
        env={"GITHUB_OUTPUT": str(output), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
        check=True,
    )
    assert output.read_text().strip() == f"tag={content_hash(tree)}"
    compose = yaml.safe_load(result.bundle["compose/docker-compose.yml"])
    assert compose["services"]["character"]["image"] == f"fountainai/character:{content_hash(tree)}"
