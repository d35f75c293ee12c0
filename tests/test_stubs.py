"""The domain module in services/ is written once; people's code survives regeneration; spec changes are reported."""

from pathlib import Path

from .conftest import PROJECT_SPECS, run_fountain
from .data_helpers import run_in_tree


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
