"""Domain logic of the Logging Service: one module for every version of its spec.

POST /logs takes what Kong's http-log plugin sends (queue_size 1): one `kong.log.serialize()` object,
see Kong/kong kong/pdk/log.lua (serialize: request, upstream_uri, response, latencies, tries,
authenticated_entity, route, service, consumer, client_ip, started_at, source) and
kong/plugins/http-log/handler.lua (the entry is cjson-encoded and POSTed as the body when queue_size is 1,
a JSON array otherwise), plus the custom_fields_by_lua our gateway config adds (service, level, message,
correlationId). Before the row is written, credentials are removed whatever the gateway sends; the status
and method are lifted into typed columns so search filters them in SQL; entries older than
LOG_RETENTION_DAYS are pruned.
"""

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic_settings import BaseSettings
from sqlalchemy import delete, select

from logging_service import tables
from logging_service.runtime.context import Context
from logging_service.v1.models import LogsSearchGetParametersQuery, LogsSearchGetResponse

# Headers and query parameters that carry credentials (key-auth's default key name is "apikey").
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "apikey"})
SECRET_PARAMS = frozenset({"apikey", "api_key", "x-api-key", "access_token"})
PRUNE_EVERY = 100  # entries: pruning is one indexed DELETE, run on every hundredth write
_DAY_MS = 86_400_000


class LoggingSettings(BaseSettings):
    """The domain's own settings, from the environment."""

    log_retention_days: int = 30


def _secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or "api-key" in lowered or "apikey" in lowered or "token" in lowered


def _clean_headers(headers: Any) -> Any:
    if not isinstance(headers, dict):
        return headers
    return {k: v for k, v in headers.items() if not _secret(k)}


def _clean_url(value: Any) -> Any:
    if not isinstance(value, str) or "?" not in value:
        return value
    parts = urlsplit(value)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def scrub(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry without credentials: secret headers, key query parameters (in querystring, uri and url)."""
    out = dict(entry)
    for part in ("request", "response"):
        section = out.get(part)
        if isinstance(section, dict):
            section = {**section, "headers": _clean_headers(section.get("headers"))}
            if isinstance(section.get("querystring"), dict):
                section["querystring"] = {
                    k: v for k, v in section["querystring"].items() if k.lower() not in SECRET_PARAMS
                }
            for key in ("uri", "url"):
                if key in section:
                    section[key] = _clean_url(section[key])
            out[part] = {k: v for k, v in section.items() if v is not None}
    out["upstream_uri"] = _clean_url(out.get("upstream_uri"))
    return {k: v for k, v in out.items() if v is not None}


def before_create_logs(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Scrub credentials; status and method, unless given, come from the response and the request."""
    data = scrub(data)
    status = data.get("status", (data.get("response") or {}).get("status"))
    method = data.get("method", (data.get("request") or {}).get("method"))
    data["status"] = status if isinstance(status, int) and not isinstance(status, bool) else None
    data["method"] = method if isinstance(method, str) else None
    return {k: v for k, v in data.items() if v is not None}


def after_create_logs(ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    """Every PRUNE_EVERY entries, delete those older than the retention (by started_at)."""
    if row["logId"] % PRUNE_EVERY == 0:
        prune(ctx, now_ms=row.get("started_at"))
    return row


def prune(ctx: Context, *, now_ms: int | None = None) -> int:
    """Delete entries whose started_at lies more than LOG_RETENTION_DAYS before now_ms; the count deleted."""
    import time

    now = now_ms if now_ms is not None else int(time.time() * 1000)
    cutoff = now - LoggingSettings().log_retention_days * _DAY_MS
    result = ctx.session.execute(delete(tables.logs).where(tables.logs.c.started_at < cutoff))
    return result.rowcount or 0


def search_logs(
    ctx: Context,
    *,
    query: LogsSearchGetParametersQuery,
) -> LogsSearchGetResponse | list[dict[str, Any]]:
    """searchLogs: GET /logs/search: every given filter in SQL, newest first."""
    logs = tables.logs
    statement = select(logs)
    equal = {"service": query.service, "level": query.level, "status": query.status, "method": query.method}
    for column, value in equal.items():
        if value is not None:
            value = getattr(value, "value", value)
            statement = statement.where(logs.c[column] == value)
    if query.startedFrom is not None:
        statement = statement.where(logs.c.started_at >= query.startedFrom)
    if query.startedTo is not None:
        statement = statement.where(logs.c.started_at <= query.startedTo)
    statement = statement.order_by(logs.c.started_at.desc().nulls_last(), logs.c.logId.desc())
    if query.offset and query.offset > 2**63 - 1:
        return []
    statement = statement.offset(query.offset or 0).limit(query.limit or 100)
    return [{k: v for k, v in row._mapping.items() if v is not None} for row in ctx.session.execute(statement)]
