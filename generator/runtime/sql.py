"""One transaction for an `async def` domain function: SQLAlchemy statements run straight on the driver connection.

Why not AsyncSession: for the few short statements of a hot operation, SQLAlchemy's asyncio session spends
more CPU than the statements (bench/sequence_layers.py: a greenlet for every call, the ORM's bookkeeping
around each text() statement). Here SQLAlchemy still compiles each statement (once, for the dialect's
parameter style: `:name` becomes `%(name)s` for psycopg, `?` for SQLite), applies the column types' bind
processors (SafeText, Document) and lends the connection from its pool; the statements and the commit go
to psycopg or aiosqlite directly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn


class Rows:
    """What a statement returned, read as with SQLAlchemy's Result (the methods domain code uses of it)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Sequence[tuple[Any, ...]]):
        self._rows = rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def all(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self._rows) != 1:
            raise (NoResultFound if not self._rows else MultipleResultsFound)(f"{len(self._rows)} rows, one expected")
        return self._rows[0]

    def one_or_none(self) -> tuple[Any, ...] | None:
        return self.one() if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        return self.one()[0] if self._rows else None

    def scalars(self) -> list[Any]:
        return [row[0] for row in self._rows]


@dataclass(frozen=True)
class _Compiled:
    """A statement compiled for one dialect, with what running it needs."""

    compiled: Any
    processors: dict[str, Any]  # the bind processor of each typed parameter (SafeText, Document)
    plain: bool  # every parameter is an untyped single value the caller gives: the SQL needs no rewriting
    select: bool  # a SELECT taking no row locks: read() may run it on its own
    typed: bool  # its result columns have types (a select() of table columns, RETURNING, text().columns())


_LOCKING = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def _compile(statement: ClauseElement, dialect: Any) -> _Compiled:
    """The statement compiled for the dialect once (statements are module constants, so the cache holds them all)."""
    compiled = statement.compile(dialect=dialect)
    binds = compiled.binds.values()
    processors = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()
    }
    processors = {name: process for name, process in processors.items() if process is not None}
    plain = not processors and all(bind.required and not bind.expanding and bind.callable is None for bind in binds)
    sql = compiled.string.lstrip()
    select = sql[:6].upper() == "SELECT" and not _LOCKING.search(sql)
    return _Compiled(compiled, processors, plain, select, bool(getattr(statement, "exported_columns", ())))


@functools.lru_cache(maxsize=512)
def _results(statement: ClauseElement, dialect: Any, type_codes: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Each result column's processor, so typed columns read back as through a Session (None: values as they are).

    The driver's type codes are part of the key: some processors depend on them (PostgreSQL's NUMERIC).
    """
    columns = list(getattr(statement, "exported_columns", ()))
    if len(columns) != len(type_codes):
        return None
    processors = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, code)
        for column, code in zip(columns, type_codes, strict=True)
    )
    return processors if any(processors) else None


def _driver_form(statement: ClauseElement, dialect: Any, params: dict[str, Any]) -> tuple[str, Any]:
    """The SQL text and parameters in the driver's own style, column types applied, `IN :list` expanded."""
    form = _compile(statement, dialect)
    compiled = form.compiled
    if form.plain and params.keys() == compiled.binds.keys():
        # The common case, without SQLAlchemy's per-call parameter processing (most of this function's time).
        return compiled.string, tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
    if form.processors:
        params = dict(params)
        for name, process in form.processors.items():
            if name in params:
                value = params[name]
                params[name] = [process(v) for v in value] if compiled.binds[name].expanding else process(value)
    state = compiled.construct_expanded_state(params)
    return state.statement, state.positional_parameters if compiled.positional else state.parameters


Params = dict[str, Any] | list[dict[str, Any]] | None


