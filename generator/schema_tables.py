"""A resource's table from its schemas: typed columns, NOT NULL from `required`, indexes for filters and sorts."""

from __future__ import annotations

from typing import Any

from .model import ResourceTable, TableColumn
from .validate import METHODS, resolve

_KINDS = {"integer": "int", "number": "float", "string": "str", "boolean": "bool"}


def flatten(spec: dict[str, Any], node: Any) -> dict[str, Any]:
    """The schema with $ref followed and allOf parts merged (properties and required)."""
    schema = resolve(spec, node) or {}
    if not isinstance(schema, dict) or "allOf" not in schema:
        return schema if isinstance(schema, dict) else {}
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties = dict(merged.get("properties") or {})
    required = list(merged.get("required") or [])
    for part in schema["allOf"]:
        flat = flatten(spec, part)
        for name, prop in (flat.get("properties") or {}).items():
            properties.setdefault(name, prop)
        required += [r for r in flat.get("required") or [] if r not in required]
        merged.setdefault("type", flat.get("type"))
    merged["properties"], merged["required"] = properties, required
    return merged


def body_schema(spec: dict[str, Any], node: Any) -> dict[str, Any]:
    """The flattened JSON schema of a request body or response object."""
    node = resolve(spec, node) or {}
    media = (node.get("content") or {}).get("application/json") or {}
    return flatten(spec, media.get("schema"))


def envelope(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[str, str | None] | None:
    """(items, total) of a paged list body: one array-of-objects property, integer properties beside it."""
    props = {name: flatten(spec, prop) for name, prop in (schema.get("properties") or {}).items()}
    arrays = [
        n for n, p in props.items() if p.get("type") == "array" and flatten(spec, p.get("items")).get("properties")
    ]
    counts = [n for n, p in props.items() if p.get("type") == "integer"]
    if schema.get("type", "object") != "object" or len(arrays) != 1 or len(arrays) + len(counts) != len(props):
        return None
    return arrays[0], (counts[0] if len(counts) == 1 else None)


def item_schema(spec: dict[str, Any], schema: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
    """An array's item schema (or, for a list operation, a paged envelope's), else the schema itself."""
    if schema.get("type") == "array":
        return flatten(spec, schema.get("items"))
    paged = envelope(spec, schema) if listing else None
    return flatten(spec, schema["properties"][paged[0]].get("items")) if paged else schema


def _kind(types: set[str]) -> str:
    if len(types) == 1 and next(iter(types)) in _KINDS:
        return _KINDS[next(iter(types))]
    if types == {"integer", "number"}:
        return "float"
    return "json"


def _types(prop: dict[str, Any]) -> tuple[set[str], bool]:
    kind = prop.get("type")
    if kind is None:
        return {"?"}, True
    kinds = set(kind) if isinstance(kind, list) else {kind}
    nullable = "null" in kinds or bool(prop.get("nullable"))
    return (kinds - {"null"}) or {"?"}, nullable


def resource_table(
    spec: dict[str, Any],
    name: str,
    key: str,
    paths: tuple[str, ...],
    item: str | None,
    indexed: tuple[tuple[str, ...], ...],
    parent: tuple[str, str, str] | None = None,
) -> ResourceTable:
    """The table of the collection whose operations live under `paths` (collection, search) and `item`."""
    operations = spec.get("paths") or {}
    props: dict[str, list[dict[str, Any]]] = {}
    required_by: dict[str, set[str]] = {}
    for path in (*paths, item):
        for method, op in (operations.get(path) or {}).items() if path else ():
            if method not in METHODS or not isinstance(op, dict):
                continue
            responses = op.get("responses") or {}
            listing = method == "get" and path != item
            schemas = [
                item_schema(spec, body_schema(spec, r), listing=listing)
                for s, r in responses.items()
                if str(s).startswith("2")
            ]
            request = body_schema(spec, op.get("requestBody"))
            if request:
                schemas.append(request)
                if method in ("post", "put") and (path == item) == (method == "put"):
                    # An optional body may be left out entirely, and then none of its fields arrive.
                    body_required = bool((resolve(spec, op.get("requestBody")) or {}).get("required"))
                    required_by[method] = set(request.get("required") or ()) if body_required else set()
            for schema in schemas:
                for field, prop in (schema.get("properties") or {}).items():
                    props.setdefault(field, []).append(flatten(spec, prop))
    required = set.intersection(*required_by.values()) if required_by else set()
    columns, read_only = [], []
    for field in sorted(props):
        if field == key or (parent and field == parent[0]):
            continue
        seen = [_types(p) for p in props[field]]
        types = set().union(*(t for t, _ in seen))
        nullable = any(n for _, n in seen) or field not in required
        if any(p.get("readOnly") for p in props[field]):
            read_only.append(field)
            nullable = True
        columns.append(TableColumn(field, _kind(types), nullable))
    scalar = {c.name for c in columns if c.kind != "json"}
    return ResourceTable(
        name=name,
        key=key,
        columns=tuple(columns),
        indexed=tuple(sorted(i for i in indexed if set(i) <= scalar)),
        read_only=tuple(read_only),
        parent=parent,
    )
