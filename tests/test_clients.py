"""The generated clients against a real HTTP server: retries, timeouts, correlation id and key, bounded fan-out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import PROJECT_SPECS, run_fountain
from .data_helpers import run_in_tree

# A local HTTP server whose answers each case chooses; it records every request it gets.
SERVER = """
import json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
seen, in_flight, peak, lock = [], [0], [0], threading.Lock()
answers = {}  # path -> list of (status, body, delay) served in turn, the last one repeated

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            seen.append((self.command, self.path, dict(self.headers), body))
            in_flight[0] += 1; peak[0] = max(peak[0], in_flight[0])
            queue = answers[self.path.split("?")[0]]
            status, payload, delay = queue.pop(0) if len(queue) > 1 else queue[0]
        time.sleep(delay)
        with lock:
            in_flight[0] -= 1
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_PATCH = _answer

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"

from story_factory.clients import Clients
from story_factory.runtime.client import ServiceError, ServiceUnavailable, call_context, concurrently, http_client
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); dead = f"http://127.0.0.1:{s.getsockname()[1]}"
config = importlib.import_module("story_factory.config")
settings = config.Settings(
    core_script_management_url=base, character_url=dead, session_context_url=base,
    client_timeout_seconds=0.3, client_connect_timeout_seconds=0.3, client_retries=2,
)
incoming = {"X-Correlation-ID": "corr-1", "X-API-KEY": "caller-key"}
clients = Clients(http_client(settings), settings, call_context(incoming, settings, Clients.key_headers))
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("clients")
    result = run_fountain("generate", str(PROJECT_SPECS), "-o", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    return project / "out" / "story-factory"


def _run(tree: Path, tmp_path: Path, code: str) -> None:
    import textwrap

    result = run_in_tree(
        tree, "story_factory", f"sqlite:///{tmp_path}/sf.db", SERVER + textwrap.dedent(code) + 'print("ok")\n'
    )
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]


def test_a_get_is_retried_on_503_with_the_callers_correlation_id_and_key(tree: Path, tmp_path: Path):
    _run(
        tree,
        tmp_path,
        """
        script = {"scriptId": 7, "title": "Hamlet", "author": "S", "sections": [{"title": "One"}], "comment": "c"}
        answers["/v1/scripts/7"] = [(503, {}, 0), (503, {}, 0), (200, script, 0)]
        got = clients.core_script_management.get_script_by_id(script_id=7)
        assert (got.title, [s.title for s in got.sections]) == ("Hamlet", ["One"]), got
        assert [(m, p) for m, p, _, _ in seen] == [("GET", "/v1/scripts/7")] * 3, seen
        for _, _, headers, _ in seen:
            assert headers["X-Correlation-ID"] == "corr-1" and headers["X-API-KEY"] == "caller-key", headers
        """,
    )


def test_a_call_gives_up_after_bounded_retries(tree: Path, tmp_path: Path):
    _run(
        tree,
        tmp_path,
        """
        answers["/v1/scripts/8"] = [(503, {}, 0)]
        try:
            clients.core_script_management.get_script_by_id(script_id=8)
            raise AssertionError("no error")
        except ServiceUnavailable as error:
            assert error.service == "core-script-management" and "503" in error.reason, error
        assert len(seen) == 3, seen  # the first try and client_retries=2
        """,
    )


def test_a_post_is_not_sent_again_after_a_5xx_or_a_timeout(tree: Path, tmp_path: Path):
    _run(
        tree,
        tmp_path,
        """
        answers["/v1/scripts"] = [(503, {}, 0)]
        body = {"title": "T", "author": "A", "sections": [], "comment": "c"}
        try:
            clients.core_script_management.create_script(body=body)
            raise AssertionError("no error")
        except ServiceUnavailable:
            pass
        assert len(seen) == 1 and json.loads(seen[0][3])["title"] == "T", seen
        answers["/v1/scripts"] = [(201, {"scriptId": 1}, 1.0)]
        started = time.monotonic()
        try:
            clients.core_script_management.create_script(body=body)
            raise AssertionError("no error")
        except ServiceUnavailable as error:
            assert "timed out" in error.reason, error
        assert len(seen) == 2 and time.monotonic() - started < 0.9, seen
        """,
    )


