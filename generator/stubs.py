"""The domain module services/<name>/domain.py: written once, never overwritten, re-checked against the spec."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .model import ApiVersion, Operation, Service

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SIGNATURE = re.compile(r"^# fountain-signature: (\S+) (\w+)\(", re.MULTILINE)


@dataclass(frozen=True)
class StubSpec:
    path: str  # relative to the project root: services/<slug>/domain.py
    signature: str
    args: tuple[tuple[str, str], ...]
    returns: str
    imports: tuple[str, ...]


def domain_path(service: Service) -> str:
    """One hand-written module per service, shared by every version of its spec."""
    return f"services/{service.slug}/domain.py"


def stub_path(service: Service, version: ApiVersion, op: Operation) -> str:
    return domain_path(service)


def domain_operations(service: Service) -> list[tuple[ApiVersion, Operation]]:
    """Each operation the domain module replaces, once per function name (the newest version's signature)."""
    found: dict[str, tuple[ApiVersion, Operation]] = {}
    for version in service.versions:
        for op in version.operations:
            if op.is_stub:
                found[op.func] = (version, op)
    return [found[name] for name in sorted(found)]


def crud_hooks(service: Service) -> list[str]:
    """The before/after hook names the generated CRUD of this service looks for."""
    stages = {"create": "create", "patch": "update", "put": "update", "delete": "delete"}
    names = set()
    for version in service.versions:
        for op in version.operations:
            if op.crud and op.crud.kind in stages:
                names.add(f"{stages[op.crud.kind]}_{op.crud.table}")
    return sorted(names)


def stub_spec(service: Service, version: ApiVersion, op: Operation) -> StubSpec:
    """The handler signature the routes call, and its short hash."""
    args = [(p.ident, p.py_type) for p in op.path_params]
    if op.query_model:
        args.append(("query", op.query_model))
    if op.body_model:
        args.append(("body", op.body_model + ("" if op.body_required else " | None")))
    args += [(p.ident, p.py_type if p.required else f"{p.py_type} | None") for p in op.header_params]
    if op.success_media != "application/json":
        returns = "str"
    else:
        returns = f"{op.success_model} | dict[str, Any]" if op.success_model else "None"
    text = f"{op.func}({', '.join(f'{n}: {t}' for n, t in args)}) -> {returns}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    names = {op.query_model, op.body_model, op.success_model} - {None}
    imports = tuple(sorted(n for n in names if n and _IDENT.match(n) and n not in ("int", "str", "float", "bool")))
    return StubSpec(stub_path(service, version, op), f"{digest} {text}", tuple(args), returns, imports)


def recorded_signature(source: str, func: str) -> str | None:
    """The signature hash a domain function was written with, if its marker line is still there."""
    for match in _SIGNATURE.finditer(source):
        if match[2] == func:
            return match[1]
    return None


def async_hooks(service: Service, source: str) -> list[str]:
    """The CRUD hooks the domain module defines as `async def` (they run in the CRUD's worker thread: refused)."""
    hooks = [f"{when}_{name}" for name in crud_hooks(service) for when in ("before", "after")]
    return [hook for hook in hooks if re.search(rf"^async def {hook}\(", source, re.MULTILINE)]


def defines(source: str, func: str) -> bool:
    """Whether the domain module still defines the function a route calls."""
    return re.search(rf"^(async )?def {re.escape(func)}\(", source, re.MULTILINE) is not None
