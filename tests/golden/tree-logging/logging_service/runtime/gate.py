# Vendored from the FountainAI deploy project (generator/runtime/gate.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Request bodies checked against the spec's own JSON schema, before pydantic sees them.

Pydantic's lax mode would accept `null` for an optional string or "5" for a number in some
places; the spec is the contract, so its schema decides what a valid request is.

The judge is openapi-schema-validator (OpenAPI's dialects of JSON Schema). A body goes first to
jsonschema-rs (Schemathesis's own validator, compiled), which took the check from 0.05 ms to a few µs a
request under bench/sequence.py's load; it only ever says yes for a schema it cannot read more loosely than
the judge does (see _FAST_ASSERTIONS), and every body it does not accept goes to the judge, whose verdict and message
stand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

_BASE = "urn:fountain:spec"


@cache
def _spec(spec_file: str) -> tuple[dict[str, Any], Registry, bool, bool]:
    """The spec, a registry holding it, whether it is OpenAPI 3.1, and whether $refs in it may be inlined."""
    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    is_31 = str(spec.get("openapi", "")).startswith("3.1")
    resource = Resource.from_contents(spec, default_specification=DRAFT202012 if is_31 else DRAFT4)
    return spec, Registry().with_resource(_BASE, resource), is_31, not _rebases(spec)


def body_validator(spec_file: Path, schema_pointer: str) -> Any:
    """A JSON schema validator for the schema at `schema_pointer` in the spec, OpenAPI's dialect of its version."""
    spec, registry, is_31, inlinable = _spec(str(spec_file))
    validator_cls = OAS31Validator if is_31 else OAS30Validator
    schema: Any = {"$ref": f"{_BASE}#{schema_pointer}"}
    if inlinable:
        # Following $refs was half the time a request's validation took (a profile of bench/sequence.py's
        # load): done once here instead, leaving only recursive ones to the registry.
        schema = _inline({"$ref": f"#{schema_pointer}"}, registry.resolver(_BASE), ())
    return validator_cls(schema, registry=registry)


def body_gate(spec_file: Path, schema_pointer: str, required: bool) -> Callable[[Request], Awaitable[None]]:
    """A dependency that rejects a body the schema at `schema_pointer` does not accept."""
    validator = body_validator(spec_file, schema_pointer)
    accepts = fast_acceptor(validator.schema, is_31=_spec(str(spec_file))[2])

    async def gate(request: Request) -> None:
        raw = await request.body()
        if not raw.strip():
            if required:
                _reject(("body",), "a request body is required")
            return
        try:
            data: Any = await request.json()  # FastAPI has parsed it already: Starlette keeps what it parsed
        except ValueError as exc:
            _reject(("body",), f"invalid JSON: {exc}")
        if accepts is not None and accepts(data):
            return
        error = best_match(validator.iter_errors(data))
        if error is not None:
            _reject(("body", *error.absolute_path), error.message)

    return gate


# Keywords under which jsonschema-rs accepts nothing the OpenAPI validators refuse. Each asserts only
# "more of these makes it stricter" (no `not`, no `oneOf`: a branch judged more strictly can turn their
# no into a yes), and on each jsonschema-rs is as strict or stricter: it refuses `null` where 3.0's
# `nullable` allows it, requires a readOnly property 3.0's `required` skips, refuses 1.0 as a 3.0
# integer, and (validate_formats=False) asserts no format, as the gate's validators assert none. It
# compares integers and floats exactly, as Python does, except that an integer past 64 bits becomes a
# float: a bound, `enum` or `const` number must be an integer within 64 bits (a body's integer past them
# stays past the bound when rounded) or a float below 2**53 (no rounded integer crosses it).
# Left out: `pattern` (ECMA and Python regular expressions differ), `multipleOf` (float division
# differs), `uniqueItems`, `discriminator`, $refs still standing (recursive), and anything else. The
# annotations are ignored by both.
_FAST_ASSERTIONS = {
    "required", "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
}  # fmt: skip
_FAST_BOUNDS = {"minimum", "maximum"}
_EXACT = 2**53  # below it, every integer is a float as well
_INT64 = 2**63
_OAS30_TYPES = {"string", "number", "integer", "boolean", "array", "object"}
_FAST_ANNOTATIONS = {
    "title", "description", "default", "example", "examples", "deprecated", "readOnly", "writeOnly",
    "nullable", "format", "xml", "externalDocs", "$comment",
}  # fmt: skip


def fast_acceptor(schema: Any, is_31: bool) -> Callable[[Any], bool] | None:
    """jsonschema-rs's yes for bodies the schema accepts, if it reads the schema no more loosely than the judge."""
    if not _fast(schema, is_31):
        return None
    draft = jsonschema_rs.Draft202012Validator if is_31 else jsonschema_rs.Draft4Validator
    try:
        validator = draft(schema, validate_formats=False)
    except ValueError:  # a schema it refuses (an unknown type name): the judge alone, as before
        return None

    def accepts(data: Any) -> bool:
        try:
            return validator.is_valid(data)
        except (ValueError, OverflowError):  # a value it cannot take (NaN, a lone surrogate): the judge decides
            return False

    return accepts


def _fast(node: Any, is_31: bool) -> bool:
    if isinstance(node, bool):
        return is_31  # true and false are 3.1 schemas
    if not isinstance(node, dict):
        return False
    for key, value in node.items():
        if key in _FAST_ANNOTATIONS:
            continue
        if key == "properties":
            ok = isinstance(value, dict) and all(_fast(v, is_31) for v in value.values())
        elif key in ("allOf", "anyOf"):
            ok = isinstance(value, list) and all(_fast(v, is_31) for v in value)
        elif key == "items":
            ok = _fast(value, is_31)
        elif key == "additionalProperties":
            ok = isinstance(value, bool) or _fast(value, is_31)
        elif key == "type":
            # 3.1's may be a list, and "null"; 3.0 has neither (its validator would refuse what these accept).
            ok = isinstance(value, str | list) if is_31 else isinstance(value, str) and value in _OAS30_TYPES
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            # 3.0's is a flag on minimum/maximum (draft 4), 3.1's a bound of its own: each read only in its form.
            ok = _exact_number(value) if is_31 else isinstance(value, bool)
        elif key in _FAST_BOUNDS:
            ok = _exact_number(value)
        elif key in ("enum", "const"):
            ok = _exact_numbers_only(value)
        else:
            ok = key in _FAST_ASSERTIONS
        if not ok:
            return False
    return True


def _exact_number(value: Any) -> bool:
    """A number jsonschema-rs compares as exactly as Python: an integer within 64 bits, a float below 2**53."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    return isinstance(value, float) and abs(value) < _EXACT


def _exact_numbers_only(value: Any) -> bool:
    """Whether every number in a JSON value (an enum's list, a const) is one jsonschema-rs compares exactly."""
    if isinstance(value, list):
        return all(_exact_numbers_only(v) for v in value)
    if isinstance(value, dict):
        return all(_exact_numbers_only(v) for v in value.values())
    return _exact_number(value) if isinstance(value, int | float) and not isinstance(value, bool) else True


# Keywords that change what a $ref means below them: a spec using them keeps its $refs for the registry.
_REBASING = {"$id", "id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef"}
# Keywords whose values are data, not schemas: a "$ref" inside one is text, never followed.
_DATA = {"example", "examples", "enum", "const", "default"}
# Keywords whose values map names to schemas: a property named "default" or "$ref" is a name, not a keyword.
_NAMED = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}


def _rebases(node: Any, names: bool = False) -> bool:
    """Whether a schema keyword in the document changes what a $ref means (a property of that name does not)."""
    if isinstance(node, list):
        return any(_rebases(v) for v in node)
    if not isinstance(node, dict):
        return False
    if names:
        return any(_rebases(v) for v in node.values())
    return any(
        (k in _REBASING and isinstance(v, str)) or (k not in _DATA and _rebases(v, k in _NAMED))
        for k, v in node.items()
    )


def _inline(node: Any, resolver: Any, trail: tuple[str, ...], names: bool = False) -> Any:
    """The schema with the spec's local $refs replaced by their targets; a recursive one stays a $ref."""
    if isinstance(node, list):
        return [_inline(item, resolver, trail) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {name: _inline(schema, resolver, trail) for name, schema in node.items()}
    ref = node.get("$ref")
    if not (isinstance(ref, str) and ref.startswith("#")):
        return {k: v if k in _DATA else _inline(v, resolver, trail, k in _NAMED) for k, v in node.items()}
    rest = _inline({k: v for k, v in node.items() if k != "$ref"}, resolver, trail)
    if ref in trail:
        return {**rest, "$ref": f"{_BASE}{ref}"}  # recursive: the registry follows it as deep as a body goes
    target = _inline(resolver.lookup(f"{_BASE}{ref}").contents, resolver, (*trail, ref))
    # What stands beside a $ref applies too, as the validators of both OpenAPI versions treat it.
    return {"allOf": [target], **rest} if rest else target


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
