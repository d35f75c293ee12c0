"""The domain module in services/ is written once; people's code survives regeneration; spec changes are reported."""

import json
from pathlib import Path

import pytest

from .conftest import PROJECT_SPECS, run_fountain
from .data_helpers import POSTGRES, database_url, run_in_tree


def _copy_specs(project: Path, service: str) -> Path:
    folder = project / "specs" / service
    folder.mkdir(parents=True)
    for spec in (PROJECT_SPECS / service).iterdir():
        (folder / spec.name).write_text(spec.read_text())
    return folder


def test_hand_written_handler_is_kept_and_served(project: Path):
    _copy_specs(project, "story-factory")
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    stub = project / "services" / "story-factory" / "domain.py"
    assert "raise NotImplementedError" in stub.read_text()
    written = stub.read_text().replace(
        "    raise NotImplementedError", '    return {"scriptId": query.scriptId, "title": "Hamlet"}', 1
    )
    stub.write_text(written)
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    assert stub.read_text() == written
    tree_copy = project / "out" / "story-factory" / "story_factory" / "handlers" / "domain.py"
    assert tree_copy.read_text() == written


def test_new_operation_is_reported_and_the_domain_module_kept(project: Path):
    folder = _copy_specs(project, "story-factory")
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    kept = project / "services" / "story-factory" / "domain.py"
    kept.write_text(kept.read_text() + "\n# a person's note\n")
    spec = folder / "v1.yaml"
    text = spec.read_text().replace(
        "  /stories/sequences:",
        "  /stories/outline:\n    get:\n      operationId: getOutline\n      responses:\n"
        '        "200": {description: ok, content: {application/json: {schema: {type: object}}}}\n'
        '        "400": {$ref: "#/components/responses/BadRequest"}\n'
        "  /stories/sequences:",
    )
    spec.write_text(text)
    result = run_fountain("generate", "specs", "-o", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "services/story-factory/domain.py: no function get_outline for getOutline" in result.stderr
    assert "fountain-signature: " in result.stderr and "get_outline()" in result.stderr
    assert kept.read_text().endswith("# a person's note\n")
    assert sorted(p.name for p in kept.parent.iterdir()) == ["domain.py"]


def test_changed_signature_is_reported_not_rewritten(project: Path):
    folder = _copy_specs(project, "story-factory")
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    stub = project / "services" / "story-factory" / "domain.py"
    before = stub.read_text()
    spec = folder / "v1.yaml"
    spec.write_text(spec.read_text().replace('FullStory"}}}}', 'StorySequence"}}}}', 1))
    result = run_fountain("generate", "specs", "-o", "out", cwd=project)
    assert "signature changed" in result.stderr and "domain.py" in result.stderr and "getFullStory" in result.stderr
    assert stub.read_text() == before
    check = run_fountain("generate", "specs", "-o", "out", "--check", cwd=project)
    assert check.returncode == 1


def test_crud_hooks_run_in_the_request_transaction(project: Path, tmp_path: Path):
    _copy_specs(project, "character")
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    domain = project / "services" / "character" / "domain.py"
    assert "before_create_characters(ctx, data) -> data" in domain.read_text()
    domain.write_text(
        domain.read_text()
        + "\n\ndef before_create_characters(ctx, data):\n"
        + '    return {**data, "description": data["description"].upper()}\n'
        + "\n\ndef after_update_characters(ctx, row):\n"
        + '    return {**row, "comment": f"{row[\'comment\']} ({ctx.version})"}\n'
    )
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    code = """
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers["X-API-KEY"] = "k"
        made = c.post("/v1/characters", json={"name": "Ann", "description": "brave", "comment": "c"})
        assert made.status_code == 201 and made.json()["description"] == "BRAVE", made.text
        key = made.json()["characterId"]
        assert c.get(f"/v1/characters/{key}").json()["description"] == "BRAVE"
        patched = c.patch(f"/v1/characters/{key}", json={"comment": "d"})
        assert patched.json()["comment"] == "d (v1)", patched.text
        assert c.get(f"/v1/characters/{key}").json()["comment"] == "d"
        print("ok")
    """
    result = run_in_tree(project / "out" / "character", "character", f"sqlite:///{tmp_path}/c.db", code)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


def _things_spec() -> dict:
    """Things (generated CRUD), one operation that renames a thing, one that counts them (both domain functions)."""
    thing = {"$ref": "#/components/schemas/Thing"}
    body = {"required": True, "content": {"application/json": {"schema": thing}}}
    error = {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}

    def answer(schema: dict) -> dict:
        return {"description": "ok", "content": {"application/json": {"schema": schema}}}

    bad = {"description": "bad", "content": {"application/json": {"schema": error}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Things", "version": "1.0.0"},
        "paths": {
            "/things": {
                "post": {"operationId": "createThing", "requestBody": body, "responses": {"201": answer(thing)}},
                "get": {"operationId": "listThings", "responses": {"200": answer({"type": "array", "items": thing})}},
            },
            "/things/{thingId}/rename": {
                "post": {
                    "operationId": "renameThing",
                    "parameters": [{"name": "thingId", "in": "path", "required": True, "schema": {"type": "integer"}}],
                    "requestBody": body,
                    "responses": {"200": answer(thing), "400": bad},
                }
            },
            "/count": {"get": {"operationId": "countThings", "responses": {"200": answer({"type": "integer"})}}},
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"thingId": {"type": "integer"}, "name": {"type": "string"}},
                }
            }
        },
    }


