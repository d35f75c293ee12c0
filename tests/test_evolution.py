"""A spec that evolves migrates the database it already has: append-only revisions, old rows intact."""

import shutil
from pathlib import Path

import pytest

from .data_helpers import POSTGRES, database_url, generate, run_in_tree

STEPS = Path(__file__).parent / "evolution"
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL"))]


def _step(project: Path, n: int) -> None:
    shutil.copy(STEPS / f"step{n}.yaml", project / "specs" / "library" / "v1.yaml")


def _ok(result) -> None:
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


@pytest.mark.parametrize("database", DATABASES)
def test_spec_evolution_keeps_rows_and_refuses_loss(tmp_path: Path, database: str):
    (tmp_path / "specs" / "library").mkdir(parents=True)
    (tmp_path / "services").mkdir()
    versions = tmp_path / "services" / "library" / "migrations" / "versions"
    tree, url = tmp_path / "out" / "library", database_url(database, tmp_path)
    _step(tmp_path, 1)
    _ok(generate(tmp_path))
    _ok(
        run_in_tree(
            tree,
            "library",
            url,
            """
    with TestClient(app) as c:
        for title, rating in [("old one", 4.5), ("old two", 3.0)]:
            assert c.post("/v1/books", json={"title": title, "author": "a", "rating": rating}).status_code == 201
    """,
        )
    )
    first = sorted(p.name for p in versions.iterdir())
    assert first == ["0001_initial.py"]
    initial = (versions / "0001_initial.py").read_text()

    # v2: a new field (filtered, so indexed) and a nested collection.
    _step(tmp_path, 2)
    _ok(generate(tmp_path))
    assert sorted(p.name for p in versions.iterdir()) == ["0001_initial.py", "0002_create_table_books_reviews.py"]
    assert (versions / "0001_initial.py").read_text() == initial, "history is append-only"
    second = (versions / "0002_create_table_books_reviews.py").read_text()
    assert "add_column" in second and "ix_books_isbn" in second and 'ondelete="CASCADE"' in second, second
    _ok(generate(tmp_path))
    assert len(list(versions.iterdir())) == 2, "the same spec adds no revision"
    _ok(
        run_in_tree(
            tree,
            "library",
            url,
            """
    with TestClient(app) as c:
        old = c.get("/v1/books", params={"sortBy": "title"}).json()
        assert [(b["title"], b["rating"]) for b in old] == [("old one", 4.5), ("old two", 3.0)], old
        new = c.post("/v1/books", json={"title": "new", "author": "b", "isbn": "978-3"}).json()
        assert [b["title"] for b in c.get("/v1/books", params={"isbn": "978-3"}).json()] == ["new"]
        one = old[0]["bookId"]
        r = c.post(f"/v1/books/{one}/reviews", json={"stars": 5, "text": "fine"})
        assert r.status_code == 201 and r.json()["bookId"] == one and r.json()["stars"] == 5, r.text
        c.post(f"/v1/books/{new['bookId']}/reviews", json={"stars": 1})
        assert [v["stars"] for v in c.get(f"/v1/books/{one}/reviews").json()] == [5]
        missing = c.post("/v1/books/999999/reviews", json={"stars": 2})
        assert missing.status_code == 404 and "bookId 999999" in missing.json()["message"], missing.text
        assert c.get("/v1/books/999999/reviews").status_code == 404
        assert c.delete(f"/v1/books/{one}").status_code == 204
        assert c.get(f"/v1/books/{one}/reviews").status_code == 404
    """,
        )
    )

    # v3 drops a field: refused, naming it and the spec, nothing written; applied with the flag.
    _step(tmp_path, 3)
    refused = generate(tmp_path)
    assert refused.returncode == 2
    assert "books.rating is dropped" in refused.stderr and "specs/library/v1.yaml" in refused.stderr, refused.stderr
    assert "--allow-destructive" in refused.stderr
    assert len(list(versions.iterdir())) == 2
    _ok(generate(tmp_path, "--allow-destructive"))
    assert len(list(versions.iterdir())) == 3
    _ok(
        run_in_tree(
            tree,
            "library",
            url,
            """
    with TestClient(app) as c:
        books = c.get("/v1/books", params={"sortBy": "title"}).json()
        assert [b["title"] for b in books] == ["new", "old two"] and all("rating" not in b for b in books), books
        assert c.get("/v1/books", params={"isbn": "978-3"}).json()[0]["author"] == "b"
    """,
        )
    )
