# Vendored from the FountainAI deploy project (generator/runtime/hooks.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Calls from generated routes into the service's hand-written domain module (handlers/domain.py).

A CRUD operation runs the generated query unless the domain module defines a hook for it:
`before_create_<table>(ctx, data) -> data`, `after_create_<table>(ctx, row) -> row`, and the same for
`update` (PATCH and PUT) and `delete` (`before_delete_<table>(ctx, item_id)`, `after_delete_<table>(ctx, item_id)`).
Any other operation is one function of the domain module named after its operationId; a missing function,
or one that raises NotImplementedError, answers 501 naming the module. That function may be an `async def`:
it then runs on the event loop with ctx.session a runtime/sql.py Transaction (runtime/db.py's `commits`).
"""

from __future__ import annotations

import inspect
from collections.abc import Coroutine
from types import ModuleType
from typing import Any

from .errors import NotImplementedYet


def _hook(domain: ModuleType, name: str) -> Any:
    """The domain's CRUD hook `name`, if any; hooks run in the generated CRUD's worker thread, so not async."""
    hook = getattr(domain, name, None)
    if inspect.iscoroutinefunction(hook):
        raise TypeError(
            f"{domain.__name__}.{name} is an async def: CRUD hooks run with the generated CRUD, make it a def"
        )
    return hook


def before(domain: ModuleType, stage: str, ctx: Any, value: Any, *extra: Any) -> Any:
    """Run `before_<stage>` if the domain defines it; it returns the (possibly changed) value."""
    hook = _hook(domain, f"before_{stage}")
    if hook is None:
        return value
    changed = hook(ctx, value, *extra)
    return value if changed is None else changed


def after(domain: ModuleType, stage: str, ctx: Any, value: Any) -> Any:
    """Run `after_<stage>` if the domain defines it; its return value (if any) is what the client gets."""
    hook = _hook(domain, f"after_{stage}")
    if hook is None:
        return value
    changed = hook(ctx, value)
    return value if changed is None else changed


def operation(domain: ModuleType, func: str, operation_id: str, file: str, ctx: Any, **kwargs: Any) -> Any:
    """The domain's full replacement for an operation that is not CRUD."""
    handler = getattr(domain, func, None)
    if handler is None:
        raise NotImplementedYet(operation_id, file)
    if inspect.iscoroutinefunction(handler):
        return _awaited(handler(ctx, **kwargs), operation_id, file)
    try:
        return handler(ctx, **kwargs)
    except NotImplementedError:
        raise NotImplementedYet(operation_id, file) from None


async def _awaited(call: Coroutine[Any, Any, Any], operation_id: str, file: str) -> Any:
    """An async domain function's result, with NotImplementedError answered as 501 like a plain one's."""
    try:
        return await call
    except NotImplementedError:
        raise NotImplementedYet(operation_id, file) from None
