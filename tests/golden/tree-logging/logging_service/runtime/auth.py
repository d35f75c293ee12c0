# Vendored from the FountainAI deploy project (generator/runtime/auth.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""API-key check for operations whose spec declares an apiKey security scheme."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.security import APIKeyHeader

from .errors import Unauthorized

Check = Callable[[Request], Awaitable[None]]


class ApiKeyCheck(APIKeyHeader):
    """The spec's apiKey scheme, which also checks the key: accepts a request only with one of the configured keys.

    Being an APIKeyHeader puts the scheme into the served OpenAPI document, so /docs shows the Authorize
    button (FastAPI takes any dependency that is a SecurityBase for a scheme: fastapi/dependencies/models.py,
    `_is_security_scheme`); checking in the same call spares each request a second dependency to solve.
    The errors are ours (the spec's error model), not FastAPI's 403.
    """

    def __init__(self, header: str, scheme: str | None = None, then: tuple[Check, ...] = ()):
        super().__init__(name=header, scheme_name=scheme, auto_error=False)
        self.header = header
        self.then = then  # the route's other checks, after the key (runtime/checks.py)

    # async: nothing here waits, and a plain function would cost a worker-thread round trip per request.
    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        given = request.headers.get(self.header) or ""
        keys = request.app.state.settings.api_key_values()
        # Compare against every key in constant time, so timing tells nothing about near misses.
        if not (given and any(hmac.compare_digest(given.encode(), key.encode()) for key in keys)):
            raise Unauthorized(f"a valid {self.header} header is required")
        for check in self.then:
            await check(request)
