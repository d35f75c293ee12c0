# Vendored from the FountainAI deploy project (generator/runtime/columns.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Column types of the resource tables, and the one function that declares a resource's table.

The generator builds the same tables (with plain DDL types) to autogenerate the Alembic revisions,
so what the service queries and what the migrations create cannot drift apart.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects import postgresql

# BIGINT on PostgreSQL; SQLite only autoincrements a column declared INTEGER.
ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")
_INT64 = range(-(2**63), 2**63)
# SQLite stores at most 64-bit integers; a wider one is kept as text behind this marker (not a number
# literal, so SQLite does not turn it into a lossy REAL) and read back exactly.
_WIDE = "~"
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def _escape_nul(value: Any) -> Any:
    """PostgreSQL text and jsonb hold no NUL character: escape it (and the escape) reversibly."""
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\x00", "\\0")
    if isinstance(value, list):
        return [_escape_nul(v) for v in value]
    if isinstance(value, dict):
        return {_escape_nul(k): _escape_nul(v) for k, v in value.items()}
    return value


def _unescape_nul(value: Any) -> Any:
    if isinstance(value, str):
        return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "0" else m.group(1), value)
    if isinstance(value, list):
        return [_unescape_nul(v) for v in value]
    if isinstance(value, dict):
        return {_unescape_nul(k): _unescape_nul(v) for k, v in value.items()}
    return value


class _PostgresForm(TypeDecorator):
    """A type stored as `postgres_type` on PostgreSQL and as its `impl` elsewhere."""

    postgres_type: Any

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(self.postgres_type())
        return dialect.type_descriptor(self.impl_instance)


class _NulSafe(TypeDecorator):
    """Text or JSON whose strings may hold NUL characters: escaped on PostgreSQL, read back as written."""

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return _escape_nul(value) if dialect.name == "postgresql" else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return _unescape_nul(value) if dialect.name == "postgresql" else value


class WholeNumber(_PostgresForm):
    """A JSON integer of any size: NUMERIC on PostgreSQL, INTEGER on SQLite; compared and sorted by value."""

    impl = BigInteger
    postgres_type = postgresql.NUMERIC
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is not None and dialect.name == "sqlite" and value not in _INT64:
            return f"{_WIDE}{value}"
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, str):
            return int(value.removeprefix(_WIDE))
        return None if value is None else int(value)


class SafeText(_NulSafe):
    """Any JSON string, NUL characters included."""

    impl = Text
    cache_ok = True


class Document(_NulSafe, _PostgresForm):
    """A nested object or array: JSONB on PostgreSQL, JSON on SQLite."""

    impl = JSON
    postgres_type = postgresql.JSONB
    cache_ok = True


class Day(TypeDecorator):
    """A `format: date` string stored as DATE, so it compares and sorts as a date; read back as the same string."""

    impl = Date
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return date.fromisoformat(value) if isinstance(value, str) else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else value.isoformat()


class Instant(TypeDecorator):
    """A `format: date-time` string stored as TIMESTAMP WITH TIME ZONE (UTC on SQLite); read back in UTC, RFC 3339."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value is None:
            return None
        # A time without offset is taken as UTC; SQLite keeps no offset, so every value is stored in UTC
        # there and its fixed-width text sorts in time order.
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.isoformat().replace("+00:00", "Z")


# kind -> (type the service queries with, plain type the migrations create)
KINDS: dict[str, tuple[Any, Any]] = {
    "int": (WholeNumber(), BigInteger().with_variant(postgresql.NUMERIC(), "postgresql")),
    "float": (Double(), Double()),
    "str": (SafeText(), Text()),
    "bool": (Boolean(), Boolean()),
    "date": (Day(), Date()),
    "datetime": (Instant(), DateTime(timezone=True)),
    "json": (Document(), JSON().with_variant(postgresql.JSONB(), "postgresql")),
}


def resource_table(
    metadata: MetaData,
    name: str,
    key: str,
    columns: tuple[tuple[Any, ...], ...],
    indexed: tuple[tuple[str, ...], ...] = (),
    parent: tuple[str, str, str] | None = None,
    *,
    ddl: bool = False,
) -> Table:
    """Declare a resource table: key, typed (name, kind, nullable[, choices]) columns, indexes of filters and sorts.

    A column with choices (a string enum) gets a CHECK constraint, so a row written around the API is refused too.
    `parent` is (column, parent table, parent key) for a nested collection; rows go with their parent.
    """
    table_columns = [Column(key, ID_TYPE, primary_key=True, autoincrement=True)]
    if parent is not None:
        column, parent_table, parent_key = parent
        table_columns.append(
            Column(column, ID_TYPE, ForeignKey(f"{parent_table}.{parent_key}", ondelete="CASCADE"), nullable=False)
        )
    for column, kind, nullable, *choices in columns:
        table_columns.append(Column(column, KINDS[kind][1 if ddl else 0], nullable=nullable))
        if choices:
            table_columns.append(CheckConstraint(_one_of(column, choices[0]), name=_check_name(name, column)))
    table = Table(name, metadata, *table_columns)
    for columns_ in indexed:
        # The key as the last column keeps the default order (by key) inside a filter without a sort.
        Index(f"ix_{name}_{'_'.join(columns_)}"[:63], *(table.c[c] for c in columns_), table.c[key])
    return table


def _check_name(table: str, column: str) -> str:
    """The CHECK constraint's name: the same on every database and every run (PostgreSQL keeps 63 bytes)."""
    return f"ck_{table}_{column}"[:63]


def _one_of(column: str, choices: tuple[str, ...]) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    return f"{quoted} IN ({', '.join(_quote(c) for c in choices)})"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
