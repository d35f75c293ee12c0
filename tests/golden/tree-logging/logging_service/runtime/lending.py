# Vendored from the FountainAI deploy project (generator/runtime/lending.py), runtime 4b28557164b8.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Where a Transaction's connection comes from: psycopg's own pool on PostgreSQL, SQLAlchemy's on SQLite.

Why two: under load, lending through SQLAlchemy's asyncio pool (a greenlet for the checkout and another for
the return, an asyncio queue behind both) cost 0.13 ms of the service's CPU a request with 32 clients, a
sixth of the whole request (bench/sequence.py, a profile of the service under its load); psycopg_pool lends
an AsyncConnection with one await. SQLite keeps SQLAlchemy's pool, whose aiosqlite connections it knows.
Both lend the driver's own connection; neither pings it first (runtime/sql.py replaces a dead one).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from sqlalchemy.util import greenlet_spawn

_WAIT = 30  # seconds a borrower waits for a connection: SQLAlchemy's pool_timeout default


class Lender(Protocol):
    """What runtime/sql.py's Transaction borrows its connection through."""

    dialect: Any  # the SQLAlchemy dialect its statements are compiled for
    errors: type[Exception]  # the driver's base error class
    size: int  # connections it holds at most

    async def borrow(self) -> Any:
        """A held connection: `driver(held)` is the driver's own."""

    def driver(self, held: Any) -> Any:
        """The driver's connection of a held one."""

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


class PsycopgLender:
    """psycopg_pool's AsyncConnectionPool, its connections made as SQLAlchemy's psycopg dialect makes them."""

    def __init__(self, dialect: Any, url: Any, size: int):
        from psycopg import Error
        from psycopg_pool import AsyncConnectionPool, PoolTimeout

        self.dialect, self.errors, self.size = dialect, Error, size
        self._timeout = PoolTimeout  # what the pool raises itself when it has no connection in time
        # The dialect's own connect arguments (host, port, database, credentials, its adapters), so a connection
        # here is what SQLAlchemy's pool would have opened: the password stays in memory, never on a command line.
        _, arguments = dialect.create_connect_args(url)
        # min_size 1: it grows to `size` under load one connection at a time and closes idle ones after 10
        # minutes, as a service that is mostly idle should.
        self._pool = AsyncConnectionPool(kwargs=arguments, min_size=1, max_size=size, timeout=_WAIT, open=False)
        # Borrowers queue here, one permit a connection, so once the pool has grown its getconn finds one
        # free: its own queue (a task and a timer for each waiter) cost 0.035 ms a request more under
        # bench/sequence.py's load.
        self._permits = asyncio.Semaphore(size)
        self._opened = False
        self._opening = asyncio.Lock()

    async def borrow(self) -> Any:
        if not self._opened:
            async with self._opening:
                if not self._opened:
                    await self._pool.open()
                    self._opened = True
        # One deadline for the whole borrow: the queue here, then the pool's own wait (a connection it is
        # still making, or one replacing a dropped one; a database that is down keeps it waiting to the end).
        deadline = time.monotonic() + _WAIT
        if self._permits.locked():
            try:
                async with asyncio.timeout(_WAIT):
                    await self._permits.acquire()
            except TimeoutError:
                raise self._timeout(f"couldn't get a connection after {_WAIT} sec") from None
        else:
            await self._permits.acquire()
        try:
            return await self._pool.getconn(timeout=max(deadline - time.monotonic(), 0.001))
        except BaseException:
            self._permits.release()
            raise

    def driver(self, held: Any) -> Any:
        return held

    async def give_back(self, held: Any) -> None:
        try:
            await self._pool.putconn(held)
        finally:
            self._permits.release()

    async def drop(self, held: Any, error: BaseException | None) -> None:
        # A closed connection given back is discarded and replaced by the pool (psycopg_pool/pool_async.py,
        # _return_connection: transaction status UNKNOWN).
        try:
            await held.close()
        finally:
            await self.give_back(held)

    def is_lost(self, held: Any, error: BaseException) -> bool:
        return bool(held.broken or held.closed)

    def lent(self) -> int:
        stats = self._pool.get_stats()
        return stats.get("pool_size", 0) - stats.get("pool_available", 0)

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()


class SqlAlchemyLender:
    """SQLAlchemy's asyncio pool (aiosqlite for SQLite), lending its proxied connections."""

    def __init__(self, engine: Any):
        self._engine = engine
        self.dialect, self.errors = engine.dialect, engine.dialect.loaded_dbapi.Error
        pool = engine.pool
        self.size = pool.size() if hasattr(pool, "size") else 1

    async def borrow(self) -> Any:
        return await self._engine.raw_connection()

    def driver(self, held: Any) -> Any:
        return held.driver_connection

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
