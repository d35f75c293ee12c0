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


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_characters_of_a_script_in_sequence_order(out: Path, tmp_path: Path, database: str):
    code = """
    with TestClient(app) as c:
        c.headers["X-API-KEY"] = "k"
        def make(name, script, seq):
            made = c.post("/v1/characters", json={"name": name, "description": "d", "comment": "c", "scriptId": script})
            assert made.status_code == 201, made.text
            key = made.json()["characterId"]
            # The sequence number is Central Sequence's to give; here it is set the way a sync would.
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
    """
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
