# Vendored from the FountainAI deploy project (generator/runtime/auth.py), runtime fb83645acfd8.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""API-key check for operations whose spec declares an apiKey security scheme."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from .errors import Unauthorized


def require_api_key(header: str) -> Callable[[Request], None]:
    """A dependency that accepts a request only with one of the configured keys in `header`."""

    def check(request: Request) -> None:
        keys = request.app.state.settings.api_key_values()
        given = request.headers.get(header, "")
        # Compare against every key in constant time, so timing tells nothing about near misses.
        if not (given and any(hmac.compare_digest(given.encode(), key.encode()) for key in keys)):
            raise Unauthorized(f"a valid {header} header is required")

    return check
