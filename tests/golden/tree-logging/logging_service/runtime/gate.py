# Vendored from the FountainAI deploy project (generator/runtime/gate.py), runtime ac9537f98f46.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Request bodies checked against the spec's own JSON schema, before pydantic sees them.

Pydantic's lax mode would accept `null` for an optional string or "5" for a number in some
places; the spec is the contract, so its schema decides what a valid request is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

_BASE = "urn:fountain:spec"


@cache
def _registry(spec_file: str) -> tuple[Registry, bool]:
    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    is_31 = str(spec.get("openapi", "")).startswith("3.1")
    resource = Resource.from_contents(spec, default_specification=DRAFT202012 if is_31 else DRAFT4)
    return Registry().with_resource(_BASE, resource), is_31


def body_gate(spec_file: Path, schema_pointer: str, required: bool) -> Callable[[Request], Awaitable[None]]:
    """A dependency that rejects a body the schema at `schema_pointer` does not accept."""
    registry, is_31 = _registry(str(spec_file))
    validator_cls = OAS31Validator if is_31 else OAS30Validator
    validator = validator_cls({"$ref": f"{_BASE}#{schema_pointer}"}, registry=registry)

    async def gate(request: Request) -> None:
        raw = await request.body()
        if not raw.strip():
            if required:
                _reject(("body",), "a request body is required")
            return
        try:
            data: Any = json.loads(raw)
        except ValueError as exc:
            _reject(("body",), f"invalid JSON: {exc}")
        error = best_match(validator.iter_errors(data))
        if error is not None:
            _reject(("body", *error.absolute_path), error.message)

    return gate


def _reject(loc: tuple[Any, ...], message: str) -> None:
    raise RequestValidationError([{"loc": loc, "msg": message, "type": "schema"}])


# RFC 3339 full-date and date-time, as OpenAPI's `date` and `date-time` formats name them.
_FORMATS = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "date-time": re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"),
}


def query_format_gate(formats: dict[str, str]) -> Callable[[Request], Awaitable[None]]:
    """A dependency that rejects a date or date-time query parameter that is not RFC 3339 text."""

    async def gate(request: Request) -> None:
        for name, fmt in formats.items():
            for value in request.query_params.getlist(name):
                if not _FORMATS[fmt].fullmatch(value):
                    _reject(("query", name), f"{value!r} is not a valid {fmt} (RFC 3339)")

    return gate
