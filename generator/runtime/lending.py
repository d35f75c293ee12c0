"""Where a Transaction's connection comes from, and how its statements reach the driver: asyncpg on PostgreSQL,
SQLAlchemy's asyncio pool over aiosqlite on SQLite.

Why asyncpg, not psycopg (which the synchronous engine, Alembic and plain domain functions use): under
bench/sequence.py's load a POST /sequence cost the service 0.59 ms of CPU on psycopg's AsyncConnection
and psycopg_pool, 0.43 ms on asyncpg, alternating on one machine. asyncpg's protocol is compiled and keeps the
socket registered with the event loop, where psycopg waits on it afresh (a future and two epoll calls) for
every round trip; its pool, on top, spent 0.035 ms a request. SQLAlchemy still compiles each statement, with
its asyncpg dialect (`$1` parameters, the casts asyncpg needs), so the SQL is what SQLAlchemy would send.
Neither lender pings a connection first (runtime/sql.py replaces a dead one).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, NamedTuple, Protocol

from sqlalchemy.util import greenlet_spawn

_WAIT = 30  # seconds a borrower waits for a connection: SQLAlchemy's pool_timeout default
_PREPARED = 256  # statements kept prepared on each PostgreSQL connection


class PoolTimeout(TimeoutError):
    """No connection came free in time."""


class Ran(NamedTuple):
    """What a statement gave back, as the driver gives it."""

    rows: Any  # its rows (sequences of values), empty for a statement without rows
    names: tuple[str, ...] | None  # its columns' names (None: a statement without rows)
    codes: tuple[Any, ...]  # its columns' type codes, which some result processors read (PostgreSQL's NUMERIC)
    rowcount: int  # rows it changed or returned, as the driver counts them (-1: not known)


def _count(status: str | None) -> int:
    """The row count of a PostgreSQL command tag ("UPDATE 3", "INSERT 0 1"; -1 for one without a count)."""
    last = (status or "").rpartition(" ")[2]
    return int(last) if last.isdigit() else -1


class Lender(Protocol):
    """What runtime/sql.py's Transaction borrows its connection through."""

    dialect: Any  # the SQLAlchemy dialect its statements are compiled for
    errors: type[Exception] | tuple[type[Exception], ...]  # the driver's errors: what its statements may raise
    size: int  # connections it holds at most

    async def borrow(self) -> Any:
        """A connection for one transaction, waiting up to _WAIT seconds for one to come free."""

    async def run(self, held: Any, sql: str, parameters: Any) -> Ran:
        """Run one statement in the driver's own form (SQL text and positional parameters)."""

    async def run_many(self, held: Any, sql: str, parameter_sets: list[Any]) -> int:
        """Run one statement for each parameter set, returning no rows: the rows changed (-1: not known)."""

    async def begin(self, held: Any) -> None:
        """Begin the transaction its next statements run in."""

    async def commit(self, held: Any) -> None:
        """Commit what the transaction did."""

    async def rollback(self, held: Any) -> None:
        """Undo what the transaction did."""

    async def give_back(self, held: Any) -> None:
        """Return a connection whose transaction has ended."""

    async def drop(self, held: Any, error: BaseException | None) -> None:
        """Close a connection that is lost or in doubt; the pool makes a new one in its place."""

    def is_lost(self, held: Any, error: BaseException) -> bool:
        """Whether the driver's error means the connection itself is gone."""

    def lent(self) -> int:
        """How many connections are out."""

    async def close(self) -> None:
        """Close every connection."""


# Connection settings libpq (psycopg) reads from a URL and asyncpg would send to the server as unknown settings
# (asyncpg/connect_utils.py, _parse_connect_dsn_and_args: what it does not know becomes server_settings).
_LIBPQ_ONLY = frozenset(
    "connect_timeout keepalives keepalives_idle keepalives_interval keepalives_count tcp_user_timeout gssencmode"
    " gssdelegation channel_binding require_auth requirepeer load_balance_hosts hostaddr sslcompression sslsni"
    " replication".split()
)