# The domain functions as a person writes them with `async def`: rename writes, then may refuse (400).
_ASYNC_RENAME = """async def rename_thing(
    ctx: Context,
    *,
    thing_id: int,
    body: Thing,
) -> Thing | dict[str, Any]:
    \"\"\"renameThing: renames, on the event loop.\"\"\"
    await ctx.session.execute(text('UPDATE things SET name = :n WHERE "thingId" = :i'), {"n": body.name, "i": thing_id})
    if body.name == "nobody":
        raise Invalid("a thing cannot be called nobody")
    return {"thingId": thing_id, "name": body.name}
"""


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL"))]
)
def test_async_domain_function_runs_in_the_request_transaction(project: Path, tmp_path: Path, database: str):
    (project / "things.json").write_text(json.dumps(_things_spec()))
    first = run_fountain("generate", "things.json", "-o", "out", "--handlers", "services", cwd=project)
    assert first.returncode == 0, first.stderr
    domain = project / "services" / "things" / "domain.py"
    head, rest = domain.read_text().split("def rename_thing(")
    count_stub, _, _ = head.rpartition("# fountain-signature")
    count_stub = count_stub.replace("def count_things(", "async def count_things(")
    imports = "from sqlalchemy import text\n\nfrom things.runtime.errors import Invalid\n"
    written = count_stub.replace("from things.runtime.context", imports + "from things.runtime.context")
    domain.write_text(written + "# fountain-signature" + head.rpartition("# fountain-signature")[2] + _ASYNC_RENAME)
    again = run_fountain("generate", "things.json", "-o", "out", "--handlers", "services", cwd=project)
    # An `async def` is the person's function: no "no function" warning, and the module is kept as written.
    assert again.returncode == 0 and "no function" not in again.stderr, again.stderr
    assert "async def rename_thing(" in domain.read_text()
    code = """
    with TestClient(app, raise_server_exceptions=False) as c:
        made = c.post("/v1/things", json={"name": "cup"})
        assert made.status_code == 201, made.text
        key = made.json()["thingId"]
        renamed = c.post(f"/v1/things/{key}/rename", json={"name": "mug"})
        assert renamed.status_code == 200 and renamed.json() == {"thingId": key, "name": "mug"}, renamed.text
        refused = c.post(f"/v1/things/{key}/rename", json={"name": "nobody"})
        assert refused.status_code == 400 and "nobody" in refused.text, refused.text
        # The refused rename had already updated the row: its transaction was rolled back.
        assert [t["name"] for t in c.get("/v1/things").json()] == ["mug"]
        stub = c.get("/v1/count")
        assert stub.status_code == 501 and "services/things/domain.py" in stub.text, stub.text
        print("ok")
    """
    result = run_in_tree(project / "out" / "things", "things", database_url(database, tmp_path), code)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]
    # A service with async functions opens their pool at start-up: a URL it cannot serve stops it there.
    memory = run_in_tree(project / "out" / "things", "things", "sqlite:///:memory:", "with TestClient(app): pass")
    assert memory.returncode != 0 and "DATABASE_URL: an async domain function needs" in memory.stderr, memory.stderr
    # A CRUD hook cannot be async (it runs in the CRUD's worker thread): generate says so, naming it.
    domain.write_text(domain.read_text() + "\n\nasync def before_create_things(ctx, data):\n    return data\n")
    warned = run_fountain("generate", "things.json", "-o", "out", "--handlers", "services", cwd=project)
    assert "services/things/domain.py: before_create_things is an async def" in warned.stderr, warned.stderr


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_the_async_pool_names_the_setting_it_cannot_serve(url: str):
    from generator.runtime.db import Database

    # An in-memory SQLite database is one per connection: an async engine beside it would see no tables.
    with pytest.raises(RuntimeError, match="^DATABASE_URL: an async domain function needs"):
        _ = Database(url).lender


def test_an_async_crud_hook_is_refused_naming_it():
    import types

    from generator.runtime import hooks

    domain = types.ModuleType("things.handlers.domain")

    async def before_create_things(ctx, data):
        return data

    domain.before_create_things = before_create_things
    # Called from the CRUD's worker thread, it would hand the CRUD a coroutine for its row.
    with pytest.raises(TypeError, match=r"things\.handlers\.domain\.before_create_things is an async def"):
        hooks.before(domain, "create_things", None, {"name": "cup"})
    assert hooks.after(domain, "create_things", None, {"name": "cup"}) == {"name": "cup"}
