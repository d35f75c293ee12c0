"""Provenance records, committed beside the code: services/<service>/provenance/<function>.json."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Record:
    """What produced an accepted function, and what it was checked against."""

    function: str
    operations: list[str]
    model: str
    prompt_sha256: str
    spec_slice_sha256: str
    signature: str
    code_sha256: str
    helpers: list[str]
    sources: list[dict[str, str]]
    checks: list[str]
    rounds: int
    tokens: dict[str, int] = field(default_factory=dict)


def folder(handlers: Path, slug: str) -> Path:
    return handlers / slug / "provenance"


def path(handlers: Path, slug: str, func: str) -> Path:
    return folder(handlers, slug) / f"{func}.json"


def read(handlers: Path, slug: str, func: str) -> Record | None:
    """The record of an accepted function, or None; a record that does not parse is a user error upstream."""
    file = path(handlers, slug, func)
    if not file.is_file():
        return None
    data = json.loads(file.read_text(encoding="utf-8"))
    return Record(**data)


def render(record: Record) -> str:
    """Sorted keys, no timestamp: an unchanged acceptance writes the same bytes."""
    return json.dumps(asdict(record), indent=2, sort_keys=True) + "\n"


def write_atomic(file: Path, text: str) -> None:
    """Write beside the target, then rename over it: a reader sees the old file or the new one, never half."""
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if file.exists():
            os.chmod(temp, file.stat().st_mode & 0o777)
        else:
            os.chmod(temp, 0o644)
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
