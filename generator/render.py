"""Render a service into its tree: {relative path: text}. One template per artefact kind."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from . import pins
from .bundle import hashing
from .bundle.compose import KEEP_ALIVE_SECONDS
from .clients import render_clients
from .links import create_links, with_links
from .migrations import VERSIONS, table_args
from .model import ApiVersion, Crud, Operation, Service
from .schema_tables import body_schema
from .stubs import crud_hooks, domain_operations, domain_path, stub_path, stub_spec
from .vendoring import SOURCE, runtime_files, runtime_version

SCHEMATHESIS_SEED = 20241126
SCHEMATHESIS_EXAMPLES = 50
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BUILTIN = {"int", "str", "float", "bool", "None", "Any"}

_env = Environment(
    loader=PackageLoader("generator", "templates"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701 - renders Python, YAML and Markdown, never HTML
)
_env.filters["pyrepr"] = repr


def _render(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)


def _model_names(op: Operation) -> set[str]:
    names = {op.body_model, op.query_model, op.success_model, *(r.model for r in op.responses)}
    return {n for n in names if n and _IDENT.match(n) and n not in _BUILTIN}


def _dump(op: Operation) -> str:
    if op.body_required:
        return 'body.model_dump(mode="json", by_alias=True, exclude_unset=True)'
    return '(body.model_dump(mode="json", by_alias=True, exclude_unset=True) if body is not None else {})'


def _merged(lists: list[Crud]) -> Crud:
    """One Collection serves /things and /things/search: every filter and sort either declares."""
    filters = {f.param: f for crud in reversed(lists) for f in crud.filters}
    sort_fields = tuple(dict.fromkeys(f for crud in lists for f in crud.sort_fields))
    first = lists[0]
    pick = lambda name: next((getattr(c, name) for c in lists if getattr(c, name)), None)  # noqa: E731
    return replace(
        first,
        filters=tuple(filters[p] for p in sorted(filters)),
        sort_param=pick("sort_param"),
        sort_fields=sort_fields,
        limit_param=pick("limit_param"),
        offset_param=pick("offset_param"),
    )


def _routes(service: Service, version: ApiVersion) -> str:
    collections = {}
    for op in version.operations:
        if op.crud and op.crud.table.upper() not in collections:
            # The list operation carries the filters; every operation shares one Collection object.
            lists = [
                o.crud for o in version.operations if o.crud and o.crud.table == op.crud.table and o.crud.kind == "list"
            ]
            collections[op.crud.table.upper()] = _merged(lists) if lists else op.crud
    stubs = [op for op in version.operations if op.is_stub]
    source = _render(
        "routes.py.j2",
        service=service,
        version=version,
        operations=sorted(version.operations, key=_route_order),
        collections=collections,
        tables=bool(collections),
        read_only={t.name: t.read_only for t in version.tables},
        links=create_links(version),
        stubs=stubs,
        dump=_dump,
        stub_path=lambda op: stub_path(service, version, op),
    )
    names = sorted(set().union(*(_model_names(op) for op in version.operations)))
    star = "from .models import *  # noqa: F403\n"
    explicit = f"from .models import {', '.join(names)}\n" if names else ""
    return source.replace(star, explicit)


def _route_order(op: Operation) -> tuple[bool, ...]:
    """Literal segments before templated ones, as OpenAPI matches paths; Starlette tries routes in order."""
    return tuple("{" in segment for segment in op.path.strip("/").split("/"))


def _test_data(service: Service, version: ApiVersion) -> tuple[list[dict], list[dict]]:
    operations = []
    by_table: dict[str, dict[str, Any]] = {}
    for op in version.operations:
        shape = op.error_shape
        entry = {
            "id": op.operation_id,
            "method": op.method,
            "path": op.path,
            "path_params": [p.name for p in op.path_params],
            "query": {p.name: p.example for p in op.query_params if p.required},
            "headers": {p.name: str(p.example) for p in op.header_params if p.required},
            "api_key_header": op.api_key_header,
            "has_body": op.body_pointer is not None,
            "body_example": op.body_example if op.body_pointer else None,
            "success": op.success_status,
            "validation_status": op.validation_status,
            "not_found": op.not_found_status,
            "error_fields": [f for f in (shape.code, shape.message) if f],
            "stub": stub_path(service, version, op) if op.is_stub else None,
            "response_fields": sorted(_response_fields(version.spec, op)),
        }
        operations.append(entry)
        if op.crud:
            table = next(t for t in version.tables if t.name == op.crud.table)
            resource = by_table.setdefault(
                op.crud.table,
                {
                    "table": op.crud.table,
                    "id_field": op.crud.id_field,
                    "ops": {},
                    "parent": [op.crud.parent, table.parent[1]] if table.parent and op.crud.parent else None,
                    "item_param": op.crud.item_param,
                    "read_only": list(table.read_only),
                },
            )
            resource["ops"].setdefault(op.crud.kind, entry)
            if op.crud.kind == "list" and "listing" not in resource:
                examples = {p.name: p.example for p in op.query_params}
                resource["listing"] = {
                    "filters": [
                        {"param": f.param, "field": f.field, "kind": f.kind, "example": examples.get(f.param)}
                        for f in op.crud.filters
                        if f.kind != "any_eq"
                    ],
                    "sort": [op.crud.sort_param, list(op.crud.sort_fields)] if op.crud.sort_param else None,
                    "limit": op.crud.limit_param,
                    "offset": op.crud.offset_param,
                    "envelope": list(op.crud.envelope) if op.crud.envelope else None,
                }
    return operations, [by_table[t] for t in sorted(by_table)]


def _response_fields(spec: dict[str, Any], op: Operation) -> set[str]:
    raw = spec["paths"][op.path][op.method]["responses"]
    schema = body_schema(spec, next(v for k, v in raw.items() if str(k) == str(op.success_status)))
    return set((schema.get("properties") or {}).keys())


def render_service(service: Service, services: list[Service] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Return (tree files, stub files for services/) before formatting; `services` holds its dependencies."""
    pkg = service.package
    deps = [s for s in services or [] if s.slug in service.depends_on]
    files: dict[str, str] = {
        "pyproject.toml": _render(
            "pyproject.toml.j2",
            service=service,
            runtime_pins=pins.RUNTIME,
            test_pins=pins.TEST,
            runtime=runtime_version(),
            runtime_source=SOURCE,
        ),
        "Dockerfile": _render(
            "Dockerfile.j2", service=service, runtime_pins=pins.RUNTIME, keep_alive=KEEP_ALIVE_SECONDS
        ),
        ".dockerignore": _render("dockerignore.j2"),
        "README.md": _render("README.md.j2", service=service),
        "alembic.ini": _render("alembic.ini.j2", service=service),
        ".github/workflows/ci.yml": _render("ci.yml.j2", service=service),
        # The generator's own hashing module, so the workflow's image tag is computed by the same code.
        ".github/content_hash.py": Path(hashing.__file__).read_text(encoding="utf-8"),
        f"{pkg}/__init__.py": f'"""{service.title}: generated by `fountain generate`."""\n',
        f"{pkg}/config.py": _render("config.py.j2", service=service, deps=deps),
        f"{pkg}/main.py": _render("main.py.j2", service=service),
        f"{pkg}/tables.py": _render("tables.py.j2", service=service, table_args=table_args),
        f"{pkg}/migrations/env.py": _render("env.py.j2", service=service),
        f"{pkg}/migrations/script.py.mako": _render("script.py.mako.j2"),
        f"{pkg}/handlers/__init__.py": '"""Hand-written handlers, copied from services/ by the generator."""\n',
        "tests/__init__.py": "",
        "tests/conftest.py": _render("conftest.py.j2", service=service),
        **runtime_files(pkg),
        **render_clients(service, deps, _render),
    }
    stubs: dict[str, str] = {}
    for version in service.versions:
        label = version.label
        files[f"{pkg}/{label}/__init__.py"] = f'"""{service.title} {label}."""\n'
        files[f"{pkg}/{label}/models.py"] = version.models_source
        files[f"{pkg}/{label}/routes.py"] = _routes(service, version)
        # The spec as given, plus links from each create to its item operations (for stateful clients).
        files[f"{pkg}/{label}/openapi.json"] = json.dumps(with_links(version), indent=2, ensure_ascii=False) + "\n"
        operations, resources_ = _test_data(service, version)
        files[f"tests/test_{label}_api.py"] = _render(
            "test_api.py.j2", service=service, version=version, operations=operations, resources=resources_
        )
        headers = {op.api_key_header for op in version.operations if op.api_key_header}
        files[f"tests/test_{label}_conformance.py"] = _render(
            "test_conformance.py.j2",
            service=service,
            version=version,
            stubs={op.operation_id: stub_path(service, version, op) for op in version.operations if op.is_stub},
            no_4xx=sorted(op.operation_id for op in version.operations if not op.documents_4xx),
            no_401=sorted(
                op.operation_id
                for op in version.operations
                if op.api_key_header and "401" not in {r.status for r in op.responses}
            ),
            api_key_header=sorted(headers)[0] if headers else None,
            stateful=bool(create_links(version)),
            seed=SCHEMATHESIS_SEED,
            max_examples=SCHEMATHESIS_EXAMPLES,
        )
    stubs[domain_path(service)] = _domain(service)
    return files, stubs


def _domain(service: Service) -> str:
    """The hand-written domain module as first written: every non-CRUD operation, CRUD hooks documented."""
    operations, imports = [], {}
    for version, op in domain_operations(service):
        spec = stub_spec(service, version, op)
        taken = set().union(*imports.values()) if imports else set()
        imports.setdefault(version.label, set()).update(n for n in spec.imports if n not in taken)
        operations.append({**vars(op), "signature": spec.signature, "args": spec.args, "returns": spec.returns})
    return _render(
        "domain.py.j2",
        service=service,
        operations=operations,
        imports=[(label, sorted(names)) for label, names in sorted(imports.items()) if names],
        crud_hooks=crud_hooks(service),
    )


def handler_tree_path(service: Service, stub: str) -> str:
    """Where a file of services/<slug>/ lands inside the service tree (migrations keep their folder)."""
    relative = Path(stub).relative_to(f"services/{service.slug}")
    if relative.as_posix().startswith(VERSIONS + "/"):
        return f"{service.package}/{relative.as_posix()}"
    return f"{service.package}/handlers/{relative.as_posix()}"


def render_revision(service: Service, revision: dict[str, Any]) -> str:
    """One Alembic revision file of the service's append-only history."""
    return _render("migration.py.j2", service=service, **revision)
