# Vendored from the FountainAI deploy project (generator/runtime/auth.py), runtime b7cd422f2a36.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""API-key check for operations whose spec declares an apiKey security scheme."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from .errors import Unauthorized


def require_api_key(header: str, scheme: str | None = None) -> Callable[..., None]:
    """A dependency that accepts a request only with one of the configured keys in `header`.

    Reading the header through APIKeyHeader puts the spec's scheme into the served OpenAPI document,
    so /docs shows the Authorize button; the check itself stays ours (errors in the spec's model).
    """
    key_header = APIKeyHeader(name=header, scheme_name=scheme, auto_error=False)

    # async: nothing here waits, and a plain function would cost a worker-thread round trip per request.
    async def check(request: Request, given: str | None = Security(key_header)) -> None:
        keys = request.app.state.settings.api_key_values()
        given = given or ""
        # Compare against every key in constant time, so timing tells nothing about near misses.
        if not (given and any(hmac.compare_digest(given.encode(), key.encode()) for key in keys)):
            raise Unauthorized(f"a valid {header} header is required")

    return check
