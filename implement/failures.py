"""Sessions that ended without an accepted answer, remembered per spec slice (in .fountain/, which git ignores).

A rerun does not pay again for the same failure: a stub whose last session failed on the spec slice it
still has is reported, not asked for, until the slice changes or `--retry-failed` asks again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _file(project_root: Path, slug: str, func: str) -> Path:
    return project_root / ".fountain" / "implement" / "failed" / slug / f"{func}.json"


def read(project_root: Path, slug: str, func: str) -> dict[str, Any] | None:
    file = _file(project_root, slug, func)
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def write(project_root: Path, slug: str, func: str, memo: dict[str, Any]) -> None:
    file = _file(project_root, slug, func)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(memo, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def clear(project_root: Path, slug: str, func: str) -> None:
    _file(project_root, slug, func).unlink(missing_ok=True)
