"""Small specs at the edges of OpenAPI: each gets a correct service or one clear error (issue 10)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from generator import generate
from generator.discover import slugify
from generator.specs import package_name

from .conftest import run_fountain

ERROR = {
    "description": "bad request",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        }
    },
}
THING = {
    "type": "object",
    "required": ["name"],
    "properties": {"thingId": {"type": "integer"}, "name": {"type": "string"}},
}


def _spec(paths: dict, schemas: dict | None = None, **extra) -> dict:
    spec = {"openapi": "3.1.0", "info": {"title": "T", "version": "1.0.0"}, "paths": paths, **extra}
    if schemas is not None:
        spec.setdefault("components", {})["schemas"] = schemas
    return spec


def _write(project: Path, name: str, spec: dict) -> Path:
    path = project / f"{name}.json"
    path.write_text(json.dumps(spec, indent=2))
    return path


def _app(project: Path, name: str, spec: dict, **kwargs):
    """Generate the spec in-process and return (TestClient, generate's result)."""
    result = generate(_write(project, name, spec), project / "out", project_root=project, **kwargs)
    slug = slugify(name)
    tree = project / "out" / slug
    sys.path.insert(0, str(tree))
    package = package_name(slug)
    main = importlib.import_module(f"{package}.main")
    config = importlib.import_module(f"{package}.config")
    settings = config.Settings(database_url=f"sqlite:///{project}/{package}.db", api_keys="k")
    return TestClient(main.create_app(settings)), result


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_literal_path_is_matched_before_a_templated_one(project: Path):
    thing_id = {"name": "thingId", "in": "path", "required": True, "schema": {"type": "integer"}}
    ref = {"$ref": "#/components/schemas/Thing"}
    spec = _spec(
        {
            "/things/{thingId}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [thing_id],
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": ref}}},
                        "400": ERROR,
                        "404": ERROR,
                    },
                }
            },
            "/things/search": {
                # An object, not an array: a stub, so the collection analysis (issue 11) stays out of it.
                "get": {
                    "operationId": "searchThings",
                    "parameters": [{"name": "name", "in": "query", "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": ERROR,
                    },
                }
            },
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
                    "responses": {
                        "201": {"description": "ok", "content": {"application/json": {"schema": ref}}},
                        "400": ERROR,
                    },
                }
            },
        },
        {"Thing": THING},
    )
    client, _ = _app(project, "route_order", spec)
    with client:
        client.post("/v1/things", json={"name": "a"})
        client.post("/v1/things", json={"name": "b"})
        found = client.get("/v1/things/search", params={"name": "a"})
        assert found.status_code == 501, found.text
        assert "searchThings" in found.text and "services/route-order/domain.py" in found.text
        assert client.get("/v1/things/2").json()["name"] == "b"


def _secured(security_at_op: list | None, schemes: dict | None, top: list | None = None) -> dict:
    op = {"operationId": "listThings", "responses": {"200": {"description": "ok"}, "401": ERROR}}
    if security_at_op is not None:
        op["security"] = security_at_op
    spec = _spec({"/things": {"get": op}, "/open": {"get": {"operationId": "openThing", "responses": op["responses"]}}})
    if schemes is not None:
        spec["components"] = {"securitySchemes": schemes}
    if top is not None:
        spec["security"] = top
    return spec


API_KEY_SCHEME = {"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-KEY"}}


@pytest.mark.parametrize(
    ("spec", "place"),
    [
        (_secured([{"ApiKey": []}], API_KEY_SCHEME), "/paths/~1things/get/security/0/ApiKey"),
        (_secured(None, None, top=[{"ApiKey": []}]), "/security/0/ApiKey"),
    ],
    ids=["operation", "top-level"],
)
def test_undeclared_security_scheme_is_refused(project: Path, spec: dict, place: str):
    path = _write(project, "undeclared", spec)
    line = _one_line_error(run_fountain("generate", str(path), "-o", "out", cwd=project))
    assert str(path) in line and place in line and "'ApiKey'" in line and "securitySchemes" in line
    assert not (project / "out").exists()


