"""Session transcripts (prompt, answers, check results, tokens) under .fountain/implement/, which git ignores."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def folder(project_root: Path) -> Path:
    return project_root / ".fountain" / "implement" / "transcripts"


def write(project_root: Path, slug: str, func: str, transcript: dict[str, Any]) -> Path:
    """One JSON file per session, named by its start time; never read back by the tool."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{time.monotonic_ns() % 1_000_000:06d}"
    file = folder(project_root) / slug / f"{func}-{stamp}.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(transcript, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return file
