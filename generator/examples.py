"""A minimal valid instance of a JSON schema, for the generated tests' request bodies."""

from __future__ import annotations

import random
import re
from typing import Any

import rstr

from .validate import resolve

# One valid value per string format the validators check (JSON Schema 2020-12 section 7.3, OpenAPI 3.x).
_FORMATS = {
    "uri": "https://example.com/x",
    "url": "https://example.com/x",
    "uri-reference": "/x",
    "iri": "https://example.com/x",
    "iri-reference": "/x",
    "email": "x@example.com",
    "idn-email": "x@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "duration": "P1D",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "byte": "eA==",
    "json-pointer": "/x",
    "regex": "x",
}


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
        return _string(schema)
    return None


def _string(schema: dict[str, Any]) -> str:
    """A string that meets the schema's format, pattern and length, the same one on every run."""
    low, high = schema.get("minLength", 1), schema.get("maxLength")
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        # rstr builds a match from the regex; a seeded generator keeps the output deterministic.
        generator = rstr.Rstr(random.Random(0))
        for _ in range(50):
            candidate = generator.xeger(pattern)
            if re.search(pattern, candidate) and len(candidate) >= low and (high is None or len(candidate) <= high):
                return candidate
    return "x" * max(1, low)
