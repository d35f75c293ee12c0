"""Benchmark: where a POST /sequence request's CPU goes, layer by layer, in one process and the same run.

bench/sequence.py measures the service under load; this takes one request at a time and times the CPU of
this process alone (PostgreSQL's own work is its processes'), so the layers can be subtracted:
1. the generated Central Sequence Service, the whole request through its ASGI app (no uvicorn, no client);
2. the same app with its domain function answering without the database: FastAPI, the API-key check and
   the spec's body check;
3. the domain module's lookup through the service's runtime/sql.py Transaction, with read(): on its own, as the
   service runs it for an element that already has its number;
4. the same lookup inside a transaction (execute(), then the commit);
5. the same through SQLAlchemy's AsyncSession with a pre-pinging pool, what the service used before the Transaction;
6. the lookup and a commit on one psycopg AsyncConnection, and 7. the lookup alone on it;
8. and 9. the same on one asyncpg connection, the driver the Transaction runs on: the drivers alone.
Run: .venv/bin/python bench/sequence_layers.py [--requests 3000]
PostgreSQL: FOUNTAIN_BENCH_POSTGRES_URL, else a throwaway cluster (scripts/pg-throwaway) for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.data_layer import _database, _postgres, _stop_postgres  # noqa: E402
from bench.sequence import KEY, TYPES  # noqa: E402


async def _cpu_ms(step: Callable[[int], Awaitable[None]], requests: int) -> float:
    """CPU milliseconds of this process per call of step, after a warm-up."""
    for i in range(200):
        await step(i)
    start = time.process_time()
    for i in range(requests):
        await step(i)
    return (time.process_time() - start) * 1000 / requests


def _requester(app, bodies: list[bytes]) -> Callable[[int], Awaitable[None]]:
    """One POST /v2/sequence through the ASGI app, checked for its 201.

    The ASGI call is made here, not through httpx's ASGITransport: its client would spend this process's CPU
    too, and this process's CPU is what is measured.
    """

    async def post(i: int) -> None:
        body = bodies[i % len(bodies)]
        headers = [(b"host", b"bench"), (b"x-api-key", KEY.encode()), (b"content-type", b"application/json")]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v2/sequence",
            "raw_path": b"/v2/sequence",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict] = []

        async def receive() -> dict:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)
        if sent[0]["status"] != 201:
            raise SystemExit(f"POST /v2/sequence answered {sent[0]['status']}: {sent[-1].get('body', b'')[:200]!r}")

    return post


async def _layers(url: str, tree: Path, requests: int) -> list[tuple[str, float]]:
    os.environ.update({"DATABASE_URL": url, "API_KEYS": KEY})
    sys.path.insert(0, str(tree))
    main = importlib.import_module("central_sequence.main")
    domain = importlib.import_module("central_sequence.handlers.domain")
    app = main.create_app()
    rng = random.Random(7)
    bodies = [
        json.dumps({"elementType": rng.choice(TYPES), "elementId": rng.randint(1, 250), "comment": "b"}).encode()
        for _ in range(requests)
    ]
    rows = []
    async with app.router.lifespan_context(app):
        rows.append(("generated service, whole request", await _cpu_ms(_requester(app, bodies), requests)))
        real = domain.generate_sequence_number

        async def no_database(ctx, *, body):
            return {"sequenceNumber": 1, "comment": body.comment}

        domain.generate_sequence_number = no_database  # routes look the function up per request
        try:
            rows.append(("same, domain without the database", await _cpu_ms(_requester(app, bodies), requests)))
        finally:
            domain.generate_sequence_number = real
        rows.extend(await _database_layers(app.state.db, domain._FIND, url, requests))
    return rows


async def _database_layers(db, lookup, url: str, requests: int) -> list[tuple[str, float]]:
    """The domain module's lookup: the service's Transaction, SQLAlchemy's AsyncSession, psycopg alone."""
    import psycopg
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    def through_transaction(method: str) -> Callable[[int], Awaitable[None]]:
        async def step(i: int) -> None:
            async with db.transaction() as transaction:  # as the service's routes run it (runtime/db.py)
                (await getattr(transaction, method)(lookup, {"t": "script", "e": i})).scalar()

        return step

    rows = [
        ("Transaction, read(): the lookup alone", await _cpu_ms(through_transaction("read"), requests)),
        ("Transaction, execute() and commit", await _cpu_ms(through_transaction("execute"), requests)),
    ]
    engine = create_async_engine(url, pool_pre_ping=True, pool_size=15)
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)

        async def through_session(i: int) -> None:
            async with sessions() as session:
                (await session.execute(lookup, {"t": "script", "e": i})).scalar()
                await session.commit()

        rows.append(("AsyncSession and commit, pre-ping", await _cpu_ms(through_session, requests)))
    finally:
        await engine.dispose()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    statement = str(lookup.compile(dialect=engine.dialect))  # the same SQL in psycopg's %(name)s style
    async with await psycopg.AsyncConnection.connect(dsn) as connection:

        async def in_transaction(i: int) -> None:
            await (await connection.execute(statement, {"t": "script", "e": i})).fetchone()
            await connection.commit()

        rows.append(("psycopg alone, lookup and commit", await _cpu_ms(in_transaction, requests)))
        await connection.set_autocommit(True)

        async def alone(i: int) -> None:
            await (await connection.execute(statement, {"t": "script", "e": i})).fetchone()

        rows.append(("psycopg alone, the lookup alone", await _cpu_ms(alone, requests)))
    import asyncpg

    numbered = str(lookup.compile(dialect=db.lender.dialect))  # the same SQL in asyncpg's $1 style
    driver = await asyncpg.connect(dsn)
    try:

        async def asyncpg_in_transaction(i: int) -> None:
            await driver.execute("BEGIN")
            await driver.fetchrow(numbered, "script", i)
            await driver.execute("COMMIT")

        async def asyncpg_alone(i: int) -> None:
            await driver.fetchrow(numbered, "script", i)

        rows.append(("asyncpg alone, lookup and commit", await _cpu_ms(asyncpg_in_transaction, requests)))
        rows.append(("asyncpg alone, the lookup alone", await _cpu_ms(asyncpg_alone, requests)))
    finally:
        await driver.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)  # the throwaway cluster runs as the postgres user, who must reach its folder
        server, pg = _postgres(Path(folder))
        try:
            from generator import generate

            generate(ROOT / "specs" / "central-sequence", Path(folder) / "out", project_root=ROOT)
            tree = Path(folder) / "out" / "central-sequence"
            rows = asyncio.run(_layers(_database(server), tree, args.requests))
        finally:
            _stop_postgres(pg)
    print(f"POST /sequence layers, {args.requests} requests one at a time, CPU of this process, PostgreSQL")
    for name, ms in rows:
        print(f"{name:40}{ms:>8.3f} ms")


if __name__ == "__main__":
    main()
