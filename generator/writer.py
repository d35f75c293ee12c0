"""Put rendered trees on disk atomically, or compare them with what is there (check mode)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Left behind by running a tree's tests or app; not part of what the generator owns.
_IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".schemathesis", ".venv"}
_IGNORED_SUFFIXES = (".db", ".pyc", ".egg-info")


def _owned(rel: Path) -> bool:
    return not (set(rel.parts) & _IGNORED_PARTS) and not any(p.endswith(_IGNORED_SUFFIXES) for p in rel.parts)


def existing_files(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and _owned(p.relative_to(folder))
    }


def diff_tree(folder: Path, files: dict[str, str]) -> list[str]:
    """Paths under folder that differ from files: changed, missing or extra."""
    on_disk = existing_files(folder)
    wanted = {rel: text.encode() for rel, text in files.items()}
    out = []
    for rel in sorted(set(on_disk) | set(wanted)):
        if rel not in on_disk:
            out.append(f"{folder / rel} (missing)")
        elif rel not in wanted:
            out.append(f"{folder / rel} (not generated)")
        elif on_disk[rel] != wanted[rel]:
            out.append(f"{folder / rel} (differs)")
    return out


def write_tree(folder: Path, files: dict[str, str]) -> None:
    """Replace folder with exactly files; a crash midway leaves the old tree or the new one, never a mix."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    try:
        for rel, text in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode())
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def diff_files(root: Path, files: dict[str, str]) -> list[str]:
    """Paths of single files under root (not whole trees) that are missing or differ."""
    out = []
    for rel, text in sorted(files.items()):
        path = root / rel
        if not path.is_file():
            out.append(f"{path} (missing)")
        elif path.read_bytes() != text.encode():
            out.append(f"{path} (differs)")
    return out


def write_file(path: Path, text: str, mode: int | None = None) -> None:
    """Write one file atomically: a temp name beside it, then a rename (mode None: the umask's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(text.encode())
    if mode is not None:
        tmp.chmod(mode)
    os.replace(tmp, path)


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write single files under root, each atomically; scripts are executable."""
    for rel, text in sorted(files.items()):
        write_file(root / rel, text, 0o755 if rel.endswith(".sh") else 0o644)


def write_new_file(path: Path, text: str) -> None:
    """Create a file that must not exist yet (a stub)."""
    write_file(path, text)
