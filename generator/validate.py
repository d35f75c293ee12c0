"""Check a parsed spec: valid OpenAPI first, then only features the generator supports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from .errors import SpecError, pointer

METHODS = ("get", "post", "put", "patch", "delete")
# OpenAPI 3.x, Parameter Object: header parameters of these names SHALL be ignored.
IGNORED_HEADERS = ("accept", "content-type", "authorization")
_UNRESOLVED = re.compile(r"Path parameter '(?P<name>[^']+)' for '(?P<method>\w+)' operation in '(?P<path>[^']+)'")


def validate_spec(spec: dict[str, Any], file: Path | str) -> None:
    """Raise SpecError on the first problem, most basic first."""
    version = str(spec.get("openapi", ""))
    if version.startswith("3.1"):
        validator_cls = OpenAPIV31SpecValidator
    elif version.startswith("3.0"):
        validator_cls = OpenAPIV30SpecValidator
    else:
        raise SpecError(file, f"unsupported OpenAPI version {version!r} (3.0.x and 3.1.x are supported)", at="/openapi")
    _check_refs(spec, spec, file)
    _check_security_names(spec, file)
    errors = list(validator_cls(spec).iter_errors())
    if errors:
        raise _to_spec_error(_most_specific(errors), file)
    for message, at in _unsupported(spec):
        raise SpecError(file, f"not supported by the generator: {message}", at=at)


def _check_security_names(spec: dict[str, Any], file: Path | str) -> None:
    """Each name in a security requirement MUST be a declared scheme (OpenAPI 3.x, Security Requirement Object)."""
    declared = (spec.get("components") or {}).get("securitySchemes") or {}
    places: list[tuple[Any, tuple[Any, ...]]] = [(spec.get("security"), ("security",))]
    for path, item in (spec.get("paths") or {}).items():
        for method in METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                places.append((item[method].get("security"), ("paths", path, method, "security")))
    for requirements, trail in places:
        for index, requirement in enumerate(requirements or []):
            for name in requirement if isinstance(requirement, dict) else ():
                if name not in declared:
                    raise SpecError(
                        file,
                        f"security requirement names the scheme {name!r}, which components.securitySchemes does not declare",
                        at=pointer(*trail, index, name),
                    )


def _most_specific(errors: list[OpenAPIValidationError]) -> OpenAPIValidationError:
    # The deepest instance path is the place a person has to edit.
    return max(errors, key=lambda e: len(list(e.absolute_path)))


def _to_spec_error(error: OpenAPIValidationError, file: Path | str) -> SpecError:
    match = _UNRESOLVED.search(error.message)
    if match:
        at = pointer("paths", match["path"], match["method"])
        # The validator words both directions alike; the path template tells which one it is.
        if "{" + match["name"] + "}" in match["path"]:
            problem = "is used in the path but not declared in the operation's parameters"
        else:
            problem = f"is declared in the parameters but not in the path {match['path']!r}"
        return SpecError(file, f"path parameter {match['name']!r} {problem}", at=at)
    first_line = error.message.splitlines()[0]
    return SpecError(file, f"invalid OpenAPI: {first_line}", at=pointer(*error.absolute_path))


def _check_refs(spec: dict[str, Any], node: Any, file: Path | str, trail: tuple[Any, ...] = ()) -> None:
    """Every $ref is local and points at something; else one error naming where the $ref is."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#/"):
            raise SpecError(file, f"not supported by the generator: external $ref {ref!r}", at=pointer(*trail, "$ref"))
        if isinstance(ref, str) and not _resolves(spec, ref):
            raise SpecError(file, f"$ref {ref!r} points at nothing in this spec", at=pointer(*trail, "$ref"))
        for key, value in node.items():
            _check_refs(spec, value, file, (*trail, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_refs(spec, value, file, (*trail, index))


def _resolves(spec: dict[str, Any], ref: str) -> bool:
    target: Any = spec
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            return False
    return True


def _unsupported(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (what, JSON pointer) for each feature the generator cannot honour."""
    if spec.get("webhooks"):
        yield "webhooks", "/webhooks"
    for name, scheme in (spec.get("components", {}).get("securitySchemes") or {}).items():
        if "$ref" in scheme:
            continue
        if scheme.get("type") != "apiKey" or scheme.get("in") != "header":
            kind = scheme.get("type") + (f" in {scheme.get('in')}" if scheme.get("in") else "")
            yield (
                f"security scheme type {kind!r} (only apiKey in a header is supported)",
                pointer("components", "securitySchemes", name),
            )
    for path, item in (spec.get("paths") or {}).items():
        for key in item:
            if key not in (*METHODS, "parameters", "summary", "description", "servers") and not key.startswith("x-"):
                yield f"operation method {key!r}", pointer("paths", path, key)
        for index, param in enumerate(item.get("parameters") or []):
            yield from _unsupported_parameter(spec, param, ("paths", path, "parameters", index))
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            base = ("paths", path, method)
            if op.get("callbacks"):
                yield "callbacks", pointer(*base, "callbacks")
            for index, param in enumerate(op.get("parameters") or []):
                yield from _unsupported_parameter(spec, param, (*base, "parameters", index))
            body = resolve(spec, op.get("requestBody"))
            if body:
                for media in body.get("content") or {}:
                    if media != "application/json":
                        yield f"request body media type {media!r}", pointer(*base, "requestBody", "content", media)
            for status, response in (op.get("responses") or {}).items():
                response = resolve(spec, response)
                for media in response.get("content") or {}:
                    if media != "application/json" and not media.startswith("text/"):
                        yield (
                            f"response media type {media!r}",
                            pointer(*base, "responses", status, "content", media),
                        )


def _unsupported_parameter(
    spec: dict[str, Any], param: dict[str, Any], trail: tuple[Any, ...]
) -> Iterator[tuple[str, str]]:
    param = resolve(spec, param)
    if param.get("in") not in ("path", "query", "header"):
        yield (
            f"{param.get('in')} parameter {param.get('name')!r} (path, query and header are supported)",
            pointer(*trail),
        )
    elif "content" in param:
        yield f"parameter {param.get('name')!r} described by 'content' instead of 'schema'", pointer(*trail, "content")


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local $refs until a concrete node."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            break
        seen.add(ref)
        target: Any = spec
        for token in ref[2:].split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node