def test_a_get_times_out_and_is_retried_a_bounded_number_of_times(tree: Path, tmp_path: Path):
    _run(
        tree,
        tmp_path,
        """
        answers["/v1/sessions"] = [(200, [], 1.0)]
        started = time.monotonic()
        try:
            clients.session_context.list_sessions(context="x")
            raise AssertionError("no error")
        except ServiceUnavailable as error:
            assert "timed out" in error.reason, error
        # Three attempts of 0.3 s each plus 0.1 s and 0.2 s of backoff, far below three full answers.
        assert len(seen) == 3 and time.monotonic() - started < 2.5, (seen, time.monotonic() - started)
        assert seen[0][1] == "/v1/sessions?context=x", seen
        """,
    )


def test_a_4xx_is_a_service_error_and_never_retried(tree: Path, tmp_path: Path):
    _run(
        tree,
        tmp_path,
        """
        answers["/v1/scripts/9"] = [(404, {"errorCode": "not_found", "message": "no script 9"}, 0)]
        try:
            clients.core_script_management.get_script_by_id(script_id=9)
            raise AssertionError("no error")
        except ServiceError as error:
            assert error.status == 404 and error.body["message"] == "no script 9", error
        assert len(seen) == 1
        """,
    )


def test_a_refused_connection_is_retried_even_for_a_post_then_reported(tree: Path, tmp_path: Path):
    _run(
        tree,
        tmp_path,
        """
        started = time.monotonic()
        try:
            clients.character.create_character(body={"name": "N", "description": "d", "comment": "c"})
            raise AssertionError("no error")
        except ServiceUnavailable as error:
            assert error.service == "character" and "cannot connect" in error.reason and "3 attempt" in error.reason
        assert time.monotonic() - started >= 0.3  # the backoff between the attempts: 0.1 s, then 0.2 s
        """,
    )


def test_fan_out_runs_a_bounded_number_of_calls_at_once_and_keeps_their_order(tree: Path, tmp_path: Path):
    _run(
        tree,
        tmp_path,
        """
        for n in range(6):
            answers[f"/v1/scripts/{n + 1}"] = [(200, {"scriptId": n + 1, "title": f"t{n + 1}"}, 0.2)]
        calls = [lambda n=n: clients.core_script_management.get_script_by_id(script_id=n + 1) for n in range(6)]
        titles = [s.title for s in concurrently(calls, limit=2)]
        assert titles == [f"t{n}" for n in range(1, 7)], titles
        assert peak[0] == 2, peak
        """,
    )


def _two_services(project: Path, depends_on: str) -> Path:
    """specs/ with Central Sequence and Character, whose spec's x-fountain-depends-on is replaced."""
    specs = project / "specs"
    (specs / "central-sequence").mkdir(parents=True)
    (specs / "character").mkdir()
    for name in ("v1.yaml", "v2.yaml"):
        (specs / "central-sequence" / name).write_text((PROJECT_SPECS / "central-sequence" / name).read_text())
    text = (PROJECT_SPECS / "character" / "v1.yaml").read_text()
    assert "x-fountain-depends-on: [central-sequence]" in text
    (specs / "character" / "v1.yaml").write_text(text.replace("[central-sequence]", depends_on))
    return specs


def test_a_dependency_must_be_a_list_of_names_and_not_the_service_itself(project: Path):
    for declared, words in (("central-sequence", "must be a list"), ("[character]", "cannot depend on itself")):
        specs = _two_services(project, declared)
        result = run_fountain("generate", str(specs), "-o", "out", cwd=project)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert "character/v1.yaml at /x-fountain-depends-on" in lines[0] and words in lines[0], lines
        assert not (project / "out").exists()
        shutil.rmtree(specs)


def test_a_dependency_outside_the_specs_given_is_a_warning_and_gets_no_client(project: Path):
    specs = _two_services(project, "[central-sequence, billing]")
    result = run_fountain("generate", str(specs), "-o", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "x-fountain-depends-on names 'billing', which is not among the specs given" in result.stdout + result.stderr
    clients = project / "out" / "character" / "character" / "clients"
    assert sorted(p.name for p in clients.iterdir()) == [
        "__init__.py",
        "central_sequence.py",
        "central_sequence_models.py",
    ]
    # The client is generated from Central Sequence's newest spec (v2).
    assert 'version = "v2"' in (clients / "central_sequence.py").read_text()
