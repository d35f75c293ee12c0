# Vendored from the FountainAI deploy project (generator/runtime/db.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Database engine, one transaction per request, and Alembic migrations run at start-up."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.orm import sessionmaker

from .lending import AsyncpgLender, Lender, SqlAlchemyLender
from .sql import Transaction

_log = logging.getLogger(__name__)


# The asyncio driver for each synchronous SQLite one DATABASE_URL may name (PostgreSQL's psycopg URL: asyncpg).
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "sqlite+pysqlite": "sqlite+aiosqlite"}
# SQLite has one writer at a time: a writer waits up to 30 s for the lock rather than failing at once.
_SQLITE_WAIT = 30


class Database:
    """One engine and session factory for the service's DATABASE_URL, and the async functions' pool on first use."""

    def __init__(self, url: str, pool_size: int = 15):
        self.url = url
        self._pool_size = pool_size
        if url.startswith("sqlite"):
            options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": _SQLITE_WAIT}}
        else:
            options = {"pool_size": pool_size, "max_overflow": 0}
        self.engine = create_engine(url, pool_pre_ping=True, **options)
        if _is_sqlite_file(url):
            event.listen(self.engine, "connect", _write_ahead_log)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @functools.cached_property
    def lender(self) -> Lender:
        """The connections of `async def` domain functions: made on first use, so a service without any opens none."""
        parsed, dialect = make_url(self.url), self.engine.dialect
        if (dialect.name, dialect.driver) == ("postgresql", "psycopg"):
            # The same database through asyncpg: its connections cost a request far less CPU (lending.py).
            return AsyncpgLender(parsed, self._pool_size)
        if parsed.drivername not in _ASYNC_DRIVERS or not _is_sqlite_file(self.url):
            # An in-memory database is one per connection: the async pool's would lack the migrated tables.
            raise RuntimeError(
                f"DATABASE_URL: an async domain function needs SQLite on a file or PostgreSQL (psycopg), not {parsed.drivername}"
            )
        # Imported here: a service without async functions does not load the asyncio extension (memory limit).
        from sqlalchemy.ext.asyncio import create_async_engine

        # No pre-ping and no reset on return: runtime/sql.py's Transaction always ends its transaction itself and
        # replaces a connection its first statement finds dead, which spares every request the ping's round trip.
        engine = create_async_engine(
            parsed.set(drivername=_ASYNC_DRIVERS[parsed.drivername]),
            pool_pre_ping=False,
            pool_reset_on_return=None,
            connect_args={"timeout": _SQLITE_WAIT},
        )
        event.listen(engine.sync_engine, "connect", _write_ahead_log)
        return SqlAlchemyLender(engine)

    def transaction(self) -> Transaction:
        """A new transaction for an `async def` domain function: it takes a connection at its first statement."""
        return Transaction(self.lender)

    def migrate(self, migrations: Path) -> None:
        """Bring the schema to the newest Alembic revision; leave a schema a newer release migrated as it is."""
        config = Config()
        config.set_main_option("script_location", str(migrations))
        with self.engine.begin() as connection:
            stamped = MigrationContext.configure(connection).get_current_heads()
            known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
            if not set(stamped) <= known:
                # A rollback switches code back, not data: revisions only add (unless --allow-destructive),
                # so this older code runs on the newer schema as it is.
                _log.warning("database at revision %s, newer than this release's; not migrating", stamped)
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def ping_async(self) -> None:
        """One statement through the async pool (opening it): a DATABASE_URL it cannot serve fails here."""
        async with self.transaction() as transaction:
            await transaction.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        self.engine.dispose()
        # Made only on first use; a closed pool is not reopened, so the next use makes a new one
        # (an app whose lifespan runs twice: a second TestClient).
        lender = self.__dict__.pop("lender", None)
        if lender is not None:
            await lender.close()


def _is_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def _write_ahead_log(connection: Any, record: Any) -> None:
    """WAL: readers go on while one request writes, so only writers queue for SQLite's lock."""
    connection.execute("PRAGMA journal_mode=WAL")


def commits(domain: ModuleType, func: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the route in one transaction and commit it as soon as the route returns; any error rolls it back.

    The route is what FastAPI awaits. When the domain module's `func` is an `async def`, the route runs on the
    event loop with ctx.session a runtime/sql.py Transaction: on PostgreSQL no worker thread at all
    (bench/sequence.py measured the thread hops among the largest costs of a request); aiosqlite still runs
    each SQLite connection in a thread of its own. ctx.clients stay synchronous, so an async function that
    calls another service would hold up the event loop: such functions stay plain. Otherwise the whole route
    runs in one worker thread with its session opened, committed and closed there, and FastAPI checks and
    serialises what it returns on the event loop. The session is this wrapper's, not a dependency's: a dependency's
    teardown comes after FastAPI's other steps, and when every worker waits on a row or SQLite lock this
    request holds, that never comes (a deadlock broken only by SQLite's busy timeout); a generator
    dependency also costs each request an exit stack and a cancel scope (bench/sequence.py).
    """

    def wrap(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        def in_thread(*args: Any, **kwargs: Any) -> Any:
            ctx = kwargs["ctx"]
            with ctx.request.app.state.db.sessions() as session:
                kwargs["ctx"] = dataclasses.replace(ctx, session=session)
                try:
                    result = endpoint(*args, **kwargs)
                except BaseException:
                    # The same for an error: its locks go now, in this thread, with nothing left for a teardown.
                    session.rollback()
                    raise
                session.commit()
                return result

        def is_async() -> bool:
            return inspect.iscoroutinefunction(getattr(domain, func, None))

        @functools.wraps(endpoint)
        async def run(*args: Any, **kwargs: Any) -> Any:
            if not is_async():
                return await anyio.to_thread.run_sync(functools.partial(in_thread, *args, **kwargs))
            ctx = kwargs["ctx"]
            async with ctx.request.app.state.db.transaction() as transaction:
                kwargs["ctx"] = dataclasses.replace(ctx, session=transaction)
                # The endpoint's body only calls the domain function: what it returns is its coroutine.
                return await endpoint(*args, **kwargs)

        run.runs_async = is_async  # type: ignore[attr-defined]  # build_app opens the async pool at start-up
        return run

    return wrap
