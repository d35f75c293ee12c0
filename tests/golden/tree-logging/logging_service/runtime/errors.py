# Vendored from the FountainAI deploy project (generator/runtime/errors.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Error bodies in the spec's own error model, and the exception handlers that produce them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

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


# The statuses an operation's ErrorMapping documents, named by its fields.
MappedStatus = Literal["validation_status", "path_status", "not_found_status"]


def _answer(
    request: Request,
    status: int | MappedStatus,
    code: str,
    message: str,
    details: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The operation's error body; `status` is a number or the name of the mapping's field that holds it."""
    rules = _mapping_of(request)
    number = getattr(rules, status) if isinstance(status, str) else status
    return JSONResponse(rules.body(number, code, message, details), status_code=number, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every client error onto the operation's documented status and error model."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        in_path = bool(errors) and all(e.get("loc", ("",))[0] == "path" for e in errors)
        status: MappedStatus = "path_status" if in_path else "validation_status"
        return _answer(request, status, "invalid_request", *_describe(errors))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return _answer(request, "not_found_status", "not_found", str(exc))

    @app.exception_handler(NotImplementedYet)
    async def _stub(request: Request, exc: NotImplementedYet) -> JSONResponse:
        return _answer(request, 501, "not_implemented", str(exc), exc.file)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return _answer(request, exc.status, exc.code, str(exc))

    @app.exception_handler(Invalid)
    async def _rejected(request: Request, exc: Invalid) -> JSONResponse:
        return _answer(request, "validation_status", "invalid_request", str(exc))

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        return _answer(request, 401, "unauthorized", str(exc), headers={"WWW-Authenticate": "ApiKey"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI reads a JSON body before any dependency runs; bytes that are not UTF-8 are
            # as malformed as any other body, so the operation's own validation answer applies.
            message = f"body: not valid UTF-8 ({exc.__cause__.reason} at byte {exc.__cause__.start})"
            return _answer(request, "validation_status", "invalid_request", message)
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