def test_declared_but_unused_scheme_warns_naming_public_operations(project: Path):
    path = _write(project, "unused_scheme", _secured(None, API_KEY_SCHEME))
    result = run_fountain("generate", str(path), "-o", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    warning = next(line for line in result.stderr.splitlines() if "ApiKeyAuth" in line)
    assert "listThings" in warning and "openThing" in warning and "public" in warning


def test_spec_without_schemas_generates(project: Path):
    spec = _spec({"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "ok"}}}}})
    client, result = _app(project, "no_schemas", spec)
    with client:
        answer = client.get("/v1/ping")
    assert answer.status_code == 501 and "services/no-schemas/domain.py" in answer.text


def _post(schema: dict, responses: dict | None = None, parameters: list | None = None) -> dict:
    op = {
        "operationId": "makeThing",
        "requestBody": {"content": {"application/json": {"schema": schema}}},
        "responses": responses or {"201": {"description": "ok"}},
    }
    if parameters:
        op["parameters"] = parameters
    return _spec({"/things": {"post": op}}, {"Thing": THING})


NOPE = {"$ref": "#/components/schemas/Nope"}


@pytest.mark.parametrize(
    ("spec", "place"),
    [
        (_post(NOPE), "/paths/~1things/post/requestBody/content/application~1json/schema/$ref"),
        (
            _post(THING, {"201": {"description": "ok", "content": {"application/json": {"schema": NOPE}}}}),
            "/paths/~1things/post/responses/201/content/application~1json/schema/$ref",
        ),
        (_post(THING, parameters=[{"$ref": "#/components/parameters/Nope"}]), "/paths/~1things/post/parameters/0/$ref"),
    ],
    ids=["request-body", "response", "parameter"],
)
def test_dangling_ref_is_one_line(project: Path, spec: dict, place: str):
    path = _write(project, "dangling", spec)
    line = _one_line_error(run_fountain("generate", str(path), "-o", "out", cwd=project))
    assert str(path) in line and place in line and "points at nothing" in line


def _secured_crud() -> dict:
    ref = {"$ref": "#/components/schemas/Thing"}
    return _spec(
        {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "security": [{"ApiKeyAuth": []}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
                    "responses": {
                        "201": {"description": "ok", "content": {"application/json": {"schema": ref}}},
                        "400": ERROR,
                        "401": ERROR,
                    },
                },
                "get": {
                    "operationId": "listThings",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"type": "array", "items": ref}}},
                        }
                    },
                },
            },
        },
        {"Thing": THING},
        components={"securitySchemes": API_KEY_SCHEME},
    )


def test_served_openapi_says_what_the_service_does(project: Path):
    spec = _secured_crud()
    spec["components"]["schemas"] = {"Thing": THING}
    client, _ = _app(project, "served_doc", spec)
    with client:
        doc = client.get("/openapi.json").json()
        docs = client.get("/docs")
        assets = [client.get(url) for url in _asset_urls(docs.text)]
    assert doc["components"]["securitySchemes"]["ApiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-KEY"}
    create = doc["paths"]["/v1/things"]["post"]
    assert create["security"] == [{"ApiKeyAuth": []}]
    assert "security" not in doc["paths"]["/v1/things"]["get"]
    # The service answers a bad body with the documented 400, never FastAPI's 422.
    assert "422" not in create["responses"] and "400" in create["responses"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    # /docs works without internet: every script and stylesheet comes from the service itself.
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "https://" not in docs.text and "http://" not in docs.text
    assert assets and all(a.status_code == 200 and len(a.content) > 1000 for a in assets)


def _asset_urls(html: str) -> list[str]:
    import re

    return re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)


def test_body_that_is_not_utf8_gets_the_operations_own_answer(project: Path):
    client, _ = _app(project, "not_utf8", _secured_crud())
    with client:
        answer = client.post(
            "/v1/things",
            content=b'{"name": "\xff"}',
            headers={"content-type": "application/json", "X-API-KEY": "k"},
        )
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"code", "message"}, answer.json()


def test_generated_stub_test_honours_format_and_pattern(project: Path):
    schema = {
        "type": "object",
        "required": ["url", "code", "when", "mail"],
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"},
            "when": {"type": "string", "format": "date-time"},
            "mail": {"type": "string", "format": "email"},
        },
    }
    spec = _post(schema, {"201": {"description": "ok"}, "400": ERROR})
    path = _write(project, "formats", spec)
    assert run_fountain("generate", str(path), "-o", "out", cwd=project).returncode == 0
    tree = project / "out" / "formats"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_v1_api.py"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_path_parameter_missing_from_the_path_is_reported_the_right_way_round(project: Path):
    params = [
        {"name": "thingId", "in": "path", "required": True, "schema": {"type": "integer"}},
        {"name": "partId", "in": "path", "required": True, "schema": {"type": "integer"}},
    ]
    spec = _spec(
        {
            "/things/{thingId}": {
                "get": {"operationId": "g", "parameters": params, "responses": {"200": {"description": "ok"}}}
            }
        }
    )
    path = _write(project, "backwards", spec)
    line = _one_line_error(run_fountain("generate", str(path), "-o", "out", cwd=project))
    assert "'partId'" in line and "is declared" in line and "not in the path" in line, line
    assert "/paths/~1things~1{thingId}/get" in line


