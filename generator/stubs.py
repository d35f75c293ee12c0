"""Handler stubs in services/<name>/: written once, never overwritten, re-checked against the spec."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .model import ApiVersion, Operation, Service

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SIGNATURE = re.compile(r"^# fountain-signature: (\S+)", re.MULTILINE)


@dataclass(frozen=True)
class StubSpec:
    path: str  # relative to the project root: services/<slug>/<version>/<func>.py
    signature: str
    args: tuple[tuple[str, str], ...]
    returns: str
    imports: tuple[str, ...]


def stub_path(service: Service, version: ApiVersion, op: Operation) -> str:
    return f"services/{service.slug}/{version.label}/{op.func}.py"


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


def recorded_signature(source: str) -> str | None:
    """The signature hash a stub was written with, if its marker line is still there."""
    match = _SIGNATURE.search(source)
    return match[1] if match else None
