"""Routes of Logging Service v1, one per operation of v1.yaml."""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from .. import tables
from ..handlers import domain
from ..runtime import hooks
from ..runtime.checks import route_checks
from ..runtime.context import ContextDep
from ..runtime.crud import Collection, Filter
from ..runtime.db import commits
from ..runtime.errors import error_mapping
from ..runtime.gate import body_gate
from .models import LogEntry, LogEntryRequest, LogsSearchGetParametersQuery, LogsSearchGetResponse, StandardError

SPEC = Path(__file__).parent / "openapi.json"
router = APIRouter()

LOGS = Collection(
    tables.logs,
    id_field="logId",
    filters=(
        Filter("level", "level", "eq", None),
        Filter("method", "method", "eq", None),
        Filter("service", "service", "eq", None),
        Filter("status", "status", "eq", None),
    ),
    sort_param=None,
    sort_fields=(),
    limit_param="limit",
    offset_param="offset",
    read_only=(),
    parent=None,
)


@router.post(
    "/logs",
    operation_id="createLogEntry",
    summary="Store a log entry",
    status_code=201,
    response_model=LogEntry,
    response_model_exclude_none=True,
    responses={
        400: {"description": "Invalid request.", "model": StandardError},
        401: {"description": "Missing or invalid API key.", "model": StandardError},
    },
    dependencies=[
        Depends(
            route_checks(
                body_gate(SPEC, "/paths/~1logs/post/requestBody/content/application~1json/schema", required=True),
                api_key=("X-API-KEY", "apiKeyAuth"),
            )
        ),
    ],
)
@error_mapping(
    validation_status=400,
    path_status=400,
    not_found_status=404,
    code="errorCode",
    code_is_int=False,
    message="message",
    details="details",
)
@commits(domain, "create_log_entry")
def create_log_entry(
    ctx: ContextDep,
    body: LogEntryRequest,
) -> Any:
    """Store a log entry"""
    if hasattr(domain, "create_log_entry"):
        # The domain module replaces this operation's generated CRUD.
        return hooks.operation(
            domain,
            "create_log_entry",
            "createLogEntry",
            "services/logging/domain.py",
            ctx,
            body=body,
        )
    data = hooks.before(domain, "create_logs", ctx, body.model_dump(mode="json", by_alias=True, exclude_unset=True))
    return hooks.after(domain, "create_logs", ctx, LOGS.create(ctx.session, data))


@router.get(
    "/logs/search",
    operation_id="searchLogs",
    summary="Search log entries",
    status_code=200,
    response_model=LogsSearchGetResponse,
    response_model_exclude_none=True,
    responses={
        400: {"description": "Invalid request.", "model": StandardError},
        401: {"description": "Missing or invalid API key.", "model": StandardError},
    },
    dependencies=[
        Depends(
            route_checks(
                api_key=("X-API-KEY", "apiKeyAuth"),
            )
        ),
    ],
)
@error_mapping(
    validation_status=400,
    path_status=400,
    not_found_status=404,
    code="errorCode",
    code_is_int=False,
    message="message",
    details="details",
)
@commits(domain, "search_logs")
def search_logs(
    ctx: ContextDep,
    query: Annotated[LogsSearchGetParametersQuery, Query()],
) -> Any:
    """Search log entries"""
    if hasattr(domain, "search_logs"):
        # The domain module replaces this operation's generated CRUD.
        return hooks.operation(
            domain,
            "search_logs",
            "searchLogs",
            "services/logging/domain.py",
            ctx,
            query=query,
        )
    return LOGS.list(ctx.session, query.model_dump(mode="json", by_alias=True))