def test_text_responses_and_header_parameters_are_served(project: Path):
    spec = _spec(
        {
            "/page": {
                "get": {
                    "operationId": "page",
                    "parameters": [
                        {"name": "X-Tag", "in": "header", "required": True, "schema": {"type": "string"}},
                        {"name": "authorization", "in": "header", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "ok", "content": {"text/html": {"schema": {"type": "string"}}}},
                        "400": ERROR,
                    },
                }
            },
            "/note": {
                "get": {
                    "operationId": "note",
                    "responses": {
                        "200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}}
                    },
                }
            },
        }
    )
    path = _write(project, "texts", spec)
    first = run_fountain("generate", str(path), "-o", "out", "--handlers", "services", cwd=project)
    assert first.returncode == 0, first.stderr
    stub = project / "services" / "texts" / "domain.py"
    head, page = stub.read_text().split("def page(")
    assert "x_tag: str" in page
    stub.write_text(head + "def page(" + page.replace("raise NotImplementedError", 'return f"<h1>{x_tag}</h1>"', 1))
    client, _ = _app(project, "texts", spec)
    with client:
        page = client.get("/v1/page", headers={"X-Tag": "hello"})
        missing = client.get("/v1/page")
        note = client.get("/v1/note")
        doc = client.get("/openapi.json").json()
    assert page.status_code == 200 and page.text == "<h1>hello</h1>", page.text
    assert page.headers["content-type"].startswith("text/html")
    assert missing.status_code == 400 and set(missing.json()) == {"code", "message"}
    assert note.status_code == 501
    assert "text/html" in doc["paths"]["/v1/page"]["get"]["responses"]["200"]["content"]
    assert "application/json" not in doc["paths"]["/v1/page"]["get"]["responses"]["200"]["content"]


def test_check_ignores_a_schemathesis_cache(project: Path):
    spec = _spec({"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "ok"}}}}})
    path = _write(project, "cache", spec)
    assert run_fountain("generate", str(path), "-o", "out", cwd=project).returncode == 0
    (project / "out" / "cache" / ".schemathesis").mkdir()
    (project / "out" / "cache" / ".schemathesis" / "state.json").write_text("{}")
    result = run_fountain("generate", str(path), "-o", "out", "--check", cwd=project)
    assert result.returncode == 0, result.stderr


def test_stubs_of_another_spec_go_beside_the_output(project: Path, tmp_path_factory):
    spec = _spec({"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "ok"}}}}})
    path = _write(project, "elsewhere", spec)
    target = tmp_path_factory.mktemp("target")
    result = run_fountain("generate", str(path), "-o", str(target / "x"), cwd=project)
    assert result.returncode == 0, result.stderr
    assert list((project / "services").iterdir()) == []
    stub = target / "handlers" / "elsewhere" / "domain.py"
    assert stub.is_file()
    assert str(stub) in result.stderr and str(target / "handlers") in result.stderr
    chosen = target / "mine"
    result = run_fountain("generate", str(path), "-o", str(target / "y"), "--handlers", str(chosen), cwd=project)
    assert result.returncode == 0, result.stderr
    assert (chosen / "elsewhere" / "domain.py").is_file()
    # A handler filled in there is what the regenerated tree carries.
    handler = chosen / "elsewhere" / "domain.py"
    handler.write_text(handler.read_text().replace("raise NotImplementedError", "return None  # filled"))
    result = run_fountain("generate", str(path), "-o", str(target / "y"), "--handlers", str(chosen), cwd=project)
    assert result.returncode == 0, result.stderr
    assert "# filled" in (target / "y" / "elsewhere" / "elsewhere" / "handlers" / "domain.py").read_text()


def test_method_not_allowed_lists_the_allowed_methods(project: Path):
    client, _ = _app(project, "allow", _secured_crud())
    with client:
        answer = client.delete("/v1/things")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
