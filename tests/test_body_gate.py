"""The request-body gate follows the spec's $refs once, at start-up, and judges bodies as if it followed them each time.

The reference is jsonschema itself resolving every $ref through the registry (what the gate did before): both
must accept and refuse the same bodies, with the same message at the same place.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator, OAS31Validator

from generator.runtime import gate

NODE = {  # recursive: a tree of named nodes
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
    },
    "additionalProperties": False,
}
ODD = {  # properties named like keywords are data, not keywords
    "type": "object",
    "properties": {
        "$ref": {"type": "integer"},
        "id": {"type": "string"},
        "$id": {"type": "boolean"},
        "default": {"$ref": "#/components/schemas/Label"},
        "example": {"$ref": "#/components/schemas/Label"},
    },
    "example": {"$ref": "#/nowhere", "id": "x"},
}
WRAPPER = {
    "type": "object",
    "required": ["label", "tree"],
    "properties": {
        # what stands beside a $ref applies too, in both versions' validators
        "label": {"$ref": "#/components/schemas/Label", "maxLength": 3},
        "tree": {"$ref": "#/components/schemas/Node"},
        "odd": {"$ref": "#/components/schemas/Odd"},
        "maybe": {"$ref": "#/components/schemas/Maybe"},
    },
}
SCHEMAS = {
    "Node": NODE,
    "Odd": ODD,
    "Label": {"type": "string", "pattern": "^[a-z]+$"},
    "Maybe": {"type": "string", "nullable": True},
    "Wrapper": WRAPPER,
}
POINTER = "/paths/~1things/post/requestBody/content/application~1json/schema"
BODIES = [
    {"label": "abc", "tree": {"name": "root", "children": [{"name": "a", "children": [{"name": "b"}]}]}},
    {"label": "abcdef", "tree": {"name": "root"}},  # too long: the keyword beside the $ref
    {"label": "ABC", "tree": {"name": "root"}},  # pattern of the referenced schema
    {"label": "abc", "tree": {"name": "root", "children": [{"name": "a", "children": [{"nom": "b"}]}]}},
    {"label": "abc", "tree": {"name": "root", "children": [{"name": 3}]}},
    {"label": "abc", "tree": {"name": "r"}, "odd": {"$ref": 1, "id": "x", "$id": True}},
    {"label": "abc", "tree": {"name": "r"}, "odd": {"$ref": "one"}},
    {"label": "abc", "tree": {"name": "r"}, "odd": {"default": "abc", "example": "abc"}},
    {"label": "abc", "tree": {"name": "r"}, "odd": {"default": "ABC"}},
    {"label": "abc", "tree": {"name": "r"}, "odd": {"example": "ABC"}},
    {"label": "abc", "tree": {"name": "r"}, "maybe": None},
    {"label": "abc", "tree": {"name": "r"}, "maybe": 5},
    {"tree": {"name": "r"}},
    [],
]


def _write_spec(folder: Path, version: str) -> Path:
    spec = {
        "openapi": version,
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "operationId": "makeThing",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Wrapper"}}}
                    },
                    "responses": {"201": {"description": "ok"}},
                }
            }
        },
        "components": {"schemas": SCHEMAS},
    }
    path = folder / f"spec-{version}.json"
    path.write_text(json.dumps(spec))
    return path


def _verdict(validator, body) -> tuple | None:
    error = best_match(validator.iter_errors(body))
    return None if error is None else (tuple(error.absolute_path), error.message)


@pytest.mark.parametrize("version", ["3.1.0", "3.0.3"])
def test_inlined_refs_judge_bodies_as_the_registry_does(tmp_path: Path, version: str):
    path = _write_spec(tmp_path, version)
    ours = gate.body_validator(path, POINTER)
    assert "#/components/schemas/Wrapper" not in json.dumps(ours.schema)  # followed once, not per request
    _, registry, is_31, _ = gate._spec(str(path))
    reference = (OAS31Validator if is_31 else OAS30Validator)({"$ref": f"{gate._BASE}#{POINTER}"}, registry=registry)
    verdicts = [_verdict(ours, body) for body in BODIES]
    assert verdicts == [_verdict(reference, body) for body in BODIES]
    assert verdicts[0] is None and verdicts[3] is not None and verdicts[4] is not None  # deep in the recursion
    assert verdicts[1] is not None and verdicts[2] is not None
    assert verdicts[5] is None and verdicts[6] is not None
    assert verdicts[7] is None and verdicts[8] is not None and verdicts[9] is not None  # properties named like keywords
    assert verdicts[11] is not None
    assert (verdicts[10] is None) is (version == "3.0.3")  # `nullable` is OpenAPI 3.0's; 3.1 says type: [.., null]


def test_a_spec_that_rebases_refs_keeps_them_for_the_registry(tmp_path: Path):
    path = _write_spec(tmp_path, "3.1.0")
    spec = json.loads(path.read_text())
    spec["components"]["schemas"]["Label"]["$id"] = "https://example.invalid/label"
    path.write_text(json.dumps(spec))
    validator = gate.body_validator(path, POINTER)
    assert validator.schema == {"$ref": f"{gate._BASE}#{POINTER}"}
    assert _verdict(validator, BODIES[0]) is None and _verdict(validator, BODIES[2]) is not None
