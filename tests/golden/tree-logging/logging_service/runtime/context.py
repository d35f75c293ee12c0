# Vendored from the FountainAI deploy project (generator/runtime/context.py), runtime de1df6bcbf66.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""What a hand-written handler in services/ receives: the request's database session and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from .db import get_session


@dataclass(frozen=True)
class Context:
    session: Session
    settings: Any
    request: Request


def get_context(request: Request, session: Annotated[Session, Depends(get_session)]) -> Context:
    return Context(session=session, settings=request.app.state.settings, request=request)


ContextDep = Annotated[Context, Depends(get_context)]
