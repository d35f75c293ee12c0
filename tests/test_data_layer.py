"""Generated services keep real data: what a client stores it finds again, typed, sorted by value, never lost."""

import shutil
from pathlib import Path

import pytest

from .conftest import PROJECT_SPECS
from .data_helpers import POSTGRES, database_url, generate, run_in_tree

OWN_SPECS = Path(__file__).parent / "specs"
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL"))]


def _project(tmp_path: Path, *specs: tuple[Path, str]) -> Path:
    for source, name in specs:
        shutil.copytree(source, tmp_path / "specs" / name)
    (tmp_path / "services").mkdir(exist_ok=True)
    result = generate(tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def _ok(result) -> None:
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("database", DATABASES)
def test_logging_search_finds_what_was_stored(tmp_path: Path, database: str):
    project = _project(tmp_path, (PROJECT_SPECS / "logging", "logging"))
    code = """
    H = {"X-API-KEY": "k"}
    with TestClient(app) as c:
        for i, svc in enumerate(["svc1", "svc2", "svc1"]):
            r = c.post("/v1/logs", json={"service": svc, "level": "info", "message": f"m{i}"}, headers=H)
            assert r.status_code == 201, r.text
        found = c.get("/v1/logs/search", params={"service": "svc1"}, headers=H).json()
        assert [e["message"] for e in found] == ["m0", "m2"], found
        page = c.get("/v1/logs/search", params={"limit": 1, "offset": 1}, headers=H).json()
        assert [e["message"] for e in page] == ["m1"], page
    """
    _ok(run_in_tree(project / "out" / "logging", "logging_service", database_url(database, tmp_path), code))


@pytest.mark.parametrize("database", DATABASES)
def test_sort_filter_and_page_by_typed_value(tmp_path: Path, database: str):
    project = _project(tmp_path, (OWN_SPECS / "library", "library"))
    code = """
    with TestClient(app) as c:
        for title, pages, author in [("b", 10, "x"), ("a", 9, "x"), ("c", 100, "y"), ("d", 2, "x")]:
            r = c.post("/v1/books", json={"title": title, "author": author, "pages": pages, "tags": [title, "all"]})
            assert r.status_code == 201, r.text
            assert r.json()["pages"] == pages and r.json()["tags"] == [title, "all"]
        by_pages = c.get("/v1/books", params={"sortBy": "pages"}).json()
        assert [b["pages"] for b in by_pages] == [2, 9, 10, 100], by_pages
        by_x = c.get("/v1/books", params={"author": "x", "sortBy": "pages", "limit": 2, "offset": 1}).json()
        assert [b["title"] for b in by_x] == ["a", "b"], by_x
        tagged = c.get("/v1/books", params={"tags": "c"}).json()
        assert [b["title"] for b in tagged] == ["c"], tagged
        # The served spec links each create to the item operations, for stateful clients.
        links = c.get("/openapi.json").json()["paths"]["/v1/books"]["post"]["responses"]["201"]["links"]
        assert links["getBook"] == {"operationId": "getBook", "parameters": {"bookId": "$response.body#/bookId"}}
        assert {"patchBook", "deleteBook"} <= set(links), links
        nested = c.get("/openapi.json").json()["paths"]["/v1/books/{bookId}/reviews"]["post"]["responses"]["201"]
        assert "links" not in nested  # no item operations to link to
    """
    _ok(run_in_tree(project / "out" / "library", "library", database_url(database, tmp_path), code))


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")
def test_concurrent_patches_of_different_fields_both_land(tmp_path: Path):
    project = _project(tmp_path, (OWN_SPECS / "library", "library"))
    code = """
    from concurrent.futures import ThreadPoolExecutor
    with TestClient(app) as c:
        lost = 0
        for round in range(40):
            book = c.post("/v1/books", json={"title": "t", "author": "a", "pages": 1}).json()
            url = f"/v1/books/{book['bookId']}"
            with ThreadPoolExecutor(2) as pool:
                a = pool.submit(c.patch, url, json={"title": f"t{round}"})
                b = pool.submit(c.patch, url, json={"pages": round + 100})
                assert a.result().status_code == 200 and b.result().status_code == 200
            stored = c.get(url).json()
            lost += stored["title"] != f"t{round}" or stored["pages"] != round + 100
        assert lost == 0, f"{lost} of 40 rounds lost a PATCH"
    """
    _ok(run_in_tree(project / "out" / "library", "library", database_url("postgresql", tmp_path), code))


@pytest.mark.parametrize("database", DATABASES)
def test_new_resource_migrates_an_existing_database(tmp_path: Path, database: str):
    project = _project(tmp_path, (OWN_SPECS / "library", "library"))
    url = database_url(database, tmp_path)
    tree = project / "out" / "library"
    _ok(
        run_in_tree(
            tree,
            "library",
            url,
            """
    with TestClient(app) as c:
        assert c.post("/v1/books", json={"title": "kept", "author": "a"}).status_code == 201
    """,
        )
    )
    spec = project / "specs" / "library" / "v1.yaml"
    shelves = (
        "  /shelves:\n    post:\n      operationId: createShelf\n"
        "      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/Shelf'}}}}\n"
        "      responses:\n        '201': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Shelf'}}}}\n"
        "        '400': {$ref: '#/components/responses/BadRequest'}\n"
        "    get:\n      operationId: listShelves\n      responses:\n"
        "        '200': {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Shelf'}}}}}\n"
    )
    text = (
        spec.read_text()
        .replace("paths:\n", "paths:\n" + shelves)
        .replace(
            "  schemas:\n",
            "  schemas:\n    Shelf:\n      type: object\n      properties:\n        shelfId: {type: integer}\n        name: {type: string}\n",
        )
    )
    spec.write_text(text)
    _ok(generate(project))
    _ok(
        run_in_tree(
            tree,
            "library",
            url,
            """
    with TestClient(app) as c:
        r = c.post("/v1/shelves", json={"name": "top"})
        assert r.status_code == 201, r.text
        assert [s["name"] for s in c.get("/v1/shelves").json()] == ["top"]
        assert [b["title"] for b in c.get("/v1/books").json()] == ["kept"]
    """,
        )
    )


@pytest.mark.parametrize("database", DATABASES)
def test_paged_envelope_allof_ids_and_unfillable_responses(tmp_path: Path, database: str):
    project = _project(tmp_path, (OWN_SPECS / "catalog", "catalog"))
    code = """
    with TestClient(app) as c:
        ids = []
        for i in range(5):
            body = {"name": f"p{i}", "category": "tea" if i % 2 else "cup", "price": i + 0.5, "attributes": {"k": str(i)}}
            r = c.post("/v1/products", json=body)
            assert r.status_code == 201, r.text
            assert r.json() == {**body, "productId": r.json()["productId"]}, r.json()
            ids.append(r.json()["productId"])
        page = c.get("/v1/products", params={"category": "cup", "limit": 2, "offset": 1}).json()
        assert page["totalCount"] == 3 and [p["name"] for p in page["items"]] == ["p2", "p4"], page
        replaced = c.put(f"/v1/products/{ids[0]}", json={"name": "new", "category": "tea", "price": 1, "productId": 77})
        assert replaced.status_code == 200 and replaced.json()["productId"] == ids[0], replaced.text
        assert "attributes" not in c.get(f"/v1/products/{ids[0]}").json()
        # The order response requires an audit block no request carries: a 501 stub naming its file, not a 500.
        order = c.post("/v1/orders", json={"productId": ids[0]})
        assert order.status_code == 501 and "domain.py" in order.text, order.text
    """
    _ok(run_in_tree(project / "out" / "catalog", "catalog", database_url(database, tmp_path), code))


@pytest.mark.parametrize("database", DATABASES)
def test_dates_and_times_are_typed_columns(tmp_path: Path, database: str):
    project = _project(tmp_path, (OWN_SPECS / "diary", "diary"))
    code = """
    from sqlalchemy import create_engine, inspect
    with TestClient(app) as c:
        written = [
            ("2024-10-02", "2024-10-02T09:00:00Z"),
            ("2024-09-03", "2024-10-02T08:30:00+02:00"),  # 06:30 UTC
            ("2023-12-31", "2024-10-02T23:15:00-01:00"),  # 00:15 UTC the next day
        ]
        for i, (day, at) in enumerate(written):
            r = c.post("/v1/entries", json={"day": day, "at": at, "mood": "glad", "text": f"e{i}"})
            assert r.status_code == 201, r.text
            got = c.get(f"/v1/entries/{r.json()['entryId']}").json()
            assert got["day"] == day, got
            assert got["at"] == {0: "2024-10-02T09:00:00Z", 1: "2024-10-02T06:30:00Z", 2: "2024-10-03T00:15:00Z"}[i], got
        by_day = c.get("/v1/entries", params={"sortBy": "day"}).json()
        assert [e["text"] for e in by_day] == ["e2", "e1", "e0"], by_day
        by_time = c.get("/v1/entries", params={"sortBy": "at"}).json()
        assert [e["text"] for e in by_time] == ["e1", "e0", "e2"], by_time
        on_day = c.get("/v1/entries", params={"day": "2024-09-03"}).json()
        assert [e["text"] for e in on_day] == ["e1"], on_day
    engine = create_engine(os.environ["DB"])
    columns = {col["name"]: col["type"] for col in inspect(engine).get_columns("entries")}
    assert type(columns["day"]).__name__ == "DATE", columns
    assert type(columns["at"]).__name__ in ("DATETIME", "TIMESTAMP"), columns
    if engine.dialect.name == "postgresql":
        assert columns["at"].timezone, columns
    """
    _ok(run_in_tree(project / "out" / "diary", "diary", database_url(database, tmp_path), code))


_AROUND_THE_API = """
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
with TestClient(app) as c:
    r = c.post("/v1/entries", json={"day": "2024-01-01", "at": "2024-01-01T00:00:00Z", "mood": "it's complicated"})
    assert r.status_code == 201, r.text
    assert c.get(f"/v1/entries/{r.json()['entryId']}").json()["mood"] == "it's complicated"
engine = create_engine(os.environ["DB"])
insert = 'INSERT INTO entries (day, "at", mood) VALUES (:d, :t, :m)'
try:
    with engine.begin() as connection:
        connection.execute(text(insert), {"d": "2024-01-02", "t": "2024-01-02 00:00:00", "m": "angry"})
except IntegrityError as error:
    assert "ck_entries_mood" in str(error), error
else:
    raise AssertionError("a mood outside the enum was stored")
with engine.begin() as connection:
    connection.execute(text(insert), {"d": "2024-01-02", "t": "2024-01-02 00:00:00", "m": "sad"})
"""


@pytest.mark.parametrize("database", DATABASES)
def test_enums_are_checked_by_the_database(tmp_path: Path, database: str):
    # v1 has no enum: the table exists with rows before the enum arrives, so the check comes by a new revision.
    shutil.copytree(OWN_SPECS / "diary", tmp_path / "specs" / "diary")
    (tmp_path / "services").mkdir()
    project, spec = tmp_path, tmp_path / "specs" / "diary" / "v1.yaml"
    v2 = spec.read_text()
    spec.write_text(v2.replace("      enum: [glad, sad, it's complicated]\n", ""))
    _ok(generate(project))
    url = database_url(database, tmp_path)
    tree = project / "out" / "diary"
    old = "with TestClient(app) as c:\n    c.post('/v1/entries', json={'day': '2024-01-01', 'at': '2024-01-01T00:00:00Z', 'mood': 'sad'})"
    _ok(run_in_tree(tree, "diary", url, old))
    spec.write_text(v2)
    result = generate(project)
    _ok(result)
    versions = sorted(p.name for p in (project / "services" / "diary" / "migrations" / "versions").glob("0*.py"))
    assert versions[-1] == "0002_check_ck_entries_mood.py", versions
    _ok(run_in_tree(tree, "diary", url, _AROUND_THE_API))


@pytest.mark.parametrize("database", DATABASES)
def test_rolled_back_code_serves_a_schema_a_newer_release_migrated(tmp_path: Path, database: str):
    # A deploy migrates before it switches; when the new release then fails its health check, the old
    # one runs again on the newer schema (the release is rolled back, not the data).
    project = _project(tmp_path, (OWN_SPECS / "diary", "diary"))
    old_tree = tmp_path / "old" / "diary"
    shutil.copytree(project / "out" / "diary", old_tree)
    spec = project / "specs" / "diary" / "v1.yaml"
    spec.write_text(
        spec.read_text().replace(
            "        text: {type: string}\n", "        text: {type: string}\n        place: {type: string}\n"
        )
    )
    _ok(generate(project))
    url = database_url(database, tmp_path)
    new = "with TestClient(app) as c:\n    assert c.post('/v1/entries', json={'day': '2024-01-01', 'at': '2024-01-01T00:00:00Z', 'mood': 'sad', 'place': 'x'}).status_code == 201"
    _ok(run_in_tree(project / "out" / "diary", "diary", url, new))
    old = """
    with TestClient(app) as c:
        r = c.post("/v1/entries", json={"day": "2024-01-02", "at": "2024-01-02T00:00:00Z", "mood": "glad"})
        assert r.status_code == 201, r.text
        assert [e["mood"] for e in c.get("/v1/entries", params={"sortBy": "day"}).json()] == ["sad", "glad"]
    """
    _ok(run_in_tree(old_tree, "diary", url, old))
