"""Every broken spec ends in one clear message naming the file and place, exit 2, nothing written."""

from pathlib import Path

import pytest

from .conftest import EXTRA_SPECS, extra_specs, run_fountain

CASES = {
    "character-management-v2-oauth2-without-scopes.yaml": (
        "/components/securitySchemes/oauth2/flows/clientCredentials",
        "scopes",
    ),
    "core-script-management-v1-undeclared-path-param.yaml": ("/paths/~1scripts~1{scriptId}~1sections/put", "headingId"),
    "session-context-v1-duplicate-keys.yaml": (":82", "duplicate key '/sessions/{sessionId}'"),
}


@extra_specs
@pytest.mark.parametrize("name", sorted(CASES))
def test_invalid_spec_is_one_clear_error(project: Path, name: str):
    spec = EXTRA_SPECS / "invalid" / name
    out = project / "out"
    result = run_fountain("generate", str(spec), "-o", str(out), cwd=project)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    place, words = CASES[name]
    assert str(spec) in lines[0] and place in lines[0] and words in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list((project / "services").iterdir()) == []


@extra_specs
def test_one_bad_spec_in_a_folder_writes_nothing(project: Path, tmp_path: Path):
    specs = project / "specs"
    specs.mkdir()
    (specs / "good.yaml").write_text((EXTRA_SPECS / "fountainai-v4" / "character-service.yaml").read_text())
    (specs / "bad.yaml").write_text((EXTRA_SPECS / "invalid" / "session-context-v1-duplicate-keys.yaml").read_text())
    result = run_fountain("generate", "specs", "-o", "out", cwd=project)
    assert result.returncode == 2
    assert not (project / "out").exists()


@pytest.mark.parametrize(
    ("snippet", "words"),
    [
        ("    cookieParam:\n      in: cookie\n", "cookie parameter"),
        ("", "request body media type 'text/plain'"),
    ],
)
def test_unsupported_feature_is_named(project: Path, snippet: str, words: str):
    body = "text/plain" if "text/plain" in words else "application/json"
    params = "      parameters:\n        - {name: session, in: cookie, schema: {type: string}}\n" if snippet else ""
    spec = project / "thing.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: 1.0.0}\npaths:\n  /things:\n    post:\n"
        f"      operationId: makeThing\n{params}"
        f"      requestBody:\n        content:\n          {body}:\n            schema: {{type: object}}\n"
        "      responses:\n        '201': {description: ok}\n"
    )
    result = run_fountain("generate", str(spec), "-o", "out", cwd=project)
    assert result.returncode == 2
    assert "not supported by the generator" in result.stderr and words in result.stderr
    assert "/paths/~1things/post" in result.stderr
