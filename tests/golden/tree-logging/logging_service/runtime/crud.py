# Vendored from the FountainAI deploy project (generator/runtime/crud.py), runtime a30efae95295.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Collection and item operations over one resource table: list, create, get, patch, put, delete.

Each row keeps the resource as a JSON document next to its integer id: the spec, not the table,
owns the shape, so a new optional field needs no migration, and any JSON the schema accepts
(large integers, NUL characters) round-trips on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from .errors import NotFound

_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Filter:
    param: str
    field: str
    kind: str  # eq | contains | any_eq
    subfield: str | None = None

    def accepts(self, doc: Mapping[str, Any], value: Any) -> bool:
        current = doc.get(self.field)
        if self.kind == "eq":
            return current == value
        if self.kind == "contains":
            return isinstance(current, list) and value in current
        return isinstance(current, list) and any(
            isinstance(item, dict) and item.get(self.subfield) == value for item in current
        )


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

    def _out(self, row: Any) -> dict[str, Any]:
        doc = dict(row.doc or {})
        if self.id_field:
            doc[self.id_field] = row.id
        return doc

    def _row(self, session: Session, item_id: int) -> Any:
        row = None
        if 0 < item_id <= _MAX_ID:
            row = session.execute(select(self.table).where(self.table.c.id == item_id)).first()
        if row is None:
            raise NotFound(f"{self.id_field or 'item'} {item_id} not found")
        return row

    def list(self, session: Session, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        docs = [self._out(row) for row in session.execute(select(self.table).order_by(self.table.c.id))]
        for rule in self.filters:
            value = query.get(rule.param)
            if value is not None:
                docs = [doc for doc in docs if rule.accepts(doc, value)]
        sort = query.get(self.sort_param) if self.sort_param else None
        if sort is not None:
            key = getattr(sort, "value", sort)
            if key in self.sort_fields:
                # Missing values sort last; mixed types compare by their text.
                docs.sort(key=lambda d: (d.get(key) is None, str(d.get(key, ""))))
        offset = query.get(self.offset_param) if self.offset_param else None
        limit = query.get(self.limit_param) if self.limit_param else None
        start = offset or 0
        return docs[start : start + limit] if limit is not None else docs[start:]

    def create(self, session: Session, doc: Mapping[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in doc.items() if k != self.id_field}
        result = session.execute(insert(self.table).values(doc=body))
        return self._out(self._row(session, int(result.inserted_primary_key[0])))

    def get(self, session: Session, item_id: int) -> dict[str, Any]:
        return self._out(self._row(session, item_id))

    def patch(self, session: Session, item_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
        current = dict(self._row(session, item_id).doc or {})
        current.update({k: v for k, v in changes.items() if k != self.id_field})
        session.execute(update(self.table).where(self.table.c.id == item_id).values(doc=current))
        return self.get(session, item_id)

    def put(self, session: Session, item_id: int, doc: Mapping[str, Any]) -> dict[str, Any]:
        self._row(session, item_id)
        body = {k: v for k, v in doc.items() if k != self.id_field}
        session.execute(update(self.table).where(self.table.c.id == item_id).values(doc=body))
        return self.get(session, item_id)

    def delete(self, session: Session, item_id: int) -> None:
        self._row(session, item_id)
        session.execute(delete(self.table).where(self.table.c.id == item_id))
