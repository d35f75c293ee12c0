"""The intermediate model: what the renderers need to know about a service, nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    location: Literal["path", "query"]
    required: bool
    py_type: str
    ident: str
    example: Any = None


@dataclass(frozen=True)
class DocumentedResponse:
    status: str
    description: str
    model: str | None


@dataclass(frozen=True)
class Filter:
    param: str
    field: str
    kind: Literal["eq", "contains", "any_eq"]
    subfield: str | None = None


@dataclass(frozen=True)
class Crud:
    """How a collection/item operation maps onto its resource table."""

    kind: CrudKind
    table: str
    id_field: str | None
    filters: tuple[Filter, ...] = ()
    sort_param: str | None = None
    sort_fields: tuple[str, ...] = ()
    limit_param: str | None = None
    offset_param: str | None = None


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
    tables: tuple[str, ...]


@dataclass(frozen=True)
class Service:
    slug: str
    package: str
    title: str
    versions: tuple[ApiVersion, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def called(self) -> str:
        """How prose names it: "the Character Service", "the Billing service" (never "Service service")."""
        return self.title if self.title.lower().endswith(" service") else f"{self.title} service"

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(sorted({t for v in self.versions for t in v.tables}))

    @property
    def latest(self) -> ApiVersion:
        return self.versions[-1]
