"""`fountain implement` against a scripted OpenAI-compatible server on 127.0.0.1 (real SDK, real HTTP):
what is written, what is reported and how many calls are made, per scripted behaviour."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .edge.openai_api.server import ScriptedServer

_OPS = {  # operationId -> (function, what the right answer computes)
    "addNumbers": ("add_numbers", "sum(_values(body))"),
    "maxNumber": ("max_number", "max(_values(body), default=0)"),
    "minNumber": ("min_number", "min(_values(body), default=0)"),
    "countNumbers": ("count_numbers", "len(_values(body))"),
    "sumSquares": ("sum_squares", "sum(v * v for v in _values(body))"),
    "productNumbers": ("product_numbers", "math.prod(_values(body))"),
}
_PATH = """
  /tally/{name}:
    post:
      operationId: {op}
      summary: {op}
      description: {description}
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/TallyRequest'}}
      responses:
        '200':
          description: The result
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/TallyResponse'}}
        '400':
          description: The request is malformed
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Error'}}
"""
_SPEC = """openapi: 3.1.0
info: {{title: Tally Service, version: 1.0.0, description: Small arithmetic over a list of integers.}}
paths:{paths}
components:
  schemas:
    TallyRequest:
      type: object
      required: [numbers]
      properties:
        numbers: {{type: array, maxItems: 6, items: {{type: integer, minimum: -9, maximum: 9}}}}
    TallyResponse:
      type: object
      required: [total]
      properties:
        total: {{type: integer}}
    Error:
      type: object
      required: [message]
      properties:
        message: {{type: string}}
"""
# The service's own acceptance check, run on every candidate: known inputs, known results.
_CHECK = """
import math

import pytest

from .conftest import APP

CASES = {cases}


@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient

    with TestClient(APP) as client:
        yield client


