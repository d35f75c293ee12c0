# Vendored from the FountainAI deploy project (generator/runtime/sql.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""One transaction for an `async def` domain function: SQLAlchemy statements run straight on the driver connection.

Why not AsyncSession: for the few short statements of a hot operation, SQLAlchemy's asyncio session spends
more CPU than the statements (bench/sequence_layers.py: a greenlet for every call, the ORM's bookkeeping
around each text() statement). Here SQLAlchemy still compiles each statement (once, for the dialect's
parameter style: `:name` becomes `$1` for asyncpg, `?` for SQLite) and applies the column types' bind
and result processors (SafeText, Document, WholeNumber); the statements and the commit go to asyncpg or
aiosqlite directly, through the runtime/lending.py lender that lent the connection.
"""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.sql.elements import ClauseElement

from .lending import Lender


def _one(rows: Sequence[Any]) -> Any:
    if len(rows) != 1:
        raise (NoResultFound if not rows else MultipleResultsFound)(f"{len(rows)} rows, one expected")
    return rows[0]


class Scalars(list):
    """The first column of each row: a list, read also as SQLAlchemy's ScalarResult (all(), first(), one())."""

    def all(self) -> list[Any]:
        return list(self)

    def first(self) -> Any:
        return self[0] if self else None

    def one(self) -> Any:
        return _one(self)

    def one_or_none(self) -> Any:
        return _one(self) if self else None


class Rows:
    """What a statement returned, read as SQLAlchemy's Result: rows are named tuples (row[0], row.column)."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: Sequence[tuple[Any, ...]], rowcount: int = -1):
        self._rows = rows
        self.rowcount = rowcount  # rows the statement changed, as the driver counts them (-1: not known)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def all(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def one(self) -> tuple[Any, ...]:
        return _one(self._rows)

    def one_or_none(self) -> tuple[Any, ...] | None:
        return _one(self._rows) if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return _one(self._rows)[0]

    def scalar_one_or_none(self) -> Any:
        return _one(self._rows)[0] if self._rows else None

    def scalars(self) -> Scalars:
        return Scalars(row[0] for row in self._rows)

    def mappings(self) -> list[dict[str, Any]]:
        return [row._asdict() for row in self._rows]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Compiled:
    """A statement compiled for one dialect, with what running it needs."""

    compiled: Any
    processors: dict[str, Any]  # the bind processor of each typed parameter (SafeText, Document), by bind name
    plain: bool  # every parameter is an untyped single value the caller gives: the SQL needs no rewriting
    select: bool  # a SELECT taking no row locks: read() may run it on its own
    returning: bool  # it returns rows whatever it does (RETURNING): a list of parameter sets runs one by one
    typed: bool  # its result columns have types (a select() of table columns, RETURNING, text().columns())


_LOCKING = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def _compile(statement: ClauseElement, dialect: Any) -> _Compiled:
    """The statement compiled for the dialect, once: domain modules keep their statements as module constants."""
    compiled = statement.compile(dialect=dialect)
    processors = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()
    }
    processors = {name: process for name, process in processors.items() if process is not None}
    plain = not processors and not compiled.escaped_bind_names
    plain = plain and all(b.required and not b.expanding and b.callable is None for b in compiled.binds.values())
    sql = compiled.string.lstrip()
    select = sql[:6].upper() == "SELECT" and not _LOCKING.search(sql)
    returning = not select and bool(_RETURNING.search(sql))
    typed = bool(getattr(statement, "exported_columns", ()))
    return _Compiled(compiled, processors, plain, select, returning, typed)


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


@functools.lru_cache(maxsize=512)
def _row_type(names: tuple[str, ...]) -> Any:
    """A named tuple for rows of these columns (a name that is no identifier is reachable by position)."""
    return collections.namedtuple("Row", names, rename=True)


def _driver_form(form: _Compiled, params: dict[str, Any]) -> tuple[str, Any]:
    """The SQL text and parameters in the driver's own style, column types applied, `IN :list` expanded."""
    compiled = form.compiled
    if form.plain and params.keys() == compiled.binds.keys():
        # The common case, without SQLAlchemy's per-call parameter processing (most of this function's time).
        return compiled.string, tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
    # Every bind's value (the caller's, or one written into the statement), lists expanded, names escaped.
    state = compiled.construct_expanded_state(params)
    values = dict(state.parameters)
    escaped = compiled.escaped_bind_names or {}
    for name, process in form.processors.items():
        key = escaped.get(name, name)
        if key in values and not compiled.binds[name].expanding:
            values[key] = process(values[key])
    for key, process in state.processors.items():  # the elements of an expanded list
        values[key] = process(values[key])
    return state.statement, tuple(values[key] for key in state.positiontup) if compiled.positional else values


Params = dict[str, Any] | list[dict[str, Any]] | None


