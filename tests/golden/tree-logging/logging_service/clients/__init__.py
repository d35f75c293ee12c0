"""Typed clients of the services the Logging Service calls (x-fountain-depends-on in its spec)."""

from typing import Any

import httpx

from ..runtime.client import CallContext


class Clients:
    """ctx.clients: one client per dependency, bound to the request being served."""

    # The headers a caller's key arrives in: it is passed on when SERVICE_API_KEY is not set.
    key_headers = ("X-API-KEY",)

    def __init__(self, http: httpx.Client, settings: Any, call: CallContext):
        pass
