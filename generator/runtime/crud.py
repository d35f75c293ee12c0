"""Collection and item operations over one typed resource table: list, create, get, patch, put, delete.

Every filter, sort and page is SQL (WHERE, ORDER BY, LIMIT/OFFSET), so a request reads only the rows it
returns; PATCH and PUT are one UPDATE ... RETURNING, so concurrent writers of different fields both land.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from .columns import Document
from .errors import NotFound

_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Filter:
    param: str
    field: str
    kind: str  # eq | contains | any_eq
    subfield: str | None = None

    def clause(self, table: Table, value: Any, dialect: str) -> Any:
        column = table.c[self.field]
        if self.kind == "eq":
            return column == value
        if dialect == "postgresql":
            wanted = [value] if self.kind == "contains" else [{self.subfield: value}]
            return column.op("@>")(literal(wanted, Document()))
        items = func.json_each(column).table_valued("value", "type")
        element = items.c.value if self.kind == "contains" else func.json_extract(items.c.value, f'$."{self.subfield}"')
        return exists(select(1).select_from(items).where(element == value))


@dataclass(frozen=True)
class Collection:
    """The CRUD behaviour of one resource, configured from the spec by the generator."""

    table: Table
    id_field: str | None
    filters: tuple[Filter, ...] = ()
    sort_param: str | None = None
    sort_fields: tuple[str, ...] = ()
    limit_param: str | None = None
    offset_param: str | None = None
    read_only: tuple[str, ...] = ()

    @property
    def key(self) -> Any:
        return next(iter(self.table.primary_key.columns))

    def _out(self, row: Any) -> dict[str, Any]:
        doc = {name: value for name, value in row._mapping.items() if value is not None and name != self.key.name}
        if self.id_field:
            doc[self.id_field] = row._mapping[self.key.name]
        return doc

    def _values(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """The columns a request may set: never the key, never a readOnly field, never an unknown one."""
        skip = {self.key.name, self.id_field, *self.read_only}
        return {k: v for k, v in doc.items() if k not in skip and k in self.table.c}

    def _found(self, row: Any, item_id: int) -> dict[str, Any]:
        if row is None:
            raise NotFound(f"{self.id_field or 'item'} {item_id} not found")
        return self._out(row)

    def list(self, session: Session, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        dialect = session.get_bind().dialect.name
        statement = select(self.table)
        for rule in self.filters:
            value = query.get(rule.param)
            if value is not None:
                statement = statement.where(rule.clause(self.table, getattr(value, "value", value), dialect))
        sort = query.get(self.sort_param) if self.sort_param else None
        key = getattr(sort, "value", sort)
        if key in self.sort_fields:
            column = self.table.c[key]
            # Missing values sort last on both databases.
            statement = statement.order_by(column.is_(None), column)
        statement = statement.order_by(self.key)
        offset = query.get(self.offset_param) if self.offset_param else None
        limit = query.get(self.limit_param) if self.limit_param else None
        if offset:
            statement = statement.offset(offset)
        if limit is not None:
            statement = statement.limit(limit)
        return [self._out(row) for row in session.execute(statement)]

    def create(self, session: Session, doc: Mapping[str, Any]) -> dict[str, Any]:
        row = session.execute(insert(self.table).values(**self._values(doc)).returning(self.table)).first()
        return self._out(row)

    def get(self, session: Session, item_id: int) -> dict[str, Any]:
        row = None
        if 0 < item_id <= _MAX_ID:
            row = session.execute(select(self.table).where(self.key == item_id)).first()
        return self._found(row, item_id)

    def patch(self, session: Session, item_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(changes)
        if not values or not 0 < item_id <= _MAX_ID:
            return self.get(session, item_id)
        statement = update(self.table).where(self.key == item_id).values(**values).returning(self.table)
        return self._found(session.execute(statement).first(), item_id)

    def put(self, session: Session, item_id: int, doc: Mapping[str, Any]) -> dict[str, Any]:
        given = self._values(doc)
        # A replace clears what the new document leaves out, except fields the client may not write.
        values = {c.name: given.get(c.name) for c in self.table.c if c.name in self._writable()}
        if not values or not 0 < item_id <= _MAX_ID:
            return self.get(session, item_id)
        statement = update(self.table).where(self.key == item_id).values(**values).returning(self.table)
        return self._found(session.execute(statement).first(), item_id)

    def _writable(self) -> set[str]:
        parents = {fk.parent.name for fk in self.table.foreign_keys}
        return {c.name for c in self.table.c} - {self.key.name, *self.read_only, *parents}

    def delete(self, session: Session, item_id: int) -> None:
        deleted = None
        if 0 < item_id <= _MAX_ID:
            deleted = session.execute(delete(self.table).where(self.key == item_id).returning(self.key)).first()
        if deleted is None:
            raise NotFound(f"{self.id_field or 'item'} {item_id} not found")
