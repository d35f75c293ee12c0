"""From a PATH to analysed services: discover, load, validate, build models, analyse."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from .analyse import analyse
from .discover import ServiceSource, discover
from .errors import SpecError
from .loader import load_spec
from .model import ApiVersion, Service
from .pydantic_models import generate_models
from .validate import validate_spec

Progress = Callable[[str], None]


def package_name(slug: str) -> str:
    """The Python package of a service tree, unique per service so all can share one process."""
    name = slug.replace("-", "_")
    name = name if name[0].isalpha() else "s_" + name
    # A package named like a standard module (logging) would shadow it for every import.
    return f"{name}_service" if name in sys.stdlib_module_names else name


def _label(spec: dict, file: Path) -> str:
    match = re.match(r"\s*v?(\d+)", str((spec.get("info") or {}).get("version", "")))
    if not match:
        raise SpecError(file, "info.version must start with a major version number", at="/info/version")
    return f"v{int(match[1])}"


def load_service(source: ServiceSource, progress: Progress | None = None) -> Service:
    """Load, validate and analyse every version of one service."""
    package = package_name(source.slug)
    versions: list[ApiVersion] = []
    warnings: list[str] = []
    for vsource in source.versions:
        spec = load_spec(vsource.file)
        validate_spec(spec, vsource.file)
        label = vsource.label or _label(spec, vsource.file)
        if progress:
            progress(f"{source.slug} {label}: models")
        models_source, classes = generate_models(spec, vsource.file.name)
        version, found = analyse(spec, vsource.file, label, classes, package, models_source)
        versions.append(version)
        warnings.extend(found)
    # Every version but the newest is deprecated; its responses point at the successor.
    versions = [
        _with_deprecation(v, versions[i + 1].label if i + 1 < len(versions) else None) for i, v in enumerate(versions)
    ]
    return Service(source.slug, package, versions[-1].title, tuple(versions), tuple(warnings))


def _with_deprecation(version: ApiVersion, successor: str | None) -> ApiVersion:
    from dataclasses import replace

    return replace(version, deprecated=successor is not None, successor=successor)


def load_services(path: Path, progress: Progress | None = None) -> list[Service]:
    """Every service under PATH, all validated before anything is written."""
    return [load_service(source, progress) for source in discover(path)]
