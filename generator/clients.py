"""Typed clients of the services a service depends on, rendered from those services' newest specs."""

from __future__ import annotations

import re
from typing import Any

from .model import Operation, Service
from .specs import DEPENDS_ON

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BUILTIN = {"int", "str", "float", "bool", "None", "Any"}


def class_name(dep: Service) -> str:
    """CentralSequenceClient for central-sequence."""
    return "".join(part.capitalize() for part in dep.package.split("_")) + "Client"


def _method(op: Operation) -> dict[str, Any]:
    args = [(p.ident, p.py_type, "") for p in op.path_params]
    for p in (*op.query_params, *op.header_params):
        args.append((p.ident, p.py_type, "") if p.required else (p.ident, f"{p.py_type} | None", " = None"))
    if op.body_model:
        kind = f"{op.body_model} | dict[str, Any]" if op.body_model != "dict[str, Any]" else op.body_model
        args.append(("body", kind, "") if op.body_required else ("body", f"{kind} | None", " = None"))
    # Required arguments first, so the generated signature reads naturally (all are keyword-only anyway).
    args.sort(key=lambda a: bool(a[2]))
    if op.success_media != "application/json":
        returns = "str"
    else:
        returns = op.success_model or "None"
    return {
        **vars(op),
        "args": args,
        "returns": returns,
        "success_model": "str" if returns == "str" else op.success_model,
        "path_params": op.path_params,
        "query": op.query_params,
        "headers": op.header_params,
    }


def _names(op: Operation) -> set[str]:
    names = {op.body_model, op.success_model if op.success_media == "application/json" else None}
    return {n for n in names if n and _IDENT.match(n) and n not in _BUILTIN}


def render_clients(service: Service, services: list[Service], render: Any) -> dict[str, str]:
    """{path in the tree: text}: clients/__init__.py (ctx.clients) and a client plus its models per dependency."""
    by_slug = {s.slug: s for s in services}
    deps = [by_slug[slug] for slug in service.depends_on]
    pkg = service.package
    files: dict[str, str] = {}
    for dep in deps:
        version = dep.latest
        operations = [_method(op) for op in version.operations]
        names = sorted(set().union(*(_names(op) for op in version.operations)))
        files[f"{pkg}/clients/{dep.package}_models.py"] = version.models_source
        files[f"{pkg}/clients/{dep.package}.py"] = render(
            "client.py.j2", dep=dep, version=version, operations=operations, names=names, class_name=class_name(dep)
        )
    key_headers = sorted({op.api_key_header for v in service.versions for op in v.operations if op.api_key_header})
    files[f"{pkg}/clients/__init__.py"] = render(
        "clients_init.py.j2",
        service=service,
        deps=[{"package": d.package, "class_name": class_name(d)} for d in deps],
        key_headers=tuple(key_headers),
        depends_on_key=DEPENDS_ON,
    )
    return files