def _asyncpg_dsn(url: Any) -> str:
    """libpq's URL form of DATABASE_URL for asyncpg, or a clear error for what asyncpg cannot apply.

    The password stays in memory, never on a command line.
    """
    unknown = sorted(_LIBPQ_ONLY & set(url.query))
    several = sorted(key for key, value in url.query.items() if isinstance(value, tuple))
    if unknown or several:
        what = ", ".join([*(f"?{key}=" for key in unknown), *(f"several ?{key}=" for key in several)])
        raise RuntimeError(
            f"DATABASE_URL: {what} is read by psycopg but not by asyncpg, the driver of this service's async "
            "domain functions; remove it"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class _Connection:
    """An asyncpg connection and the statements prepared on it (its SQL, column names and type codes)."""

    __slots__ = ("driver", "prepared", "schema")

    def __init__(self, driver: Any, schema: int):
        self.driver = driver
        self.prepared: dict[str, tuple[Any, tuple[str, ...], tuple[int, ...]]] = {}
        self.schema = schema  # the lender's count of schema changes when these were prepared


class AsyncpgLender:
    """asyncpg connections, at most `size`, made on first need and lent last in, first out."""

    def __init__(self, url: Any, size: int):
        import asyncpg
        from sqlalchemy.dialects.postgresql.asyncpg import dialect

        self.dialect, self.size = dialect(), size
        # The database's answers, the driver's own refusals (a closed connection), and the socket's.
        self.errors = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
        self._asyncpg = asyncpg
        self._dsn = _asyncpg_dsn(url)
        self._idle: list[_Connection] = []
        self._out = 0
        self._closed = False
        self._schema = 0  # counts the schema changes seen: a connection prepared under an older count forgets
        # Borrowers queue here, one permit a connection: one await when one is free.
        self._permits = asyncio.Semaphore(size)

    async def borrow(self) -> _Connection:
        deadline = time.monotonic() + _WAIT
        if self._permits.locked():
            try:
                async with asyncio.timeout(_WAIT):
                    await self._permits.acquire()
            except TimeoutError:
                raise PoolTimeout(f"no database connection free after {_WAIT} s") from None
        else:
            await self._permits.acquire()
        try:
            held = self._idle.pop() if self._idle else await self._connect(deadline)
        except BaseException:
            self._permits.release()
            raise
        self._out += 1
        return held

    async def _connect(self, deadline: float) -> _Connection:
        driver = await self._asyncpg.connect(self._dsn, timeout=max(deadline - time.monotonic(), 0.001))
        try:
            # SQLAlchemy's JSON types hand over JSON text and take back what the driver decodes (as its own
            # asyncpg dialect sets up each connection: sqlalchemy/dialects/postgresql/asyncpg.py, on_connect).
            for name in ("json", "jsonb"):
                await driver.set_type_codec(name, encoder=str, decoder=json.loads, schema="pg_catalog")
        except BaseException:
            driver.terminate()
            raise
        return _Connection(driver, self._schema)

    async def run(self, held: _Connection, sql: str, parameters: Any) -> Ran:
        asyncpg = self._asyncpg
        try:
            return await self._run(held, sql, parameters)
        except asyncpg.InvalidCachedStatementError:
            # A table changed under a prepared statement (a migration adding a column while the service runs):
            # as asyncpg's own cache does (asyncpg/connection.py, _do_execute), every connection forgets what it
            # prepared, and this statement is prepared again and retried once outside a transaction; inside
            # one, PostgreSQL has aborted the transaction, so the error stands.
            self._schema += 1
            held.prepared.clear()
            if held.driver.is_in_transaction():
                raise
            return await self._run(held, sql, parameters)
        except asyncpg.OutdatedSchemaCacheError:
            # A type changed (ALTER TYPE): the statement already ran, so only the caches can be made right.
            self._schema += 1
            await held.driver.reload_schema_state()
            raise

    async def _run(self, held: _Connection, sql: str, parameters: Any) -> Ran:
        if held.schema != self._schema:
            held.prepared.clear()
            held.schema = self._schema
        prepared = held.prepared.get(sql)
        if prepared is None:
            # Prepared once per connection: later runs are one round trip (Bind, Execute, Sync) with the column
            # names and type codes known. Oldest first out past _PREPARED (SQL with `IN` lists of many lengths).
            statement = await held.driver.prepare(sql)
            columns = statement.get_attributes()
            prepared = statement, tuple(c.name for c in columns), tuple(c.type.oid for c in columns)
            if len(held.prepared) >= _PREPARED:
                held.prepared.pop(next(iter(held.prepared)))
            held.prepared[sql] = prepared
        statement, names, codes = prepared
        rows = await statement.fetch(*parameters)
        return Ran(rows, names if names else None, codes, _count(statement.get_statusmsg()))

    async def run_many(self, held: _Connection, sql: str, parameter_sets: list[Any]) -> int:
        await held.driver.executemany(sql, parameter_sets)
        return -1  # asyncpg does not count the rows of executemany

    async def begin(self, held: _Connection) -> None:
        await held.driver.execute("BEGIN")

    async def commit(self, held: _Connection) -> None:
        if await held.driver.execute("COMMIT") == "ROLLBACK":
            # PostgreSQL ends a transaction a statement failed in with a rollback, even when asked to commit (the
            # domain function caught the error): its writes are gone, so the request must not answer success.
            raise self._asyncpg.InFailedSQLTransactionError(
                "COMMIT rolled back: a statement of this transaction had failed"
            )

    async def rollback(self, held: _Connection) -> None:
        await held.driver.execute("ROLLBACK")

    async def give_back(self, held: _Connection) -> None:
        driver = held.driver
        if self._closed or driver.is_closed() or driver.is_in_transaction():
            # Still inside a transaction (its ROLLBACK refused while a statement of it ran: asyncio.gather in a
            # domain function), lost, or back after close(): the next borrower must never commit what it left.
            await self.drop(held, None)
            return
        self._out -= 1
        self._idle.append(held)
        self._permits.release()

    async def drop(self, held: _Connection, error: BaseException | None) -> None:
        # Its place is free again: the next borrower finding no idle connection makes a new one.
        self._out -= 1
        self._permits.release()
        held.driver.terminate()

    def is_lost(self, held: _Connection, error: BaseException) -> bool:
        return held.driver.is_closed() or isinstance(error, OSError | self._asyncpg.ConnectionDoesNotExistError)

    def lent(self) -> int:
        return self._out

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for held in idle:
            try:
                await held.driver.close(timeout=5)
            except (*self.errors, TimeoutError):
                held.driver.terminate()  # already lost, or the server does not answer: close the socket


class SqlAlchemyLender:
    """SQLAlchemy's asyncio pool (aiosqlite for SQLite), lending its proxied connections."""

    def __init__(self, engine: Any):
        self._engine = engine
        self.dialect, self.errors = engine.dialect, engine.dialect.loaded_dbapi.Error
        pool = engine.pool
        self.size = pool.size() if hasattr(pool, "size") else 1

    async def borrow(self) -> Any:
        return await self._engine.raw_connection()

    async def run(self, held: Any, sql: str, parameters: Any) -> Ran:
        cursor = await held.driver_connection.execute(sql, parameters)
        try:
            description = cursor.description  # None: a statement without rows
            rows = await cursor.fetchall() if description is not None else ()
            names = tuple(column[0] for column in description) if description is not None else None
            return Ran(rows, names, tuple(column[1] for column in description or ()), cursor.rowcount)
        finally:
            await cursor.close()

    async def run_many(self, held: Any, sql: str, parameter_sets: list[Any]) -> int:
        cursor = await held.driver_connection.cursor()
        try:
            await cursor.executemany(sql, parameter_sets)
            return cursor.rowcount
        finally:
            await cursor.close()

    async def begin(self, held: Any) -> None:
        pass  # Python's sqlite3 begins the transaction itself, before the first statement that writes

    async def commit(self, held: Any) -> None:
        await held.driver_connection.commit()

    async def rollback(self, held: Any) -> None:
        await held.driver_connection.rollback()

    async def give_back(self, held: Any) -> None:
        await greenlet_spawn(held.close)

    async def drop(self, held: Any, error: BaseException | None) -> None:
        if held.is_valid:
            await greenlet_spawn(held.invalidate, error if isinstance(error, Exception) else None)
        await greenlet_spawn(held.close)

    def is_lost(self, held: Any, error: BaseException) -> bool:
        return bool(self.dialect.is_disconnect(error, held.dbapi_connection, None))

    def lent(self) -> int:
        pool = self._engine.pool
        return pool.checkedout() if hasattr(pool, "checkedout") else 0

    async def close(self) -> None:
        await self._engine.dispose()
