# Vendored from the FountainAI deploy project (generator/runtime/context.py), runtime 9f4cb55e5e8e.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""What the hand-written domain module receives: the request's database session, settings and version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from .db import get_session

_VERSION = re.compile(r"^v\d+$")


@dataclass(frozen=True)
class Context:
    session: Session
    settings: Any
    request: Request
    version: str = ""  # the spec version serving the request ("v1"), for adapters in the domain module


def get_context(request: Request, session: Annotated[Session, Depends(get_session)]) -> Context:
    version = next((part for part in request.url.path.split("/") if _VERSION.match(part)), "")
    return Context(session=session, settings=request.app.state.settings, request=request, version=version)


ContextDep = Annotated[Context, Depends(get_context)]
