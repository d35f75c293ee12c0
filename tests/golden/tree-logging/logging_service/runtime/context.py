# Vendored from the FountainAI deploy project (generator/runtime/context.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""What the hand-written domain module receives: the request's database session, settings, version and clients."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request

_VERSION = re.compile(r"^v\d+$")


# Session in a plain domain function, runtime/sql.py's Transaction in an `async def` one;
# a bare `Context` leaves it to the code.
S = TypeVar("S")


@dataclass(frozen=True)
class Context(Generic[S]):
    session: S
    settings: Any
    request: Request
    version: str = ""  # the spec version serving the request ("v1"), for adapters in the domain module

    @functools.cached_property
    def clients(self) -> Any:
        """Typed clients of the services this one calls (clients/__init__.py), bound to this request's correlation id.

        Built on first use: a request that calls no other service does not pay for its correlation id.
        """
        factory = getattr(self.request.app.state, "clients", None)
        return factory(self.request) if factory is not None else None


# async: building the context waits on nothing (a plain function would run in a worker thread). The session
# comes from runtime/db.py's `commits`, which opens it where the route runs and ends it there.
async def get_context(request: Request) -> Context[Any]:
    # scope["path"], not request.url: building the URL object costs more than the rest of this function.
    version = next((part for part in request.scope["path"].split("/") if _VERSION.match(part)), "")
    return Context(session=None, settings=request.app.state.settings, request=request, version=version)


ContextDep = Annotated[Context, Depends(get_context)]
