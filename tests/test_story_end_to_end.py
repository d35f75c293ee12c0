"""A storyteller's session through `fountain dev`: a script, its characters and a session, read back as a story.

The services run as scripts/dev runs them (one process, each under its prefix, the project's domain modules),
and call each other over HTTP through their generated clients. Then Central Sequence is out of reach and
Character's create gives its documented error with nothing stored.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from implement.dependencies import dev_server

from .conftest import PROJECT_SPECS, ROOT
from .sequence_helpers import free_port

KEY = {"X-API-KEY": "story-test-key"}


@contextmanager
def _fountain_dev(project: Path, **env: str) -> Iterator[httpx.Client]:
    """`fountain dev` in the project folder, until the block ends; a client on its base URL with the key."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "FOUNTAIN_DEV_API_KEY": KEY["X-API-KEY"], **env}
    with dev_server(project, PROJECT_SPECS, project / "services", full_env) as base:
        with httpx.Client(base_url=base, headers=KEY, timeout=30) as client:
            yield client


def _project(tmp_path: Path) -> Path:
    """A project folder with the specs and a copy of the hand-written domain modules (services/)."""
    (tmp_path / "specs").symlink_to(PROJECT_SPECS)
    shutil.copytree(ROOT / "services", tmp_path / "services")
    return tmp_path


def _character(client: httpx.Client, script_id: int, name: str) -> dict:
    made = client.post(
        "/character/v1/characters",
        json={"scriptId": script_id, "name": name, "description": f"{name} of the play", "comment": "cast"},
    )
    assert made.status_code == 201, made.text
    return made.json()


def test_a_story_assembled_from_every_service_and_character_create_without_central_sequence(tmp_path: Path):
    project = _project(tmp_path)
    with _fountain_dev(project) as client:
        # Another script first, so the story's script is not the only one and not number 1.
        other = client.post(
            "/core-script-management/v1/scripts",
            json={"title": "Macbeth", "author": "Shakespeare", "sections": [{"title": "Heath"}], "comment": "c"},
        )
        assert other.status_code == 201, other.text
        script = client.post(
            "/core-script-management/v1/scripts",
            json={
                "title": "Hamlet",
                "author": "Shakespeare",
                "sections": [{"title": "Elsinore"}, {"title": "The play"}, {"title": "The duel"}],
                "comment": "c",
            },
        )
        assert script.status_code == 201, script.text
        script_id = script.json()["scriptId"]

        cast = [_character(client, script_id, name) for name in ("Hamlet", "Ophelia", "Horatio", "Laertes")]
        witch = _character(client, other.json()["scriptId"], "First Witch")
        numbers = [c["sequenceNumber"] for c in cast]
        # Central Sequence numbered each character as it was created: unique and increasing within the type.
        assert numbers == sorted(numbers) and len(set(numbers + [witch["sequenceNumber"]])) == 5, numbers
        assert client.get(f"/character/v1/characters/{cast[1]['characterId']}").json()["sequenceNumber"] == numbers[1]
        # Asking Central Sequence again for Ophelia gives the number Character stored: it came from there.
        again = client.post(
            "/central-sequence/v2/sequence",
            json={"elementType": "character", "elementId": cast[1]["characterId"], "comment": "check"},
        )
        assert again.status_code == 201 and again.json()["sequenceNumber"] == numbers[1], again.text
        session = client.post(
            "/session-context/v1/sessions", json={"context": ["act-one", "Hamlet", "Horatio"], "comment": "c"}
        )
        assert session.status_code == 201, session.text

        story = client.get("/story-factory/v1/stories", params={"scriptId": script_id})
        assert story.status_code == 200, story.text
        body = story.json()
        assert (body["scriptId"], body["title"], body["author"]) == (script_id, "Hamlet", "Shakespeare")
        assert body["sections"] == [
            {"title": "Elsinore", "sequence": 1},
            {"title": "The play", "sequence": 2},
            {"title": "The duel", "sequence": 3},
        ]
        assert [(e["sequence"], e["character"]["name"]) for e in body["story"]] == [
            (n, c["name"]) for n, c in zip(numbers, cast, strict=True)
        ]
        assert body["story"][0]["character"] == {
            "characterId": cast[0]["characterId"],
            "name": "Hamlet",
            "description": "Hamlet of the play",
        }

        filtered = client.get("/story-factory/v1/stories", params={"scriptId": script_id, "filterByContext": "act-one"})
        assert [e["character"]["name"] for e in filtered.json()["story"]] == ["Hamlet", "Horatio"]
        nobody = client.get("/story-factory/v1/stories", params={"scriptId": script_id, "filterByContext": "act-nine"})
        assert nobody.status_code == 200 and nobody.json()["story"] == []

        middle = client.get(
            "/story-factory/v1/stories/sequences",
            params={"scriptId": script_id, "startSequence": numbers[1], "endSequence": numbers[2]},
        )
        assert middle.status_code == 200, middle.text
        assert [(e["sequence"], e["character"]["name"]) for e in middle.json()["sequences"]] == [
            (numbers[1], "Ophelia"),
            (numbers[2], "Horatio"),
        ]
        beyond = client.get(
            "/story-factory/v1/stories/sequences",
            params={"scriptId": script_id, "startSequence": numbers[-1] + 100, "endSequence": numbers[-1] + 200},
        )
        assert beyond.status_code == 200 and beyond.json()["sequences"] == []
        backwards = client.get(
            "/story-factory/v1/stories/sequences",
            params={"scriptId": script_id, "startSequence": 5, "endSequence": 2},
        )
        assert backwards.status_code == 200 and backwards.json()["sequences"] == [], backwards.text

        missing = client.get("/story-factory/v1/stories", params={"scriptId": 999999})
        assert missing.status_code == 404 and missing.json()["errorCode"] == "script_not_found", missing.text
        missing_range = client.get(
            "/story-factory/v1/stories/sequences", params={"scriptId": 999999, "startSequence": 1, "endSequence": 9}
        )
        assert missing_range.status_code == 404, missing_range.text
        before = client.get("/character/v1/characters").json()

    # Central Sequence out of reach: Character is pointed at a port nothing listens on.
    with _fountain_dev(project, CENTRAL_SEQUENCE_URL=f"http://127.0.0.1:{free_port()}") as client:
        started = time.monotonic()
        refused = client.post(
            "/character/v1/characters",
            json={"scriptId": script_id, "name": "Polonius", "description": "d", "comment": "c"},
        )
        assert refused.status_code == 503, refused.text
        assert refused.json()["errorCode"] == "sequence_unavailable", refused.text
        assert "central-sequence" in refused.json()["message"]
        # Bounded retries with backoff, not a hang: three connection attempts, 0.1 s and 0.2 s apart.
        assert time.monotonic() - started < 10
        # Nothing was written: the list is what it was, and the script's story has no Polonius.
        assert client.get("/character/v1/characters").json() == before
        names = [c["name"] for c in client.get(f"/character/v1/characters/scripts/{script_id}").json()]
        assert names == ["Hamlet", "Ophelia", "Horatio", "Laertes"]
        story = client.get("/story-factory/v1/stories", params={"scriptId": script_id}).json()
        assert [e["character"]["name"] for e in story["story"]] == names
