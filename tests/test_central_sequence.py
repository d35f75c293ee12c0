"""Central Sequence under load, as clients use it: numbers unique per type, retries safe, reorders atomic."""

import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from .data_helpers import fresh_postgres
from .sequence_helpers import KEY, build_project_service, serving

POSTGRES = os.environ.get("FOUNTAIN_TEST_POSTGRES_URL")
CLIENTS = 64
REQUESTS = 5000


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return build_project_service(tmp_path_factory.mktemp("project") / "out", "central-sequence")


def _database(kind: str, folder: Path) -> str:
    if kind == "postgresql":
        if not POSTGRES:
            pytest.skip("FOUNTAIN_TEST_POSTGRES_URL is not set (scripts/test starts a throwaway cluster)")
        return fresh_postgres()
    return f"sqlite:///{folder}/sequence.db"


def _stored(url: str, kind: str) -> dict[int, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT element_id, sequence_number FROM domain_sequences WHERE element_type = :t"), {"t": kind}
        ).all()
    engine.dispose()
    return {int(e): int(n) for e, n in rows}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_64_clients_get_unique_numbers_and_reorders_stay_atomic(tree: Path, tmp_path: Path, database: str):
    url = _database(database, tmp_path)
    rng = random.Random(12)
    # Characters are only numbered (retries included); sections are numbered and reordered at once.
    work = [
        ("character", rng.randint(1, 1500)) if rng.random() < 0.7 else ("section", rng.randint(1, 300))
        for _ in range(REQUESTS)
    ]
    known: dict[int, int] = {}
    with (
        serving(tree, "central_sequence", url) as base,
        httpx.Client(
            base_url=base, headers={"X-API-KEY": KEY}, timeout=60, limits=httpx.Limits(max_connections=CLIENTS)
        ) as client,
    ):

        def ask(job: tuple[str, int]) -> tuple[str, int, int, int | None]:
            kind, element = job
            answer = client.post("/v2/sequence", json={"elementType": kind, "elementId": element, "comment": "t"})
            number = answer.json().get("sequenceNumber") if answer.status_code == 201 else None
            if kind == "section" and number is not None:
                known[element] = number
            if rng.random() < 0.08 and len(known) > 2:
                a, b = rng.sample(sorted(known), 2)
                swap = [{"elementId": a, "newSequence": known[b]}, {"elementId": b, "newSequence": known[a]}]
                moved = client.put(
                    "/v2/sequence/reorder", json={"elementType": "section", "elements": swap, "comment": "swap"}
                )
                reorders.append(moved.status_code)
            return kind, element, answer.status_code, number

        reorders: list[int] = []
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(ask, work))
        final = {
            e: client.post("/v2/sequence", json={"elementType": "section", "elementId": e, "comment": "again"})
            for e in sorted({e for k, e in work if k == "section"})
        }

    assert {status for _, _, status, _ in results} == {201}
    # A swap built from numbers another swap has just moved conflicts (409) and changes nothing.
    assert reorders and set(reorders) <= {200, 409} and 200 in set(reorders), reorders[:20]
    # Characters: one number per element, the same on every retry, none handed out twice, none skipped.
    by_element: dict[int, set[int]] = {}
    for kind, element, _, number in results:
        if kind == "character":
            by_element.setdefault(element, set()).add(number)
    assert all(len(numbers) == 1 for numbers in by_element.values())
    numbers = [next(iter(n)) for n in by_element.values()]
    assert sorted(numbers) == list(range(1, len(by_element) + 1))
    assert _stored(url, "character") == {e: next(iter(n)) for e, n in by_element.items()}
    # Sections: after all the swaps, still one distinct number per element, and asking again returns it.
    sections = _stored(url, "section")
    assert set(sections) == set(final)
    assert len(set(sections.values())) == len(sections)
    # Swaps only exchange numbers: the sections still hold exactly 1..n, none lost, none invented.
    assert sorted(sections.values()) == list(range(1, len(sections) + 1))
    assert {e: r.json()["sequenceNumber"] for e, r in final.items()} == sections


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_reorder_is_all_or_nothing_and_versions_count_up(tree: Path, tmp_path: Path, database: str):
    url = _database(database, tmp_path)
    with (
        serving(tree, "central_sequence", url) as base,
        httpx.Client(base_url=base, headers={"X-API-KEY": KEY}, timeout=30) as client,
    ):
        for element in (7, 8, 9):
            assert (
                client.post(
                    "/v1/sequence", json={"elementType": "action", "elementId": element, "comment": "c"}
                ).status_code
                == 201
            )
        before = _stored(url, "action")
        assert before == {7: 1, 8: 2, 9: 3}
        unknown = client.post(
            "/v1/sequence/reorder",
            json={
                "elementType": "action",
                "comment": "c",
                "elements": [{"elementId": 7, "newSequence": 3}, {"elementId": 404, "newSequence": 1}],
            },
        )
        # Schema-valid requests the stored numbers refuse: 404 (unknown element) and 409 (conflict), not 400.
        assert unknown.status_code == 404 and "404" in unknown.json()["message"]
        taken = client.put(
            "/v2/sequence/reorder",
            json={"elementType": "action", "comment": "c", "elements": [{"elementId": 7, "newSequence": 2}]},
        )
        assert taken.status_code == 409 and "element 8" in taken.json()["message"]
        twice = client.put(
            "/v2/sequence/reorder",
            json={
                "elementType": "action",
                "comment": "c",
                "elements": [{"elementId": 7, "newSequence": 5}, {"elementId": 9, "newSequence": 5}],
            },
        )
        assert twice.status_code == 409 and "same sequence number" in twice.json()["message"]
        # What the spec itself refuses is a 400: an entry without its number, an id beyond 64 bits.
        for bad in ([{"elementId": 7}], [{"elementId": 2**63, "newSequence": 1}]):
            refused = client.put(
                "/v2/sequence/reorder", json={"elementType": "action", "comment": "c", "elements": bad}
            )
            assert refused.status_code == 400, refused.text
        big = client.post("/v2/sequence", json={"elementType": "action", "elementId": 2**63, "comment": "c"})
        assert big.status_code == 400, big.text
        assert _stored(url, "action") == before
        # v1 (POST) and v2 (PUT) share one domain function; a swap lands whole.
        swap = client.post(
            "/v1/sequence/reorder",
            json={
                "elementType": "action",
                "comment": "c",
                "elements": [{"elementId": 7, "newSequence": 3}, {"elementId": 9, "newSequence": 1}],
            },
        )
        assert swap.status_code == 200
        assert swap.json()["updatedElements"] == [
            {"elementId": 9, "newSequence": 1},
            {"elementId": 7, "newSequence": 3},
        ]
        assert _stored(url, "action") == {7: 3, 8: 2, 9: 1}
        # A reorder to a higher number moves the counter: the next new element gets a number above it.
        client.put(
            "/v2/sequence/reorder",
            json={"elementType": "action", "comment": "c", "elements": [{"elementId": 8, "newSequence": 10}]},
        )
        fresh = client.post("/v2/sequence", json={"elementType": "action", "elementId": 11, "comment": "c"})
        assert fresh.json() == {"sequenceNumber": 11, "comment": "c"}
        versions = [
            client.post(
                "/v2/sequence/version",
                json={"elementType": "script", "elementId": 5, "newVersionData": {"title": f"t{i}"}, "comment": "v"},
            )
            for i in range(3)
        ]
        assert [v.json()["versionNumber"] for v in versions] == [1, 2, 3]
        other = client.post(
            "/v1/sequence/version", json={"elementType": "script", "elementId": 6, "newVersionData": {}, "comment": "v"}
        )
        assert other.json()["versionNumber"] == 1


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_comments_and_version_data_keep_any_json_text(tree: Path, tmp_path: Path, database: str):
    # PostgreSQL's text and jsonb refuse a NUL character, which JSON allows (a 500 Schemathesis found).
    url = _database(database, tmp_path)
    data = {"ti\x00tle": ["a\x00b", {"\\0": "\\"}], "n": 1}
    with (
        serving(tree, "central_sequence", url) as base,
        httpx.Client(base_url=base, headers={"X-API-KEY": KEY}, timeout=30) as client,
    ):
        numbered = client.post("/v2/sequence", json={"elementType": "script", "elementId": 3, "comment": "x\x00y"})
        versioned = client.post(
            "/v2/sequence/version",
            json={"elementType": "script", "elementId": 3, "newVersionData": data, "comment": "\x00"},
        )
    assert numbered.status_code == 201 and numbered.json() == {"sequenceNumber": 1, "comment": "x\x00y"}
    assert versioned.status_code == 201 and versioned.json() == {"versionNumber": 1, "comment": "\x00"}
    # Read back through the service's own column types: what was sent, byte for byte.
    probe = (
        "import json, sys; from sqlalchemy import create_engine, select, column, table;"
        "from central_sequence.runtime.columns import Document, SafeText;"
        "t = table('domain_versions', column('data', Document()), column('comment', SafeText()));"
        "e = create_engine(sys.argv[1]); c = e.connect(); print(json.dumps(list(c.execute(select(t)).one())))"
    )
    read = subprocess.run(
        [sys.executable, "-c", probe, url], env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True
    )
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == [data, "\x00"]
