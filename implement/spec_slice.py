"""The part of the specs one domain function answers for, and its hash (what staleness is measured on)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.loader import load_spec
from generator.model import ApiVersion, Operation, Service


def versions_of(service: Service, func: str) -> list[tuple[ApiVersion, Operation]]:
    """Every (version, operation) the domain function serves, oldest version first."""
    return [(v, op) for v in service.versions for op in v.operations if op.func == func and op.is_stub]


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _resolve(spec: dict[str, Any], pointer: str) -> Any:
    node: Any = spec
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operation_slice(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """The operation object, its path's shared parameters and every component it reaches through $ref."""
    item = spec["paths"][path]
    part: dict[str, Any] = {"method": method, "path": path, "operation": item[method]}
    if item.get("parameters"):
        part["pathParameters"] = item["parameters"]
    seen: set[str] = set()
    todo: set[str] = set()
    _refs(part, todo)
    while todo:
        pointer = todo.pop()
        if pointer in seen:
            continue
        seen.add(pointer)
        _refs(_resolve(spec, pointer), todo)
    part["components"] = {p: _resolve(spec, p) for p in sorted(seen)}
    return part


def spec_slice(service: Service, func: str) -> dict[str, Any]:
    """One slice per version the function serves, keyed by version label."""
    return {v.label: operation_slice(v.spec, op.path, op.method) for v, op in versions_of(service, func)}


def sources(service: Service, func: str, root: Path) -> list[dict[str, str]]:
    """Where each version's slice comes from, so a rerun can recompute it from the raw files alone."""
    return [
        {"version": v.label, "file": _relative(v.file, root), "path": op.path, "method": op.method}
        for v, op in versions_of(service, func)
    ]


def slice_from_sources(found: list[dict[str, str]], root: Path) -> dict[str, Any] | None:
    """The slice recomputed from the spec files a record names; None when one is gone or lacks the operation."""
    out: dict[str, Any] = {}
    for entry in found:
        file = root / entry["file"]
        try:
            spec = load_spec(file)
            out[entry["version"]] = operation_slice(spec, entry["path"], entry["method"])
        except (OSError, KeyError, TypeError, SpecError):
            return None
    return out


def _relative(file: Path, root: Path) -> str:
    file = file.resolve()
    return file.relative_to(root.resolve()).as_posix() if file.is_relative_to(root.resolve()) else str(file)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(value: Any) -> str:
    text = value if isinstance(value, str) else canonical(value)
    return hashlib.sha256(text.encode()).hexdigest()
