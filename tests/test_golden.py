"""Golden files: the complete generated tree of one small spec and the bundle of the project's specs,
compared byte for byte, so a template change shows up as a reviewable diff under tests/golden/.

Refresh after an intended change:  FOUNTAIN_UPDATE_GOLDEN=1 scripts/test tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from generator import build
from generator.writer import existing_files

from .conftest import PROJECT_SPECS, ROOT

GOLDEN = Path(__file__).parent / "golden"
SMALL = "logging"  # the smallest project spec: one version, two operations, an API key


@pytest.fixture(scope="module")
def produced() -> dict[str, dict[str, bytes]]:
    result = build(PROJECT_SPECS, ROOT)
    return {
        f"tree-{SMALL}": {rel: text.encode() for rel, text in result.trees[SMALL].items()},
        "bundle": {rel: text.encode() for rel, text in result.bundle.items()},
    }


def _first_difference(rel: str, expected: bytes, actual: bytes) -> str:
    diff = difflib.unified_diff(
        expected.decode(errors="replace").splitlines(),
        actual.decode(errors="replace").splitlines(),
        f"golden/{rel}",
        f"generated/{rel}",
        lineterm="",
    )
    return "\n".join(list(diff)[:40])


@pytest.mark.parametrize("name", [f"tree-{SMALL}", "bundle"])
def test_generated_output_matches_golden_files(name: str, produced):
    files, folder = produced[name], GOLDEN / name
    if os.environ.get("FOUNTAIN_UPDATE_GOLDEN"):
        shutil.rmtree(folder, ignore_errors=True)
        for rel, data in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
    golden = existing_files(folder)
    missing, extra = sorted(set(files) - set(golden)), sorted(set(golden) - set(files))
    changed = sorted(rel for rel in set(files) & set(golden) if files[rel] != golden[rel])
    hint = "refresh with: FOUNTAIN_UPDATE_GOLDEN=1 scripts/test tests/test_golden.py"
    assert not missing and not extra, f"{name}: new {missing}, gone {extra}; {hint}"
    assert not changed, f"{name}: {changed} differ; {hint}\n" + _first_difference(
        changed[0], golden[changed[0]], files[changed[0]]
    )