class Transaction:
    """ctx.session of an `async def` domain function: statements run with `await`; the route commits or rolls back.

    The connection comes from the pool at the first statement, so an operation that refuses a request before
    touching the database holds none. The pool does not ping it first (a round trip for every request): if that
    first statement finds the connection dead (a restarted database, a dropped idle connection), nothing has
    run on it yet, so it is dropped and the statement runs on another, up to a fresh one.
    One statement at a time: await each before the next (as with a Session).
    """

    def __init__(self, lender: Lender):
        self._lender = lender
        self._dialect = lender.dialect
        self._held: Any = None  # the lender's connection, from the first statement to the end
        self._busy = False
        self._ended = False
        self._begun = False  # the transaction began (not only a read() ran on its own)

    async def __aenter__(self) -> Transaction:
        return self

    async def __aexit__(self, kind: Any, error: Any, trace: Any) -> None:
        """Commit when the block ends normally; roll back when it raises (the error goes on)."""
        await self.end(commit=kind is None)

    async def execute(self, statement: ClauseElement, params: Params = None) -> Rows:
        """Run one statement (a list of parameter sets runs it once for each); its rows, if it returns any."""
        return await self._statement(statement, params, alone=False)

    async def read(self, statement: ClauseElement, params: dict[str, Any] | None = None) -> Rows:
        """A SELECT that may run on its own: as the transaction's first statement, it runs before the transaction.

        On PostgreSQL that spares a request that only reads the BEGIN and COMMIT round trips; the transaction
        begins at the next statement. Under READ COMMITTED (the default) each statement sees what was committed
        before it, inside a transaction or not, so the SELECT sees what it would have seen inside. Only for a
        SELECT that reads rows: one that takes a lock (FOR UPDATE, FOR SHARE: refused here) or calls a function
        with an effect (nextval, an advisory lock) would lose it at once, and under REPEATABLE READ or
        SERIALIZABLE it would stand outside the transaction's snapshot.
        """
        if not _compile(statement, self._dialect).select:
            raise ValueError("read() takes a SELECT without FOR UPDATE or FOR SHARE; use execute() for the rest")
        return await self._statement(statement, params, alone=True)

    async def _statement(self, statement: ClauseElement, params: Params, alone: bool) -> Rows:
        if self._ended:
            raise RuntimeError("this Transaction has ended: its route committed or rolled it back")
        if self._busy:
            # Two statements at once (asyncio.gather) would each take a connection: two transactions, one lost.
            raise RuntimeError("a Transaction runs one statement at a time: await each before the next")
        self._busy = True
        try:
            if self._held is None:
                return await self._first(statement, params, alone)
            if not self._begun:
                await self._begin()
            return await self._run(statement, params)
        finally:
            self._busy = False

    async def _first(self, statement: ClauseElement, params: Params, alone: bool) -> Rows:
        """The transaction's first statement, on a pooled connection that is alive.

        After a database restart every pooled connection is dead, and the pool hands them out in turn: each one
        the first statement finds dead is dropped, up to as many as the pool holds, then a new one is made.
        """
        lender = self._lender
        for _ in range(lender.size):
            self._held = await self._borrow()
            try:
                return await self._run_first(statement, params, alone)
            except lender.errors as error:
                if not lender.is_lost(self._held, error):
                    raise
                # Only here: after the first statement, a lost connection has lost this transaction's work.
                dead, self._held, self._begun = self._held, None, False
                await lender.drop(dead, error)
        self._held = await self._borrow()
        return await self._run_first(statement, params, alone)

    async def _borrow(self) -> Any:
        """A connection from the pool, unless the transaction ended while it waited for one."""
        held = await self._lender.borrow()
        if self._ended:
            # A statement started beside another (asyncio.gather) that outlived the route: it gets no connection.
            await self._lender.give_back(held)
            raise RuntimeError("this Transaction has ended: its route committed or rolled it back")
        return held

    async def _run_first(self, statement: ClauseElement, params: Params, alone: bool) -> Rows:
        if not alone:
            await self._begin()
        return await self._run(statement, params)

    async def _begin(self) -> None:
        # Marked first: a BEGIN cut off on its way may have begun the transaction all the same, and end() then
        # rolls it back rather than lend a connection left inside one (a ROLLBACK outside one only warns).
        self._begun = True
        await self._lender.begin(self._held)

    async def _run(self, statement: ClauseElement, params: Params) -> Rows:
        if isinstance(params, list):
            return await self._run_many(statement, params)
        form = _compile(statement, self._dialect)
        text, parameters = _driver_form(form, params or {})
        rows, names, codes, rowcount = await self._lender.run(self._held, text, parameters)
        if rows:
            if form.typed:
                results = _results(statement, self._dialect, codes)
                if results:
                    rows = [tuple(v if p is None else p(v) for p, v in zip(results, row, strict=True)) for row in rows]
            make = _row_type(names)._make
            rows = [make(row) for row in rows]
        return Rows(rows, rowcount)

    async def _run_many(self, statement: ClauseElement, params: list[dict[str, Any]]) -> Rows:
        """One statement for each parameter set: in one executemany call unless it returns rows or its SQL differs."""
        form = _compile(statement, self._dialect)
        forms = [_driver_form(form, one) for one in params]
        if form.returning or len({text for text, _ in forms}) != 1:
            # RETURNING gives rows for each set; `IN :list` expanded to different lengths is different SQL.
            rows: list[tuple[Any, ...]] = []
            for one in params:
                rows.extend(await self._run(statement, one))
            return Rows(rows, len(params))
        return Rows((), await self._lender.run_many(self._held, forms[0][0], [parameters for _, parameters in forms]))

    async def end(self, commit: bool) -> None:
        """Commit or roll back, and give the connection back (one that is lost or in doubt is dropped)."""
        self._ended = True
        held, self._held = self._held, None
        if held is None:
            return
        lender = self._lender
        drop, why = False, None  # the connection is dropped, not given back (and the error that says why)
        try:
            if not self._begun:
                pass  # only a read() ran, on its own: there is nothing to commit or roll back
            elif commit:
                await lender.commit(held)
            else:
                await lender.rollback(held)
        except BaseException as error:
            database_error = isinstance(error, lender.errors)
            # A refused COMMIT (a serialization failure, a deferred constraint) leaves a usable connection;
            # one cut off (a cancelled request) or lost does not.
            if not database_error or lender.is_lost(held, error):
                drop, why = True, error
            if commit or not database_error:
                raise
            # A rollback that cannot reach the database: the server ends the transaction with the connection,
            # and the error being answered is the one that made the route roll back, not this one.
        finally:
            await (lender.drop(held, why) if drop else lender.give_back(held))
