# Vendored from the FountainAI deploy project (generator/runtime/checks.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""A route's checks in one dependency: the API key first, then the query's formats and the body.

One dependency, not one each: every dependency FastAPI solves costs a request about 0.014 ms of CPU (its
own parameters solved, a cache key, in-process in bench/sequence_layers.py's harness), as much as the
check it runs. The order is the answers' order: 401 before a 400 for the query or the body.
"""

from __future__ import annotations

from fastapi import Request

from .auth import ApiKeyCheck, Check


class Checks:
    """The checks of a route without an API key, in turn."""

    def __init__(self, checks: tuple[Check, ...]):
        self.checks = checks

    async def __call__(self, request: Request) -> None:
        for check in self.checks:
            await check(request)


def route_checks(*checks: Check, api_key: tuple[str, str | None] | None = None) -> Checks | ApiKeyCheck:
    """The dependency a route lists: `api_key` is the spec's (header, scheme name) when the operation is secured.

    A secured route's dependency is the key check itself, an APIKeyHeader, so the served OpenAPI document
    keeps the scheme and /docs its Authorize button.
    """
    if api_key is None:
        return Checks(checks)
    return ApiKeyCheck(*api_key, then=checks)
