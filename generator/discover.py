"""Find the services and their spec versions under a PATH given on the command line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SpecError

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
_VERSION_FILE = re.compile(r"^v(\d+)$")


@dataclass(frozen=True)
class VersionSource:
    label: str | None  # None: take it from the spec's info.version
    file: Path


@dataclass(frozen=True)
class ServiceSource:
    slug: str
    versions: tuple[VersionSource, ...]


def slugify(name: str) -> str:
    """Turn a file or folder name into a service slug (lowercase, dashes)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise ValueError(name)
    return slug


def _spec_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SPEC_SUFFIXES)


def discover(path: Path) -> list[ServiceSource]:
    """A spec file, a folder of spec files, or a folder of service folders of version files."""
    if not path.exists():
        raise SpecError(path, "no such file or folder")
    if path.is_file():
        return [ServiceSource(slugify(path.stem), (VersionSource(None, path),))]
    files = _spec_files(path)
    folders = sorted(p for p in path.iterdir() if p.is_dir() and _spec_files(p))
    if files and folders:
        raise SpecError(path, "holds both spec files and service folders; use one layout per folder")
    if files and all(_VERSION_FILE.match(f.stem) for f in files):
        return [_service_folder(path)]
    if files:
        return [ServiceSource(slugify(f.stem), (VersionSource(None, f),)) for f in files]
    if not folders:
        raise SpecError(path, "holds no spec files (*.yaml, *.yml, *.json)")
    return [_service_folder(folder) for folder in folders]


def _service_folder(folder: Path) -> ServiceSource:
    versions = []
    for f in _spec_files(folder):
        match = _VERSION_FILE.match(f.stem)
        if not match:
            raise SpecError(f, "a service folder holds one file per version, named v1.yaml, v2.yaml, ...")
        versions.append((int(match[1]), VersionSource(f.stem, f)))
    versions.sort(key=lambda pair: pair[0])
    return ServiceSource(slugify(folder.name), tuple(v for _, v in versions))
