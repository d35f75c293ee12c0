"""A minimal valid instance of a JSON schema, for the generated tests' request bodies."""

from __future__ import annotations

from typing import Any

from .validate import resolve


def minimal_instance(spec: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """The smallest value the schema accepts: required properties only, lowest allowed numbers."""
    schema = resolve(spec, schema) or {}
    if depth > 8:
        return None
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("allOf", "oneOf", "anyOf"):
        if schema.get(key):
            if key == "allOf":
                merged: dict[str, Any] = {}
                for part in schema[key]:
                    value = minimal_instance(spec, part, depth + 1)
                    if isinstance(value, dict):
                        merged.update(value)
                return merged
            return minimal_instance(spec, schema[key][0], depth + 1)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: minimal_instance(spec, props.get(name, {}), depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [minimal_instance(spec, schema.get("items", {}), depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return True
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    return None
