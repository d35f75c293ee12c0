"""runtime/sql.py's Transaction, what `async def` domain functions run their SQL on, against the real databases."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, bindparam, select, text
from sqlalchemy.exc import MultipleResultsFound, NoResultFound

from generator.runtime.columns import Document, Instant, SafeText, WholeNumber
from generator.runtime.db import Database

from .data_helpers import POSTGRES, database_url

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL"))]

_NOTES = Table(
    "notes",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("body", SafeText()),
    Column("data", Document()),
    Column("kind", Text),
    Column("count", WholeNumber()),
    Column("at", Instant()),
)
_ADD = text("INSERT INTO notes (id, body, kind) VALUES (:i, :b, :k)").bindparams(bindparam("b", type_=SafeText()))
_ONE = text("SELECT body FROM notes WHERE id = :i")
_SOME = text("SELECT id FROM notes WHERE id IN :ids ORDER BY id").bindparams(bindparam("ids", expanding=True))
_KIND = text("SELECT id FROM notes WHERE kind = :k ORDER BY id")
_IDS = text("SELECT id FROM notes ORDER BY id")
_MOVE = text("UPDATE notes SET kind = :k WHERE id = :i")
_DATA = text("UPDATE notes SET data = :d WHERE id = :i").bindparams(bindparam("d", type_=Document()))
# A typed select: its columns read back through their types (SafeText's NUL, Document's JSON, a NUMERIC's int).
_TYPED = select(_NOTES.c.body, _NOTES.c.data).where(_NOTES.c.id == bindparam("i"))
_STAMP = _NOTES.update().where(_NOTES.c.id == bindparam("i")).values(count=bindparam("n"), at=bindparam("t"))
_STAMPED = select(_NOTES.c.count, _NOTES.c.at).where(_NOTES.c.id == bindparam("i"))


def _database(kind: str, folder: Path, pool_size: int = 15) -> Database:
    """A Database on a fresh database of that kind, with the notes table."""
    db = Database(database_url(kind, folder), pool_size=pool_size)
    _NOTES.metadata.create_all(db.engine)
    return db


async def _in_one(db: Database, steps, commit: bool = True):
    """Run steps(transaction) in one transaction and end it as commits() does; what steps returned."""
    transaction = db.transaction()
    try:
        result = await steps(transaction)
    except BaseException:
        await transaction.end(commit=False)
        raise
    await transaction.end(commit=commit)
    return result


@pytest.mark.parametrize("kind", DATABASES)
def test_statements_commit_roll_back_and_read_back(kind: str, tmp_path: Path):
    db = _database(kind, tmp_path)

    async def scenario() -> None:
        async def write(t):
            # A list of parameter sets runs the statement once for each; SafeText keeps a NUL on PostgreSQL too.
            await t.execute(_ADD, [{"i": i, "b": f"note\x00{i}", "k": "draft"} for i in (1, 2, 3)])
            await t.execute(_MOVE, {"k": "final", "i": 2})
            return (await t.execute(_KIND, {"k": "draft"})).scalars()

        assert await _in_one(db, write) == [1, 3]

        async def look(t):
            # read() first (on its own on PostgreSQL), then statements inside the transaction.
            typed = (await t.read(_TYPED, {"i": 2})).first()
            await t.execute(_DATA, {"d": {"x": ["a\x00", 1]}, "i": 3})
            listed = (await t.execute(_SOME, {"ids": [3, 1, 9]})).all()
            missing = (await t.execute(_ONE, {"i": 9})).one_or_none()
            with pytest.raises(NoResultFound):
                (await t.execute(_ONE, {"i": 9})).scalar_one()
            with pytest.raises(MultipleResultsFound):
                (await t.execute(_SOME, {"ids": [1, 3]})).one()
            return typed, listed, missing, (await t.execute(_TYPED, {"i": 3})).one()

        typed, listed, missing, data = await _in_one(db, look)
        assert typed == ("note\x002", None) and listed == [(1,), (3,)] and missing is None
        assert data == ("note\x003", {"x": ["a\x00", 1]})

        async def undone(t):
            await t.read(_ONE, {"i": 1})
            await t.execute(_MOVE, {"k": "gone", "i": 1})
            await t.execute(_DATA, {"d": {"x": [1, "a"]}, "i": 1})

        await _in_one(db, undone, commit=False)

        async def after(t):
            return (await t.read(_KIND, {"k": "gone"})).scalars(), (await t.execute(_KIND, {"k": "final"})).scalars()

        assert await _in_one(db, after) == ([], [2])

        async def stamp(t):
            # Beyond 64 bits and an instant given with an offset: read back as the generated CRUD gives them.
            await t.execute(_STAMP, {"i": 2, "n": 2**70, "t": "2026-11-27T18:30:00+01:00"})
            return (await t.execute(_STAMPED, {"i": 2})).first()

        assert await _in_one(db, stamp) == (2**70, "2026-11-27T17:30:00Z")

        async def as_sqlalchemy_reads(t):
            # Values written into the statement go through their column's type as the caller's do (a NUL in
            # a SafeText literal, a dict for a Document); RETURNING over a list gives a row for each set.
            moved = await t.execute(_NOTES.update().where(_NOTES.c.body == "note\x003").values(data={"y": 2}))
            found = (await t.execute(select(_NOTES.c.id, _NOTES.c.data).where(_NOTES.c.body == "note\x003"))).one()
            added = await t.execute(
                text("INSERT INTO notes (id, kind) VALUES (:i, :k) RETURNING id"),
                [{"i": 7, "k": "r"}, {"i": 8, "k": "r"}],
            )
            rows = (await t.execute(_KIND, {"k": "r"})).mappings()
            return moved.rowcount, (found.id, found.data), added.scalars().all(), rows

        assert await _in_one(db, as_sqlalchemy_reads) == (1, (3, {"y": 2}), [7, 8], [{"id": 7}, {"id": 8}])
        await db.dispose()

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", DATABASES)
def test_one_statement_at_a_time(kind: str, tmp_path: Path):
    # Two statements at once would each take a connection: two transactions, only one of them ended.
    db = _database(kind, tmp_path)

    async def scenario() -> None:
        async def both(t):
            await asyncio.gather(t.execute(_ONE, {"i": 1}), t.execute(_ONE, {"i": 2}))

        with pytest.raises(RuntimeError, match="one statement at a time"):
            await _in_one(db, both)
        await asyncio.sleep(0.5)  # the first statement, still under way, ends with the transaction
        assert db.lender.lent() == 0
        with pytest.raises(RuntimeError, match="has ended"):
            await _ended_statement(db)
        await db.dispose()

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", DATABASES)
def test_an_error_inside_rolls_back_what_came_before(kind: str, tmp_path: Path):
    db = _database(kind, tmp_path)

    async def scenario() -> None:
        async def fails(t):
            await t.execute(_ADD, {"i": 1, "b": "x", "k": "k"})
            await t.execute(_ADD, {"i": 1, "b": "again", "k": "k"})  # the same key: the driver refuses it

        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            await _in_one(db, fails)
        assert await _in_one(db, lambda t: _scalars(t, _KIND, {"k": "k"})) == []
        await db.dispose()

    asyncio.run(scenario())


async def _ended_statement(db: Database) -> None:
    transaction = db.transaction()
    await transaction.end(commit=True)
    await transaction.execute(_ONE, {"i": 1})


async def _scalars(t, statement, params):
    return (await t.execute(statement, params)).scalars()


def test_read_refuses_a_select_that_locks(tmp_path: Path):
    db = _database("sqlite", tmp_path)

    async def scenario() -> None:
        for statement in (text("SELECT id FROM notes FOR UPDATE"), text("select id from notes for  share"), _MOVE):
            with pytest.raises(ValueError, match="read\\(\\) takes a SELECT"):
                await _in_one(db, lambda t, s=statement: t.read(s, {"k": "a", "i": 1}))
        await db.dispose()

    asyncio.run(scenario())


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")
def test_a_connection_the_database_dropped_is_replaced_at_the_first_statement(tmp_path: Path):
    # The pool does not ping (a round trip every request): the first statement finds a dead connection instead.
    db = _database("postgresql", tmp_path)
    admin = db.url.replace("postgresql+psycopg://", "postgresql://")

    def drop_the_pool() -> int:
        with psycopg.connect(admin, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return len(rows)

    async def scenario() -> None:
        await _in_one(db, lambda t: t.execute(_ADD, {"i": 1, "b": "kept", "k": "k"}))
        # As after a restart: every connection the pool holds is dead, and it hands them out in turn.
        held = [db.transaction() for _ in range(4)]
        for transaction in held:
            await transaction.execute(_ONE, {"i": 1})
        for transaction in held:
            await transaction.end(commit=True)
        assert db.lender.lent() == 0
        for first in ("read", "execute"):
            # The pooled connections (four, then what replaced them) and any other are gone.
            assert drop_the_pool() >= (4 if first == "read" else 1)
            await asyncio.sleep(0.2)
            body = await _in_one(db, lambda t, f=first: getattr(t, f)(_ONE, {"i": 1}))
            assert body.scalar_one() == "kept"

        # A connection lost after the first statement is not replayed: that transaction's work is gone.
        async def interrupted(t):
            await t.execute(_MOVE, {"k": "lost", "i": 1})
            drop_the_pool()
            await asyncio.sleep(0.2)
            await t.execute(_MOVE, {"k": "later", "i": 1})

        with pytest.raises(asyncpg.InterfaceError, match="connection is closed"):
            await _in_one(db, interrupted)
        assert await _in_one(db, lambda t: _scalars(t, _KIND, {"k": "k"})) == [1]
        await db.dispose()

    asyncio.run(scenario())


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")
def test_a_read_that_fails_leaves_the_connection_transactional(tmp_path: Path):
    # read() runs its statement before BEGIN: an error there must not leave the next user's statements outside one.
    db = _database("postgresql", tmp_path, pool_size=1)  # one connection: the next user gets it

    async def scenario() -> None:
        async def bad_read(t):
            await t.read(text("SELECT body FROM notes WHERE id = 1 / :z"), {"z": 0})

        with pytest.raises(asyncpg.DivisionByZeroError):
            await _in_one(db, bad_read)

        async def then_fails(t):
            await t.execute(_ADD, {"i": 5, "b": "half-written", "k": "k"})
            raise ValueError("the domain refuses after writing")

        with pytest.raises(ValueError):
            await _in_one(db, then_fails)
        assert await _in_one(db, lambda t: _scalars(t, _KIND, {"k": "k"})) == []
        await db.dispose()

    asyncio.run(scenario())


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")
def test_a_first_read_runs_before_the_transaction_begins(tmp_path: Path):
    # What read() spares a request that only reads: BEGIN and COMMIT (bench/sequence_layers.py has the figure).
    db = _database("postgresql", tmp_path)
    admin = db.url.replace("postgresql+psycopg://", "postgresql://")

    def state_of(statement: str) -> str:
        """What PostgreSQL says the connection whose last statement began with `statement` is doing."""
        with psycopg.connect(admin) as connection:
            found = connection.execute(
                "SELECT state FROM pg_stat_activity WHERE datname = current_database() AND query LIKE %s",
                (statement + "%",),
            ).fetchone()
        return found[0]

    async def scenario() -> None:
        transaction = db.transaction()
        await transaction.read(_ONE, {"i": 1})
        first = state_of("SELECT body FROM notes WHERE id")
        await transaction.execute(_KIND, {"k": "x"})
        second = state_of("SELECT id FROM notes WHERE kind")
        await transaction.end(commit=True)
        assert (first, second) == ("idle", "idle in transaction")
        await db.dispose()

    asyncio.run(scenario())


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")
def test_borrowers_past_the_pool_size_wait_their_turn(tmp_path: Path, monkeypatch):
    from generator.runtime import lending
    from generator.runtime.lending import PoolTimeout

    db = _database("postgresql", tmp_path, pool_size=2)
    most = 0

    async def scenario() -> None:
        async def one(i: int) -> None:
            nonlocal most
            async with db.transaction() as t:
                await t.execute(_ADD, {"i": i, "b": f"n{i}", "k": "k"})
                most = max(most, db.lender.lent())
                await asyncio.sleep(0.05)

        await asyncio.gather(*(one(i) for i in range(8)))
        assert most == 2 and db.lender.lent() == 0
        assert await _in_one(db, lambda t: _scalars(t, _KIND, {"k": "k"})) == list(range(8))

        # Every connection held: the next borrower gives up after the wait, and takes no permit with it.
        monkeypatch.setattr(lending, "_WAIT", 0.2)
        held = [db.transaction() for _ in range(2)]
        for transaction in held:
            await transaction.execute(_ONE, {"i": 1})
        with pytest.raises(PoolTimeout, match="no database connection free"):
            await _in_one(db, lambda t: t.execute(_ONE, {"i": 1}))
        for transaction in held:
            await transaction.end(commit=True)
        assert (await _in_one(db, lambda t: t.read(_ONE, {"i": 3}))).scalar_one() == "n3"
        await db.dispose()

    asyncio.run(scenario())


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")
def test_a_table_changed_under_a_prepared_statement(tmp_path: Path):
    # Statements are prepared once per connection; a migration adding a column changes `SELECT *`'s rows.
    db = _database("postgresql", tmp_path, pool_size=2)
    admin = db.url.replace("postgresql+psycopg://", "postgresql://")
    every = text("SELECT * FROM notes WHERE id = :i")

    def add_column(name: str) -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"ALTER TABLE notes ADD COLUMN {name} text DEFAULT 'new'")

    async def on_both(steps):
        """steps in two transactions at once: one on each connection of the pool."""

        async def held(t):
            result = await steps(t)
            await asyncio.sleep(0.05)
            return result

        return await asyncio.gather(_in_one(db, held), _in_one(db, held))

    async def scenario() -> None:
        await _in_one(db, lambda t: t.execute(_ADD, {"i": 1, "b": "one", "k": "k"}))
        rows = await on_both(lambda t: t.read(every, {"i": 1}))
        assert [len(r.one()) for r in rows] == [6, 6]
        add_column("extra")
        # On its own: prepared again and run again, with the new column.
        assert (await _in_one(db, lambda t: t.read(every, {"i": 1}))).one().extra == "new"
        add_column("later")

        async def write_then_read(t):
            await t.execute(_MOVE, {"k": "moved", "i": 1})
            return await t.execute(every, {"i": 1})

        # Inside a transaction PostgreSQL has aborted it: the error stands and the write is rolled back ...
        with pytest.raises(asyncpg.InvalidCachedStatementError):
            await _in_one(db, write_then_read)
        # ... and both connections prepare afresh, the one that failed and the other, which had not met the change.
        rows = await on_both(write_then_read)
        assert [(r.one().kind, r.one().later) for r in rows] == [("moved", "new")] * 2
        await db.dispose()

    asyncio.run(scenario())


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")
def test_a_transaction_left_running_is_never_lent_again(tmp_path: Path):
    # A domain function that gathers a statement with something that fails: the route rolls back while the
    # statement still runs, which asyncpg refuses; that connection must not carry the open transaction onward.
    db = _database("postgresql", tmp_path, pool_size=1)
    slow = text("UPDATE notes SET kind = 'leaked' WHERE id = :i AND pg_sleep(0.3) IS NOT NULL")

    async def scenario() -> None:
        async def fails(t):
            await t.execute(_ADD, {"i": 1, "b": "from the failed request", "k": "k"})

            async def refuse():
                await asyncio.sleep(0.05)
                raise ValueError("the domain refuses")

            await asyncio.gather(t.execute(slow, {"i": 1}), refuse())

        with pytest.raises(ValueError):
            await _in_one(db, fails)
        await asyncio.sleep(0.5)
        await _in_one(db, lambda t: t.execute(_ADD, {"i": 2, "b": "next request", "k": "k"}))
        assert await _in_one(db, lambda t: _scalars(t, _IDS, {})) == [2]

        # A statement that failed inside the transaction, its error caught: COMMIT rolls back, so it must fail.
        async def caught(t):
            await t.execute(_ADD, {"i": 3, "b": "lost", "k": "k"})
            with pytest.raises(asyncpg.DivisionByZeroError):
                await t.execute(text("SELECT 1 / 0"))

        with pytest.raises(asyncpg.InFailedSQLTransactionError, match="COMMIT rolled back"):
            await _in_one(db, caught)
        assert await _in_one(db, lambda t: _scalars(t, _IDS, {})) == [2]
        await db.dispose()

    asyncio.run(scenario())


def test_a_database_url_asyncpg_cannot_apply_is_named(tmp_path: Path):
    # psycopg reads these from the URL; asyncpg would send them to the server as settings, which refuses them.
    for query, named in [("?connect_timeout=5", "?connect_timeout="), ("?host=a&host=b", "several ?host=")]:
        db = Database(f"postgresql+psycopg://svc:secret@db:5432/central{query}")
        with pytest.raises(RuntimeError, match=f"DATABASE_URL: {re.escape(named)}.*asyncpg") as raised:
            db.lender  # noqa: B018
        assert "secret" not in str(raised.value)


@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")
def test_a_statement_cut_off_leaves_the_pool_usable(tmp_path: Path):
    # A cancelled request leaves its statement running on the server: the next user of that connection waits only
    # for asyncpg's cancel request, not for the statement, and finds no transaction left open.
    db = _database("postgresql", tmp_path, pool_size=1)

    async def scenario() -> None:
        async def slow(t):
            await asyncio.wait_for(t.read(text("SELECT pg_sleep(5)")), 0.2)

        for first in ("read", "in a transaction"):
            with pytest.raises(TimeoutError):
                await _in_one(db, slow if first == "read" else lambda t: _then(t, slow))
            assert db.lender.lent() == 0
            # The pool's one connection is free at once (asyncpg waits only for its cancel request), no permit lost.
            started = asyncio.get_running_loop().time()
            assert (await _in_one(db, lambda t: t.execute(text("SELECT 2")))).scalar_one() == 2
            assert asyncio.get_running_loop().time() - started < 2
        assert (await _in_one(db, lambda t: t.read(_ONE, {"i": 9}))).one_or_none() is None
        await db.dispose()

    asyncio.run(scenario())


async def _then(t, steps):
    await t.execute(_ADD, {"i": 9, "b": "begun", "k": "k"})
    await steps(t)


@pytest.mark.parametrize("kind", DATABASES)
def test_the_pool_opens_again_after_the_app_stops(kind: str, tmp_path: Path):
    # An app whose lifespan runs twice (a second TestClient): the pool it closed is made again on next use.
    db = _database(kind, tmp_path)

    async def scenario() -> None:
        await _in_one(db, lambda t: t.execute(_ADD, {"i": 1, "b": "before", "k": "k"}))
        await db.dispose()
        assert (await _in_one(db, lambda t: t.read(_ONE, {"i": 1}))).scalar_one() == "before"
        await db.dispose()

    asyncio.run(scenario())
