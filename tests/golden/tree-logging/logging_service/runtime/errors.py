# Vendored from the FountainAI deploy project (generator/runtime/errors.py), runtime c3e164a7869f.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Error bodies in the spec's own error model, and the exception handlers that produce them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match


@dataclass(frozen=True)
class ErrorMapping:
    """What an operation answers for each kind of client error, and in which body shape."""

    validation_status: int
    path_status: int
    not_found_status: int
    code: str | None = "errorCode"
    code_is_int: bool = False
    message: str | None = "message"
    details: str | None = "details"

    def body(self, status: int, code: str, message: str, details: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.code:
            out[self.code] = status if self.code_is_int else code
        if self.message:
            out[self.message] = message
        if self.details and details:
            out[self.details] = details
        return out


DEFAULT_MAPPING = ErrorMapping(validation_status=422, path_status=422, not_found_status=404)


def error_mapping(**kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach an ErrorMapping to an endpoint function."""

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        func.error_mapping = ErrorMapping(**kwargs)  # type: ignore[attr-defined]
        return func

    return mark


class NotFound(Exception):
    """The item an operation addresses does not exist."""


class NotImplementedYet(Exception):
    """A handler stub in services/ that nobody has filled in yet."""

    def __init__(self, operation_id: str, file: str):
        super().__init__(f"{operation_id} is not implemented yet: edit {file}")
        self.operation_id, self.file = operation_id, file


class DomainError(Exception):
    """An answer the domain code chooses: a documented status, a code and a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


class Invalid(Exception):
    """The request is well-formed but the domain rejects it: the operation's documented validation status."""


class Unauthorized(Exception):
    """The request lacks a valid API key."""


def _mapping_of(request: Request) -> ErrorMapping:
    route = request.scope.get("route")
    return getattr(getattr(route, "endpoint", None), "error_mapping", DEFAULT_MAPPING)


def _describe(errors: list[Any]) -> tuple[str, str]:
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = f"{where}: {first.get('msg', 'invalid request')}" if where else str(first.get("msg", "invalid request"))
    details = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors[:5] if isinstance(e, dict)
    )
    return message, details


def install_error_handlers(app: FastAPI) -> None:
    """Map every client error onto the operation's documented status and error model."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        rules = _mapping_of(request)
        errors = list(exc.errors())
        in_path = bool(errors) and all(e.get("loc", ("",))[0] == "path" for e in errors)
        status = rules.path_status if in_path else rules.validation_status
        message, details = _describe(errors)
        return JSONResponse(rules.body(status, "invalid_request", message, details), status_code=status)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        rules = _mapping_of(request)
        status = rules.not_found_status
        return JSONResponse(rules.body(status, "not_found", str(exc)), status_code=status)

    @app.exception_handler(NotImplementedYet)
    async def _stub(request: Request, exc: NotImplementedYet) -> JSONResponse:
        return JSONResponse(_mapping_of(request).body(501, "not_implemented", str(exc), exc.file), status_code=501)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        body = _mapping_of(request).body(exc.status, exc.code, str(exc))
        return JSONResponse(body, status_code=exc.status)

    @app.exception_handler(Invalid)
    async def _rejected(request: Request, exc: Invalid) -> JSONResponse:
        rules = _mapping_of(request)
        status = rules.validation_status
        return JSONResponse(rules.body(status, "invalid_request", str(exc)), status_code=status)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        body = _mapping_of(request).body(401, "unauthorized", str(exc))
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "ApiKey"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI reads a JSON body before any dependency runs; bytes that are not UTF-8 are
            # as malformed as any other body, so the operation's own validation answer applies.
            rules = _mapping_of(request)
            status = rules.validation_status
            message = f"body: not valid UTF-8 ({exc.__cause__.reason} at byte {exc.__cause__.start})"
            return JSONResponse(rules.body(status, "invalid_request", message), status_code=status)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; list them all.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        body = DEFAULT_MAPPING.body(exc.status_code, "http_error", str(exc.detail))
        return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    # Ask the router itself which methods would fully match this path: included routers
    # (one per API version) hide their routes from a walk over app.routes.
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.router.routes
        )
    ]


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
