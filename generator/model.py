"""The intermediate model: what the renderers need to know about a service, nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .runtime.crud import Access

CrudKind = Literal["list", "create", "get", "patch", "put", "delete"]


@dataclass(frozen=True)
class ErrorShape:
    """Which fields of a spec's error model carry the code, message and details."""

    model: str | None
    code: str | None = None
    code_is_int: bool = False
    message: str | None = None
    details: str | None = None


@dataclass(frozen=True)
class Param:
    name: str
    location: Literal["path", "query", "header"]
    required: bool
    py_type: str
    ident: str
    example: Any = None
    format: str | None = None  # date or date-time: checked as RFC 3339 text (pydantic reads "0" as a date)


@dataclass(frozen=True)
class DocumentedResponse:
    status: str
    description: str
    model: str | None


@dataclass(frozen=True)
class TableColumn:
    name: str
    kind: Literal["int", "float", "str", "bool", "date", "datetime", "json"]
    nullable: bool = True
    choices: tuple[str, ...] = ()  # a string enum's values, checked by the database


@dataclass(frozen=True)
class ResourceTable:
    """A resource's table: its key column (the spec's id field), typed columns, indexed columns."""

    name: str
    key: str
    columns: tuple[TableColumn, ...]
    indexed: tuple[tuple[str, ...], ...] = ()  # column lists, each indexed (the key is appended)
    read_only: tuple[str, ...] = ()
    parent: tuple[str, str, str] | None = None

    def merge(self, other: ResourceTable) -> ResourceTable:
        """The table two API versions share: every column of both, NOT NULL only where both say so."""
        mine = {c.name: c for c in self.columns}
        for column in other.columns:
            if column.name in mine:
                old = mine[column.name]
                kind = old.kind if old.kind == column.kind else "json"
                mine[column.name] = TableColumn(column.name, kind, old.nullable or column.nullable)  # type: ignore[arg-type]
            else:
                mine[column.name] = TableColumn(column.name, column.kind, True)
        for name in set(mine) - {c.name for c in other.columns}:
            mine[name] = TableColumn(name, mine[name].kind, True)
        return ResourceTable(
            self.name,
            self.key,
            tuple(mine[n] for n in sorted(mine)),
            tuple(sorted(set(self.indexed) | set(other.indexed))),
            tuple(sorted(set(self.read_only) | set(other.read_only))),
            self.parent or other.parent,
        )


@dataclass(frozen=True)
class Crud(Access):
    """How a collection/item operation maps onto its resource table.

    Its key field, filters, sort and page are the runtime's own Access, which the generated Collection takes.
    """

    kind: CrudKind
    table: str
    parent: str | None = None  # path parameter naming the parent item of a nested collection
    item_param: str | None = None  # path parameter naming the item
    envelope: tuple[str, str | None] | None = None  # (items, total) properties of a paged list body


@dataclass(frozen=True)
class Operation:
    operation_id: str
    func: str
    method: str
    path: str
    pointer: str
    summary: str
    tags: tuple[str, ...]
    deprecated: bool
    path_params: tuple[Param, ...]
    query_params: tuple[Param, ...]
    query_model: str | None
    body_model: str | None
    body_required: bool
    body_pointer: str | None
    body_example: Any
    success_status: int
    success_model: str | None
    responses: tuple[DocumentedResponse, ...]
    validation_status: int
    path_status: int
    not_found_status: int
    error_shape: ErrorShape
    api_key_header: str | None
    crud: Crud | None
    documents_4xx: bool
    api_key_scheme: str | None = None
    header_params: tuple[Param, ...] = ()
    success_media: str = "application/json"

    @property
    def is_stub(self) -> bool:
        return self.crud is None


@dataclass(frozen=True)
class ApiVersion:
    label: str
    file: Path
    spec: dict[str, Any]
    title: str
    description: str
    api_version: str
    deprecated: bool
    successor: str | None
    models_source: str
    operations: tuple[Operation, ...]
    tables: tuple[ResourceTable, ...]


@dataclass(frozen=True)
class Service:
    slug: str
    package: str
    title: str
    versions: tuple[ApiVersion, ...]
    warnings: tuple[str, ...] = field(default=())
    # The services this one calls (the newest spec's x-fountain-depends-on): each gets a typed client.
    depends_on: tuple[str, ...] = ()

    @property
    def called(self) -> str:
        """How prose names it: "the Character Service", "the Billing service" (never "Service service")."""
        return self.title if self.title.lower().endswith(" service") else f"{self.title} service"

    @property
    def tables(self) -> tuple[ResourceTable, ...]:
        merged: dict[str, ResourceTable] = {}
        for version in self.versions:
            for table in version.tables:
                merged[table.name] = merged[table.name].merge(table) if table.name in merged else table
        return tuple(merged[name] for name in sorted(merged))

    @property
    def latest(self) -> ApiVersion:
        return self.versions[-1]
