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

from .conftest import EXTRA_SPECS, ROOT, extra_specs

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


# Values a client may send in place of any property's: other types, null, edges of numbers, a lone surrogate.
_ODD_VALUES = [None, True, 0, -1, 1.0, 1.5, 2**53 + 1, 2**63 - 1, 2**63, float(2**63), 2**64 + 1, 2**70]
_ODD_VALUES += [-(2**63), -(2**63) - 1, 1e30, float("nan"), float("inf"), [], [None], {}]
_ODD_VALUES += ["", "x", "X!", " a", "Ω", "-1", "2026-13-45", "a" * 300, "\ud800"]


def _request_schemas(folder: Path) -> list[tuple[Path, str, dict]]:
    """(spec as JSON, pointer, spec) for every JSON request body of the OpenAPI files under folder."""
    import yaml

    found = []
    for source in sorted(folder.rglob("*.y*ml")) + sorted(folder.rglob("*.json")):
        spec = yaml.safe_load(source.read_text(encoding="utf-8"))
        if not isinstance(spec, dict) or "openapi" not in spec:
            continue
        for path, item in (spec.get("paths") or {}).items():
            for method, operation in item.items():
                content = (operation.get("requestBody") or {}).get("content", {}) if isinstance(operation, dict) else {}
                if "schema" in content.get("application/json", {}):
                    pointer = f"/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}"
                    found.append((source, f"{pointer}/requestBody/content/application~1json/schema", spec))
    return found


def _variants(body) -> list:
    """The body, and the body with each property made odd, dropped, or joined by an unknown one."""
    out = [body, None, [], "x", 5]
    if isinstance(body, dict):
        for name in body:
            out += [{**body, name: odd} for odd in _ODD_VALUES]
            out.append({k: v for k, v in body.items() if k != name})
            if isinstance(body[name], list) and body[name]:
                out += [{**body, name: [odd]} for odd in _ODD_VALUES]
        out.append({**body, "unknownProperty": 1})
    return out


SPEC_FOLDERS = [
    pytest.param(ROOT / "specs", id="project"),
    pytest.param(Path(__file__).parent / "specs", id="shapes"),
    pytest.param(EXTRA_SPECS / "fountainai-v4", id="fountainai-v4", marks=extra_specs),
]


@pytest.mark.parametrize("folder", SPEC_FOLDERS)
def test_the_fast_check_accepts_only_what_the_judge_accepts(tmp_path: Path, folder: Path):
    from generator.examples import minimal_instance

    fast_schemas, bodies = 0, 0
    for number, (source, pointer, spec) in enumerate(_request_schemas(folder)):
        path = tmp_path / f"{number}.json"
        path.write_text(json.dumps(spec))
        judge = gate.body_validator(path, pointer)
        accepts = gate.fast_acceptor(judge.schema, is_31=gate._spec(str(path))[2])
        if accepts is None:
            continue
        fast_schemas += 1
        example = minimal_instance(spec, _pointed(spec, pointer))
        assert accepts(example), f"{source.name}{pointer}: the fast check refuses a valid body {example!r}"
        for body in _variants(example):
            bodies += 1
            if accepts(body):
                assert judge.is_valid(body), f"{source.name}{pointer}: fast yes, judge no, for {body!r}"
    assert fast_schemas >= 5 and bodies >= 30 * fast_schemas, (fast_schemas, bodies)  # used, and tried hard


def _pointed(spec: dict, pointer: str):
    node = spec
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.mark.parametrize(
    "keyword",
    [
        {"pattern": "^[a-z]+$"},  # ECMA and Python regular expressions differ
        {"multipleOf": 0.01},  # 0.07 / 0.01 is 7.000000000000001 in Python
        {"uniqueItems": True},
        {"oneOf": [{"type": "string"}, {"maxLength": 3}]},  # a stricter branch can turn no into yes
        {"not": {"maxLength": 3}},
        {"discriminator": {"propertyName": "kind"}},
        {"exclusiveMinimum": 3},  # a number in 3.0 (a flag there)
        {"type": ["string", "null"]},  # a list in 3.0
        {"type": "null"},  # not a 3.0 type
        {"patternProperties": {"^x": {}}},
        # jsonschema-rs reads an integer past 64 bits as a float: 10**30 + 1 would pass minimum 1e30.
        {"minimum": 1e30},
        {"maximum": 2.0**60},
        {"maximum": 2**64},
        {"minimum": 2**63, "exclusiveMinimum": True},
        {"enum": [1e30, "a"]},
    ],
)
def test_the_fast_check_stands_aside_where_it_could_read_looser(keyword: dict):
    schema = {"type": "object", "properties": {"name": {"type": "string", **keyword}}}
    assert gate.fast_acceptor(schema, is_31=False) is None
    small = {"minimum": -(2**63), "maximum": 2**63 - 1, "enum": [1, 2.5, 2**62, "a", None, [3]]}
    assert gate.fast_acceptor({"type": "object", "properties": {"name": {"type": "string", **small}}}, is_31=False)


@pytest.mark.parametrize("keyword", [{"exclusiveMinimum": 2**63}, {"const": 2**70}, {"exclusiveMaximum": True}])
def test_the_fast_check_stands_aside_in_31_too(keyword: dict):
    assert gate.fast_acceptor({"type": "integer", **keyword}, is_31=True) is None
    assert gate.fast_acceptor({"type": ["integer", "null"], "exclusiveMinimum": 2**52}, is_31=True)


def test_big_numbers_go_to_the_judge(tmp_path: Path):
    # What the fast check would get wrong with a bound past 2**53 (checked against the judge here).
    for schema, body in [({"minimum": 1e30}, 10**30 + 1), ({"maximum": 1.8446744073709552e19}, 2**64 + 1)]:
        assert not OAS30Validator(schema).is_valid(body)
        assert gate.fast_acceptor(schema, is_31=False) is None


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_the_judge_decides_what_the_fast_check_refuses(tmp_path: Path, version: str):
    # nullable and a required readOnly property: 3.0's validator accepts what jsonschema-rs refuses; the
    # body must still pass the gate, through the judge.
    schemas = {"Thing": {"type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "integer", "readOnly": True}, "name": {"type": "string", "nullable": True}}}}  # fmt: skip
    spec = {"openapi": version, "info": {"title": "T", "version": "1"}, "paths": {"/things": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "responses": {"201": {"description": "ok"}}}}}, "components": {"schemas": schemas}}  # fmt: skip
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    judge = gate.body_validator(path, POINTER)
    accepts = gate.fast_acceptor(judge.schema, is_31=version == "3.1.0")
    assert accepts is not None and accepts({"id": 1, "name": "a"})
    assert not accepts({"name": None})
    assert judge.is_valid({"name": None}) is (version == "3.0.3")
