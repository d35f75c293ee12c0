"""Format rendered trees with ruff, all at once: fix imports, then ruff format."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def _ruff() -> str:
    # Prefer the ruff installed next to this interpreter, so the pinned version formats.
    candidate = Path(sys.executable).parent / "ruff"
    return str(candidate) if candidate.exists() else "ruff"


def format_trees(trees: dict[str, dict[str, str]], keep: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """Return the trees with Python files ruff-fixed and formatted; paths in `keep` stay byte-for-byte."""
    with tempfile.TemporaryDirectory(prefix="fountain-fmt-") as tmp:
        root = Path(tmp)
        for slug, files in trees.items():
            for rel, text in files.items():
                target = root / slug / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        env = {**os.environ, "RUFF_NO_CACHE": "true"}
        base = [_ruff()]
        subprocess.run(
            [*base, "check", "--fix", "--quiet", "--no-cache", "--exit-zero", "."],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*base, "format", "--quiet", "--no-cache", "."], cwd=root, env=env, check=True, capture_output=True
        )
        out: dict[str, dict[str, str]] = {}
        for slug, files in trees.items():
            out[slug] = {
                rel: text
                if rel in keep.get(slug, set()) or not rel.endswith(".py")
                else (root / slug / rel).read_text(encoding="utf-8")
                for rel, text in files.items()
            }
        return out