@pytest.mark.parametrize("name", sorted(CASES))
def test_values(client, name):
    numbers = [3, -2, 5, 1]
    answer = client.post(f"/v1/tally/{{name}}", json={{"numbers": numbers}})
    if answer.status_code == 501:
        pytest.skip("still a stub")
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"] == CASES[name](numbers), f"{{name}} of {{numbers}}"
"""


def _answer(func: str, expression: str) -> dict:
    helper = "def _values(body):\n    return [getattr(n, 'root', n) for n in body.numbers]\n\n\n"
    code = f"{helper}def {func}(ctx, *, body):\n    return {{'total': {expression}}}\n"
    return {"imports": ["import math"], "code": code, "notes": "scripted"}


def _write_spec(project: Path, descriptions: dict[str, str] | None = None) -> None:
    paths = "".join(
        _PATH.format(name=func, op=op, description=(descriptions or {}).get(op, f"The {op} of the numbers."))
        for op, (func, _) in _OPS.items()
    )
    (project / "specs" / "tally").mkdir(parents=True, exist_ok=True)
    (project / "specs" / "tally" / "v1.yaml").write_text(_SPEC.format(paths=paths))


def _fountain(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FOUNTAIN_IMPLEMENT_"))}
    return subprocess.run(
        [sys.executable, "-m", "fountain", *args], cwd=project, env={**clean, **env}, capture_output=True, text=True
    )


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    _write_spec(tmp_path)
    made = _fountain(tmp_path, {}, "generate", "specs", "-o", "build")
    assert made.returncode == 0, made.stderr
    cases = {func: f"lambda body: {expr.replace('_values(body)', 'body')}" for func, expr in _OPS.values()}
    checks = tmp_path / "services" / "tally" / "checks"
    checks.mkdir()
    text = "{" + ", ".join(f"{k!r}: {v}" for k, v in sorted(cases.items())) + "}"
    (checks / "test_values.py").write_text(_CHECK.format(cases=text))
    return tmp_path


def _row(stderr: str, func: str) -> str:
    return next(line for line in stderr.splitlines() if f"tally.{func}:" in line)


def test_without_a_key_one_line_and_nothing_written(project: Path):
    before = (project / "services" / "tally" / "domain.py").read_bytes()
    done = _fountain(project, {}, "implement")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "OPENAI_API_KEY is not set" in done.stderr
    assert (project / "services" / "tally" / "domain.py").read_bytes() == before
    with ScriptedServer({}) as server:
        dry = _fountain(project, {"FOUNTAIN_IMPLEMENT_BASE_URL": server.base_url}, "implement", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert server.calls == []
    assert "dry run: 6 session(s)" in dry.stderr and "estimated:" in dry.stderr
    sent = json.loads((project / ".fountain/implement/dry-run/tally/add_numbers.json").read_text())
    assert "Write the function `add_numbers`" in sent["messages"][1]["content"]
    assert "addNumbers" in sent["messages"][1]["content"]
    assert (project / "services" / "tally" / "domain.py").read_bytes() == before
    generated = _fountain(project, {}, "generate", "specs", "-o", "build")
    assert generated.returncode == 0 and "OPENAI" not in generated.stderr


def test_without_the_check_tools_one_line_before_any_call(project: Path):
    # An environment installed without the test extras (scripts/dev): None in sys.modules is how Python
    # itself marks a module that cannot be imported.
    code = (
        "import runpy, sys; sys.modules['schemathesis'] = None; sys.argv = ['fountain', 'implement'];"
        " runpy.run_module('fountain', run_name='__main__')"
    )
    before = (project / "services" / "tally" / "domain.py").read_bytes()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FOUNTAIN_IMPLEMENT_"))}
    with ScriptedServer({}) as server:
        env = {**clean, "OPENAI_API_KEY": "sk-test", "FOUNTAIN_IMPLEMENT_BASE_URL": server.base_url}
        done = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True)
        assert server.calls == []
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "lacks schemathesis" in done.stderr and "pip install -e '.[test]'" in done.stderr
    assert (project / "services" / "tally" / "domain.py").read_bytes() == before


def test_scripted_sessions_write_report_and_count(project: Path):
    wrong = {"imports": [], "code": "def max_number(ctx, *, body):\n    return {'total': 0}\n", "notes": "x"}
    never = {"imports": [], "code": "def min_number(ctx, *, body):\n    return {'total': 1}\n", "notes": "x"}
    script = {
        "add_numbers": [{"answer": _answer(*_OPS["addNumbers"])}],
        "max_number": [{"answer": wrong}, {"answer": _answer(*_OPS["maxNumber"])}],
        "min_number": [{"answer": never}],
        "count_numbers": [
            {"raw": "here is the code: def count_numbers(..."},
            {"answer": _answer(*_OPS["countNumbers"])},
        ],
        "sum_squares": [{"status": 429, "retry_after": "1"}, {"answer": _answer(*_OPS["sumSquares"])}],
        "product_numbers": [{"hang": 4}, {"answer": _answer(*_OPS["productNumbers"])}],
    }
    domain = project / "services" / "tally" / "domain.py"
    with ScriptedServer(script) as server:
        env = {
            "OPENAI_API_KEY": "sk-test",
            "FOUNTAIN_IMPLEMENT_BASE_URL": server.base_url,
            "FOUNTAIN_IMPLEMENT_TIMEOUT": "2",
            "FOUNTAIN_IMPLEMENT_MAX_RETRIES": "1",
            "FOUNTAIN_IMPLEMENT_SCHEMATHESIS_EXAMPLES": "10",
        }
        done = _fountain(project, env, "implement")
        err = done.stderr
        assert done.returncode == 1, err  # min_number never passes
        counts = {f: len(server.calls_for(f)) for f in script}
        assert counts == {
            "add_numbers": 1,
            "max_number": 2,
            "min_number": 3,
            "count_numbers": 2,
            "sum_squares": 2,  # the 429, then the SDK's retry after Retry-After
            "product_numbers": 2,  # the hang past the 2 s timeout, then the SDK's retry
        }
        squares = server.calls_for("sum_squares")
        assert squares[1]["at"] - squares[0]["at"] >= 1.0, "Retry-After was not honoured"
        assert "filled 3, repaired 2, failed 1" in err, err
        source = domain.read_text()
        for op, (func, expression) in _OPS.items():
            record = project / "services" / "tally" / "provenance" / f"{func}.json"
            if func == "min_number":
                assert "raise NotImplementedError" in source.split(f"def {func}(")[1].split("\ndef ")[0]
                assert not record.exists()
                continue
            assert expression in source
            data = json.loads(record.read_text())
            assert data["operations"] == [op] and data["model"] == "gpt-4.1"
            assert data["checks"] == ["parse", "ruff", "generated tests", "schemathesis", "values"]
        assert json.loads((project / "services/tally/provenance/max_number.json").read_text())["rounds"] == 2
        assert json.loads((project / "services/tally/provenance/count_numbers.json").read_text())["rounds"] == 2
        transcripts = list((project / ".fountain" / "implement" / "transcripts" / "tally").glob("min_number-*.json"))
        failed = json.loads(transcripts[0].read_text())
        assert failed["status"] == "failed" and len(failed["rounds"]) == 3 and failed["rounds"][0]["failed"] == "values"
        assert "sk-test" not in "".join(p.read_text() for p in transcripts)

        # Unchanged specs: no call; then a changed slice is reported stale and costs nothing until asked.
        calls = len(server.calls)
        script["min_number"] = [{"answer": _answer(*_OPS["minNumber"])}]
        same = _fountain(project, env, "implement")
        assert same.returncode == 0 and len(server.calls) == calls and "API calls 0" in same.stderr
        assert "failed-before" in _row(same.stderr, "min_number")  # the same failure is not paid for twice
        again = _fountain(project, env, "implement", "--retry-failed")
        assert len(server.calls) == calls + 1  # only the stub that stayed a stub
        written = domain.read_bytes()
        third = _fountain(project, env, "implement")
        assert third.returncode == 0 and len(server.calls) == calls + 1 and "API calls 0" in third.stderr
        _write_spec(project, {"addNumbers": "The sum of the numbers (changed).", "maxNumber": "The largest (changed)."})
        stale = _fountain(project, env, "implement")
        assert len(server.calls) == calls + 1 and domain.read_bytes() == written
        assert "stale" in _row(stale.stderr, "add_numbers")

        # A person edits max_number; regenerating the stale functions leaves it and proposes beside it.
        edited = written.decode().replace("max(_values(body), default=0)", "max(_values(body), default=-99)")
        domain.write_text(edited)
        redo = _fountain(project, env, "implement", "--stale")
        assert redo.returncode == 0, redo.stderr
        assert len(server.calls) == calls + 3
        now = domain.read_text()
        assert "default=-99" in now
        proposal = project / "services" / "tally" / "proposals" / "max_number.py"
        assert "max(_values(body), default=0)" in proposal.read_text()
        assert "-    return {'total': max(_values(body), default=-99)}" in redo.stderr
        assert "proposed 1" in redo.stderr and again.returncode == 0


def test_a_bad_or_misspelt_setting_is_one_line_naming_it(project: Path):
    for env, named in (
        ({"FOUNTAIN_IMPLEMENT_TIMEOUT": "soon"}, "FOUNTAIN_IMPLEMENT_TIMEOUT"),
        ({"FOUNTAIN_IMPLEMENT_MODLE": "gpt-4.1"}, "FOUNTAIN_IMPLEMENT_MODLE"),
    ):
        done = _fountain(project, {"OPENAI_API_KEY": "sk-test", **env}, "implement", "--dry-run")
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and named in done.stderr
