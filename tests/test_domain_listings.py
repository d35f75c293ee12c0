"""Listings users rely on: a script's characters, scripts filtered and sorted with their sections, sessions by context."""

import os
import textwrap
from pathlib import Path

import pytest

from .conftest import PROJECT_SPECS, ROOT, run_fountain
from .data_helpers import database_url, run_in_tree

POSTGRES = os.environ.get("FOUNTAIN_TEST_POSTGRES_URL")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("project") / "out"
    result = run_fountain("generate", str(PROJECT_SPECS), "-o", str(folder), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return folder


def _run(out: Path, slug: str, package: str, database: str, tmp_path: Path, code: str) -> None:
    if database == "postgresql" and not POSTGRES:
        pytest.skip("FOUNTAIN_TEST_POSTGRES_URL is not set (scripts/test starts a throwaway cluster)")
    result = run_in_tree(out / slug, package, database_url(database, tmp_path), textwrap.dedent(code) + 'print("ok")\n')
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]


# Character's create asks Central Sequence for the number: a real one, served on a local port.
CENTRAL_SEQUENCE = """
import sys, threading, time, uvicorn
sys.path.insert(0, os.environ["CS_TREE"])
from central_sequence.config import Settings as SequenceSettings
from central_sequence.main import create_app as sequence_app
sequence = uvicorn.Server(uvicorn.Config(
    sequence_app(SequenceSettings(database_url=os.environ["CS_DB"], api_keys="k")),
    host="127.0.0.1", port=int(os.environ["CS_PORT"]), log_level="warning",
))
threading.Thread(target=sequence.run, daemon=True).start()
while not sequence.started:
    time.sleep(0.05)
"""


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_characters_of_a_script_in_sequence_order(out: Path, tmp_path: Path, database: str, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CS_TREE", str(out / "central-sequence"))
    monkeypatch.setenv("CS_DB", f"sqlite:///{tmp_path}/central_sequence.db")
    monkeypatch.setenv("CS_PORT", str(port))
    monkeypatch.setenv("CENTRAL_SEQUENCE_URL", f"http://127.0.0.1:{port}")
    code = CENTRAL_SEQUENCE + textwrap.dedent("""
    with TestClient(app) as c:
        c.headers["X-API-KEY"] = "k"
        def make(name, script, seq):
            made = c.post("/v1/characters", json={"name": name, "description": "d", "comment": "c", "scriptId": script})
            assert made.status_code == 201, made.text
            key = made.json()["characterId"]
            assert made.json()["sequenceNumber"] >= 1, made.text
            # Central Sequence numbered it in creation order; a reorder there is synced like this.
            from sqlalchemy import update
            from character import tables
            with app.state.db.sessions.begin() as s:
                s.execute(update(tables.characters).where(tables.characters.c.characterId == key).values(sequenceNumber=seq))
        make("Horatio", 1, 3); make("Hamlet", 1, 1); make("Macbeth", 2, 1); make("Ophelia", 1, 2)
        listed = c.get("/v1/characters/scripts/1")
        assert listed.status_code == 200
        assert [(ch["name"], ch["sequenceNumber"]) for ch in listed.json()] == [("Hamlet", 1), ("Ophelia", 2), ("Horatio", 3)]
        assert [ch["name"] for ch in c.get("/v1/characters/scripts/2").json()] == ["Macbeth"]
        assert c.get("/v1/characters/scripts/3").json() == []
    """)
    _run(out, "character", "character", database, tmp_path, code)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_scripts_filtered_and_sorted_together_with_sections_in_order(out: Path, tmp_path: Path, database: str):
    code = """
    with TestClient(app) as c:
        c.headers["X-API-KEY"] = "k"
        def make(title, author, *sections):
            body = {"title": title, "author": author, "comment": "c", "sections": [{"title": t} for t in sections]}
            assert c.post("/v1/scripts", json=body).status_code == 201
        make("Macbeth", "Shakespeare", "Heath", "Castle", "Prologue")
        make("Hamlet", "Shakespeare", "Prologue", "Elsinore")
        make("Faust", "Goethe", "Prologue", "Study")
        make("Othello", "Shakespeare", "Venice")
        both = c.get("/v1/scripts", params={"author": "Shakespeare", "sectionTitle": "Prologue", "sortBy": "title"}).json()
        assert [s["title"] for s in both] == ["Hamlet", "Macbeth"], both
        assert [t["title"] for t in both[1]["sections"]] == ["Heath", "Castle", "Prologue"]
        by_author = c.get("/v1/scripts", params={"sectionTitle": "Prologue", "sortBy": "author"}).json()
        assert [s["author"] for s in by_author] == ["Goethe", "Shakespeare", "Shakespeare"]
        one = c.get("/v1/scripts", params={"title": "Othello", "author": "Shakespeare"}).json()
        assert [s["title"] for s in one] == ["Othello"] and one[0]["sections"] == [{"title": "Venice"}]
    """
    _run(out, "core-script-management", "core_script_management", database, tmp_path, code)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_sessions_listed_by_context(out: Path, tmp_path: Path, database: str):
    code = """
    with TestClient(app) as c:
        c.headers["X-API-KEY"] = "k"
        for context in (["hamlet", "act-1"], ["macbeth"], ["hamlet", "act-2"]):
            assert c.post("/v1/sessions", json={"context": context, "comment": "c"}).status_code == 201
        found = c.get("/v1/sessions", params={"context": "hamlet"}).json()
        assert [s["context"] for s in found] == [["hamlet", "act-1"], ["hamlet", "act-2"]], found
        assert c.get("/v1/sessions", params={"context": "act"}).json() == []
        assert len(c.get("/v1/sessions").json()) == 3
    """
    _run(out, "session-context", "session_context", database, tmp_path, code)
