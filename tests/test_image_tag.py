"""The tag a service's workflow pushes is the tag the compose file names: one hashing module, shipped in the tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from generator.bundle import hashing
from generator.bundle.hashing import content_hash
from generator.generate import build

from .conftest import PROJECT_SPECS, ROOT


def test_workflow_tag_equals_the_generators_hash(tmp_path: Path):
    result = build(PROJECT_SPECS, ROOT)
    tree = result.trees["character"]
    # Same code, not a copy held equal: the shipped script is the generator's module, byte for byte.
    assert tree[".github/content_hash.py"] == Path(hashing.__file__).read_text(encoding="utf-8")
    repo = tmp_path / "character"
    for rel, text in tree.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    (repo / "untracked.txt").write_text("a file git does not track is not part of the tree\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", *tree], check=True)
    workflow = yaml.safe_load(tree[".github/workflows/ci.yml"])
    push = workflow["jobs"]["push"]["steps"][-1]["run"]
    assert "tag=$(python3 .github/content_hash.py)" in push
    printed = subprocess.run(
        [sys.executable, ".github/content_hash.py"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed == content_hash(tree)
    compose = yaml.safe_load(result.bundle["compose/docker-compose.yml"])
    assert compose["services"]["character"]["image"] == f"fountainai/character:{printed}"
