# Vendored from the FountainAI deploy project (generator/runtime/crud.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Collection and item operations over one typed resource table: list, create, get, patch, put, delete.

Every filter, sort and page is SQL (WHERE, ORDER BY, LIMIT/OFFSET), so a request reads only the rows it
returns; PATCH and PUT are one UPDATE ... RETURNING, so concurrent writers of different fields both land.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Table, delete, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from .columns import Document
from .errors import NotFound

_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Filter:
    """A query parameter that keeps the rows whose `field` equals it, or whose array holds it (or its `subfield`)."""

    param: str
    field: str
    kind: Literal["eq", "contains", "any_eq"]
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


@dataclass(frozen=True, kw_only=True)
class Access:
    """What the spec says of a resource's requests: the field naming its key, and how a list is filtered, sorted, paged.

    The generator reads these from the spec into its model and writes them into each Collection.
    """

    id_field: str | None
    filters: tuple[Filter, ...] = ()
    sort_param: str | None = None
    sort_fields: tuple[str, ...] = ()
    limit_param: str | None = None
    offset_param: str | None = None


@dataclass(frozen=True)
class Collection(Access):
    """The CRUD behaviour of one resource, configured from the spec by the generator."""

    table: Table
    read_only: tuple[str, ...] = ()
    parent: str | None = None  # the column naming the parent item of a nested collection

    @property
    def key(self) -> Any:
        return next(iter(self.table.primary_key.columns))

    def _scope(self, statement: Any, parent_id: int | None) -> Any:
        """Only the rows of this parent item, for a nested collection."""
        return statement if self.parent is None else statement.where(self.table.c[self.parent] == parent_id)

    def _require_parent(self, session: Session, parent_id: int | None) -> None:
        if self.parent is None:
            return
        foreign = next(iter(self.table.c[self.parent].foreign_keys)).column
        found = 0 < (parent_id or 0) <= _MAX_ID and session.execute(select(foreign).where(foreign == parent_id)).first()
        if not found:
            raise NotFound(f"{self.parent} {parent_id} not found")

    def _out(self, row: Any) -> dict[str, Any]:
        doc = {name: value for name, value in row._mapping.items() if value is not None and name != self.key.name}
        if self.id_field:
            doc[self.id_field] = row._mapping[self.key.name]
        return doc

    def _values(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """The columns a request may set: never the key, the parent, a readOnly field or an unknown one."""
        skip = {self.key.name, self.id_field, self.parent, *self.read_only}
        return {k: v for k, v in doc.items() if k not in skip and k in self.table.c}

    def _where(self, item_id: int, parent_id: int | None) -> Any:
        clause = self.key == item_id
        return clause if self.parent is None else clause & (self.table.c[self.parent] == parent_id)

    def _found(self, row: Any, item_id: int) -> dict[str, Any]:
        if row is None:
            raise NotFound(f"{self.id_field or 'item'} {item_id} not found")
        return self._out(row)

    def _filtered(self, session: Session, statement: Any, query: Mapping[str, Any], parent_id: int | None) -> Any:
        dialect = session.get_bind().dialect.name
        statement = self._scope(statement, parent_id)
        for rule in self.filters:
            value = query.get(rule.param)
            if value is not None:
                statement = statement.where(rule.clause(self.table, getattr(value, "value", value), dialect))
        return statement

    def page(
        self, session: Session, query: Mapping[str, Any], items: str, total: str | None, parent_id: int | None = None
    ) -> dict[str, Any]:
        """A paged envelope: the page under `items`, the count of every match under `total`."""
        body: dict[str, Any] = {items: self.list(session, query, parent_id)}
        if total is not None:
            count = self._filtered(session, select(func.count()).select_from(self.table), query, parent_id)
            body[total] = session.execute(count).scalar_one()
        return body

    def list(self, session: Session, query: Mapping[str, Any], parent_id: int | None = None) -> list[dict[str, Any]]:
        self._require_parent(session, parent_id)
        statement = self._filtered(session, select(self.table), query, parent_id)
        sort = query.get(self.sort_param) if self.sort_param else None
        key = getattr(sort, "value", sort)
        if key in self.sort_fields:
            column = self.table.c[key]
            # Missing values last on both databases (PostgreSQL's own ascending order, so its index serves).
            statement = statement.order_by(column.asc().nulls_last())
        statement = statement.order_by(self.key)
        offset = query.get(self.offset_param) if self.offset_param else None
        limit = query.get(self.limit_param) if self.limit_param else None
        if offset and offset > _MAX_ID:
            return []  # past any table's end; SQLite could not even take the number
        if offset:
            statement = statement.offset(offset)
        if limit is not None and limit <= _MAX_ID:
            statement = statement.limit(limit)
        return [self._out(row) for row in session.execute(statement)]

    def create(self, session: Session, doc: Mapping[str, Any], parent_id: int | None = None) -> dict[str, Any]:
        self._require_parent(session, parent_id)
        values = self._values(doc)
        if self.parent is not None:
            values[self.parent] = parent_id
        row = session.execute(insert(self.table).values(**values).returning(self.table)).first()
        return self._out(row)

    def get(self, session: Session, item_id: int, parent_id: int | None = None) -> dict[str, Any]:
        row = None
        if 0 < item_id <= _MAX_ID:
            row = session.execute(select(self.table).where(self._where(item_id, parent_id))).first()
        return self._found(row, item_id)

    def patch(
        self, session: Session, item_id: int, changes: Mapping[str, Any], parent_id: int | None = None
    ) -> dict[str, Any]:
        return self._update(session, item_id, self._values(changes), parent_id)

    def put(
        self, session: Session, item_id: int, doc: Mapping[str, Any], parent_id: int | None = None
    ) -> dict[str, Any]:
        given = self._values(doc)
        # A replace clears what the new document leaves out, except fields the client may not write.
        return self._update(session, item_id, {name: given.get(name) for name in self._writable()}, parent_id)

    def _update(self, session: Session, item_id: int, values: dict[str, Any], parent_id: int | None) -> dict[str, Any]:
        """One UPDATE ... RETURNING: no read-modify-write, so concurrent writers of other fields are kept."""
        if not values or not 0 < item_id <= _MAX_ID:
            return self.get(session, item_id, parent_id)
        statement = update(self.table).where(self._where(item_id, parent_id)).values(**values).returning(self.table)
        return self._found(session.execute(statement).first(), item_id)

    def _writable(self) -> set[str]:
        parents = {fk.parent.name for fk in self.table.foreign_keys}
        return {c.name for c in self.table.c} - {self.key.name, *self.read_only, *parents}

    def delete(self, session: Session, item_id: int, parent_id: int | None = None) -> None:
        deleted = None
        if 0 < item_id <= _MAX_ID:
            statement = delete(self.table).where(self._where(item_id, parent_id)).returning(self.key)
            deleted = session.execute(statement).first()
        if deleted is None:
            raise NotFound(f"{self.id_field or 'item'} {item_id} not found")
