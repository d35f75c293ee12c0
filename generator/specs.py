"""From a PATH to analysed services: discover, load, validate, build models, analyse."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import replace
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
    depends_on = _depends_on(spec, source.versions[-1].file)
    return Service(source.slug, package, versions[-1].title, tuple(versions), tuple(warnings), depends_on)


DEPENDS_ON = "x-fountain-depends-on"


def _depends_on(spec: dict, file: Path) -> tuple[str, ...]:
    """The service slugs the newest spec says this service calls (a list of strings at its top level)."""
    value = spec.get(DEPENDS_ON, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SpecError(file, "must be a list of service names (the folder names under specs/)", at=f"/{DEPENDS_ON}")
    return tuple(sorted(set(value)))


def _known_dependencies(services: list[Service], sources: list[ServiceSource]) -> list[Service]:
    """A dependency outside this PATH (one spec generated alone) gets no client and a warning; itself is an error."""
    known = {s.slug for s in services}
    checked = []
    for service, source in zip(services, sources, strict=True):
        if service.slug in service.depends_on:
            at = f"/{DEPENDS_ON}/{service.depends_on.index(service.slug)}"
            raise SpecError(source.versions[-1].file, "a service cannot depend on itself", at=at)
        missing = [slug for slug in service.depends_on if slug not in known]
        warnings = tuple(
            f"{service.slug}: {DEPENDS_ON} names {slug!r}, which is not among the specs given: no client for it"
            for slug in missing
        )
        present = tuple(slug for slug in service.depends_on if slug in known)
        checked.append(replace(service, depends_on=present, warnings=service.warnings + warnings))
    return checked


def _with_deprecation(version: ApiVersion, successor: str | None) -> ApiVersion:
    return replace(version, deprecated=successor is not None, successor=successor)


def load_services(path: Path, progress: Progress | None = None) -> list[Service]:
    """Every service under PATH, all validated before anything is written."""
    sources = discover(path)
    services = [load_service(source, progress) for source in sources]
    return _known_dependencies(services, sources)