class Transaction:
    """ctx.session of an `async def` domain function: statements run with `await`; the route commits or rolls back.

    The connection comes from the pool at the first statement, so an operation that refuses a request before
    touching the database holds none. The pool does not ping it first (a round trip for every request): if that
    first statement finds the connection dead (a restarted database, a dropped idle connection), nothing has
    run on it yet, so it is dropped and the statement runs on a fresh one.
    """

    def __init__(self, engine: Any):
        self._engine = engine
        self._dialect = engine.dialect
        self._pooled: Any = None  # SQLAlchemy's PoolProxiedConnection, holding the driver's connection

    async def execute(self, statement: ClauseElement, params: Params = None) -> Rows:
        """Run one statement (a list of parameter sets runs it once for each); its rows, if it returns any."""
        if self._pooled is not None:
            return await self._run(statement, params)
        return await self._first(statement, params, alone=False)

    async def read(self, statement: ClauseElement, params: dict[str, Any] | None = None) -> Rows:
        """A SELECT that may run on its own: as the transaction's first statement, it runs before the transaction.

        On PostgreSQL that spares a request that only reads the BEGIN and COMMIT round trips. Under READ
        COMMITTED (the default) the SELECT sees what it would have seen inside; the transaction begins at the
        next statement. A SELECT ... FOR UPDATE (or SHARE) is refused: its lock would end with the statement.
        """
        if not _compile(statement, self._dialect).select:
            raise ValueError("read() takes a SELECT without FOR UPDATE or FOR SHARE; use execute() for the rest")
        if self._pooled is not None:
            return await self._run(statement, params)
        return await self._first(statement, params, alone=True)

    async def _first(self, statement: ClauseElement, params: Params, alone: bool) -> Rows:
        """The transaction's first statement, on a connection from the pool, or on a fresh one if that one is dead."""
        self._pooled = await self._engine.raw_connection()
        try:
            return await self._run_first(statement, params, alone)
        except self._dialect.loaded_dbapi.Error as error:
            if not self._dialect.is_disconnect(error, self._pooled.dbapi_connection, None):
                raise
            # Only here: after the first statement, a lost connection has lost this transaction's work.
            dead, self._pooled = self._pooled, None
            await greenlet_spawn(dead.invalidate, error)
            self._pooled = await self._engine.raw_connection()
            return await self._run_first(statement, params, alone)

    async def _run_first(self, statement: ClauseElement, params: Params, alone: bool) -> Rows:
        if not alone or self._dialect.name != "postgresql":
            # SQLite's driver begins a transaction at the first write, so a SELECT before it runs on its own there.
            return await self._run(statement, params)
        driver = self._pooled.driver_connection
        await driver.set_autocommit(True)
        try:
            return await self._run(statement, params)
        finally:
            await driver.set_autocommit(False)

    async def _run(self, statement: ClauseElement, params: Params) -> Rows:
        driver = self._pooled.driver_connection
        if isinstance(params, list):
            forms = [_driver_form(statement, self._dialect, one) for one in params]
            if len({text for text, _ in forms}) != 1:  # none, or `IN :list` expanded to different lengths
                for text, parameters in forms:
                    await (await driver.execute(text, parameters)).close()
                return Rows(())
            cursor = driver.cursor()
            if hasattr(cursor, "__await__"):  # aiosqlite's cursor() is a coroutine, psycopg's a plain object
                cursor = await cursor
            try:
                await cursor.executemany(forms[0][0], [parameters for _, parameters in forms])
            finally:
                await cursor.close()
            return Rows(())
        text, parameters = _driver_form(statement, self._dialect, params or {})
        cursor = await driver.execute(text, parameters)
        try:
            # No description: a statement without rows (psycopg and sqlite3 alike).
            description = cursor.description
            rows = await cursor.fetchall() if description is not None else ()
        finally:
            await cursor.close()
        if rows and _compile(statement, self._dialect).typed:
            results = _results(statement, self._dialect, tuple(column[1] for column in description))
            if results:
                rows = [tuple(v if p is None else p(v) for p, v in zip(results, row, strict=True)) for row in rows]
        return Rows(rows)

    async def end(self, commit: bool) -> None:
        """Commit or roll back, and give the connection back (a connection that failed to end is dropped)."""
        pooled, self._pooled = self._pooled, None
        if pooled is None:
            return
        try:
            if commit:
                await pooled.driver_connection.commit()
            else:
                await pooled.driver_connection.rollback()
        except BaseException as error:
            # A commit or rollback cut off (a cancelled request, a lost connection) leaves the connection unusable.
            await greenlet_spawn(pooled.invalidate, error if isinstance(error, Exception) else None)
            if commit or not isinstance(error, self._dialect.loaded_dbapi.Error):
                raise
            # A rollback that cannot reach the database: the server ends the transaction with the connection,
            # and the error being answered is the one that made the route roll back, not this one.
        finally:
            await greenlet_spawn(pooled.close)
