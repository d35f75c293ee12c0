"""Stubs in services/ are written once; people's code survives regeneration; signature changes are reported."""

from pathlib import Path

from .conftest import PROJECT_SPECS, run_fountain


def _copy_specs(project: Path, service: str) -> Path:
    folder = project / "specs" / service
    folder.mkdir(parents=True)
    for spec in (PROJECT_SPECS / service).iterdir():
        (folder / spec.name).write_text(spec.read_text())
    return folder


def test_hand_written_handler_is_kept_and_served(project: Path):
    _copy_specs(project, "story-factory")
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    stub = project / "services" / "story-factory" / "v1" / "get_full_story.py"
    assert "raise NotImplementedError" in stub.read_text()
    written = stub.read_text().replace(
        "    raise NotImplementedError", '    return {"scriptId": query.scriptId, "title": "Hamlet"}'
    )
    stub.write_text(written)
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    assert stub.read_text() == written
    tree_copy = project / "out" / "story-factory" / "story_factory" / "handlers" / "v1" / "get_full_story.py"
    assert tree_copy.read_text() == written


def test_new_operation_adds_a_stub_without_touching_others(project: Path):
    folder = _copy_specs(project, "story-factory")
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    kept = project / "services" / "story-factory" / "v1" / "get_full_story.py"
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
    assert "new stub services/story-factory/v1/get_outline.py" in result.stderr
    assert (project / "services" / "story-factory" / "v1" / "get_outline.py").exists()
    assert kept.read_text().endswith("# a person's note\n")


def test_changed_signature_is_reported_not_rewritten(project: Path):
    folder = _copy_specs(project, "story-factory")
    assert run_fountain("generate", "specs", "-o", "out", cwd=project).returncode == 0
    stub = project / "services" / "story-factory" / "v1" / "get_full_story.py"
    before = stub.read_text()
    spec = folder / "v1.yaml"
    spec.write_text(spec.read_text().replace('FullStory"}}}}', 'StorySequence"}}}}', 1))
    result = run_fountain("generate", "specs", "-o", "out", cwd=project)
    assert "signature changed" in result.stderr and "get_full_story.py" in result.stderr
    assert stub.read_text() == before
    check = run_fountain("generate", "specs", "-o", "out", "--check", cwd=project)
    assert check.returncode == 1
