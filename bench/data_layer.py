"""Benchmark: the generated data layer beside hand-written SQLAlchemy and FastAPI doing the same work, same run.

1. List with one filter, a sort and limit=10 at each table size, on PostgreSQL and SQLite: the generated
   service's collection (and the whole in-process request) beside a hand-written SQLAlchemy query (the ceiling).
2. Requests per second for create and get-by-id under 32 concurrent clients, one uvicorn worker on PostgreSQL:
   the generated service beside bench/baseline_app.py, a minimal hand-written FastAPI + SQLAlchemy app.

Run: .venv/bin/python bench/data_layer.py [--sizes 10000,100000,1000000] [--seconds 5]
PostgreSQL: FOUNTAIN_BENCH_POSTGRES_URL, else a throwaway cluster (scripts/pg-throwaway) for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "specs" / "library"
AUTHORS = 100  # one filter value matches 1% of the rows
REPEAT = 200


def _generate(work: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from generator import generate

    (work / "specs").mkdir(parents=True)
    shutil.copytree(SPEC, work / "specs" / "library")
    (work / "services").mkdir()
    generate(work / "specs", work / "out", project_root=work)
    return work / "out" / "library"


def _postgres(work: Path) -> tuple[str, Path | None]:
    url = os.environ.get("FOUNTAIN_BENCH_POSTGRES_URL")
    if url:
        return url, None
    folder = work / "pg"
    url = subprocess.run(
        [str(ROOT / "scripts" / "pg-throwaway"), str(folder)], capture_output=True, text=True, check=True
    )
    return url.stdout.strip(), folder


def _stop_postgres(folder: Path | None) -> None:
    if folder is None:
        return
    pg_ctl = shutil.which("pg_ctl") or sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
    run = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    subprocess.run([*run, str(pg_ctl), "-D", str(folder / "data"), "-m", "immediate", "stop"], capture_output=True)


def _database(server: str) -> str:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + f"/{name}"


def _row(i: int) -> tuple[str, str, int, float]:
    return f"a{i % AUTHORS}", f"t{i}", (i * 7919) % 100_000, (i % 50) / 10


def _load(engine, start: int, stop: int) -> None:
    """Append rows start..stop-1: COPY on PostgreSQL, batched executemany on SQLite."""
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor, cursor.copy("COPY books (author, title, pages, rating) FROM STDIN") as copy:
                for i in range(start, stop):
                    copy.write_row(_row(i))
            raw.commit()
        finally:
            raw.close()
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE books")
        return
    raw = engine.raw_connection()
    try:
        for chunk in range(start, stop, 50_000):
            rows = [_row(i) for i in range(chunk, min(stop, chunk + 50_000))]
            raw.cursor().executemany("INSERT INTO books (author, title, pages, rating) VALUES (?, ?, ?, ?)", rows)
        raw.commit()
        raw.cursor().execute("ANALYZE")
    finally:
        raw.close()


def _timed(call) -> tuple[float, float]:
    for _ in range(20):
        call()
    samples = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def bench_lists(tree: Path, urls: dict[str, str], sizes: list[int]) -> list[tuple]:
    """(database, rows, ceiling, ours collection, ours request) median/p95 in ms."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    sys.path.insert(0, str(tree))
    main = importlib.import_module("library.main")
    settings = importlib.import_module("library.config").Settings
    routes = importlib.import_module("library.v1.routes")
    results = []
    for kind, url in urls.items():
        app = main.create_app(settings(database_url=url))
        with TestClient(app) as client:
            engine = app.state.db.engine
            table = routes.BOOKS.table
            loaded = 0
            for size in sizes:
                _load(engine, loaded, size)
                loaded = size
                query = {"author": "a7", "sortBy": "pages", "limit": 10}
                hand = (
                    select(table)
                    .where(table.c.author == "a7")
                    .order_by(table.c.pages.asc().nulls_last(), table.c.bookId)
                    .limit(10)
                )

                def ceiling(hand=hand, engine=engine):
                    with engine.connect() as connection:
                        return connection.execute(hand).all()

                def collection(query=query, app=app):
                    with app.state.db.sessions() as session:
                        return routes.BOOKS.list(session, query)

                def request(query=query):
                    response = client.get("/v1/books", params=query)
                    assert response.status_code == 200 and len(response.json()) == 10
                    return response

                assert [r.bookId for r in ceiling()] == [d["bookId"] for d in collection()]
                results.append((kind, size, _timed(ceiling), _timed(collection), _timed(request)))
                print(_list_line(results[-1]), flush=True)
    return results


