"""The runtime copied into every service tree, marked as vendored and versioned by its content."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .bundle.hashing import content_hash

SOURCE = "generator/runtime"
_FOLDER = Path(__file__).parent / "runtime"


@cache
def runtime_sources() -> dict[str, str]:
    """File name -> text of the runtime as the project holds it."""
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(_FOLDER.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".py")
    }


def runtime_version() -> str:
    """A content hash of the runtime: equal in two services exactly when their runtime is the same."""
    return content_hash(runtime_sources())


def _header(name: str) -> str:
    return (
        f"# Vendored from the FountainAI deploy project ({SOURCE}/{name}), runtime {runtime_version()}.\n"
        "# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.\n"
    )


def runtime_files(package: str) -> dict[str, str]:
    """The runtime's files as they go into a service tree, each with its vendored header."""
    return {f"{package}/runtime/{name}": _header(name) + text for name, text in runtime_sources().items()}