def _list_line(row: tuple) -> str:
    kind, size, ceiling, collection, request = row
    return (
        f"{kind:<10} {size:>9,} rows | ceiling {ceiling[0]:6.2f} ms (p95 {ceiling[1]:6.2f}) | "
        f"generated {collection[0]:6.2f} ms (p95 {collection[1]:6.2f}) = {collection[0] / ceiling[0]:4.2f}x | "
        f"whole request {request[0]:6.2f} ms"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app: str, cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            app,
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(200):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app} did not start")


async def _load_test(base: str, seconds: float, clients: int = 32) -> tuple[float, float]:
    """(creates/s, gets/s): first every client creates for `seconds`, then every client reads what was made."""
    import httpx

    made: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def creator(deadline: float) -> int:
            count = 0
            while time.perf_counter() < deadline:
                body = {"title": f"t{count}", "author": "a1", "pages": count, "rating": 1.5, "tags": ["x"]}
                response = await client.post("/v1/books", json=body)
                assert response.status_code == 201, response.text
                made.append(response.json()["bookId"])
                count += 1
            return count

        async def reader(deadline: float, offset: int) -> int:
            count = 0
            while time.perf_counter() < deadline:
                response = await client.get(f"/v1/books/{made[(offset + count * clients) % len(made)]}")
                assert response.status_code == 200, response.text
                count += 1
            return count

        t0 = time.perf_counter()
        creates = sum(await asyncio.gather(*(creator(t0 + seconds) for _ in range(clients))))
        create_rate = creates / (time.perf_counter() - t0)
        t1 = time.perf_counter()
        gets = sum(await asyncio.gather(*(reader(t1 + seconds, n) for n in range(clients))))
        return create_rate, gets / (time.perf_counter() - t1)


def bench_requests(tree: Path, server: str, seconds: float) -> list[tuple]:
    results = []
    for name, app, cwd in (
        ("hand-written", "baseline_app:create_app", Path(__file__).parent),
        ("generated", "library.main:create_app", tree),
    ):
        url = _database(server)
        env = {"DATABASE_URL": url, "PYTHONPATH": str(cwd)}
        process, base = _serve(app, cwd, env)
        try:
            creates, gets = asyncio.run(_load_test(base, seconds))
        finally:
            process.terminate()
            process.wait()
        results.append((name, creates, gets))
        print(f"{name:<13} create {creates:8.0f} req/s | get {gets:8.0f} req/s  (32 clients, 1 worker, PostgreSQL)")
    (_, hand_c, hand_g), (_, ours_c, ours_g) = results
    print(f"generated / hand-written: create {ours_c / hand_c:.2f}x, get {ours_g / hand_g:.2f}x (target >= 0.7x)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--skip-requests", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="fountain-bench-"))
    server, folder = _postgres(work)
    try:
        tree = _generate(work)
        urls = {"postgresql": _database(server), "sqlite": f"sqlite:///{work}/bench.db"}
        print(f"list: filter author (1 in {AUTHORS} rows), sort by pages, limit 10; median of {REPEAT}")
        bench_lists(tree, urls, sizes)
        if not args.skip_requests:
            bench_requests(tree, server, args.seconds)
    finally:
        _stop_postgres(folder)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
