# Vendored from the FountainAI deploy project (generator/runtime/media.py), runtime fddc59ac4394.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Responses of operations whose spec documents a text body (text/html, text/plain, ...) instead of JSON."""

from __future__ import annotations

from functools import cache

from fastapi.responses import Response


@cache
def text_response(media_type: str) -> type[Response]:
    """A response class sending the handler's string as `media_type`; FastAPI documents it under that type."""
    return type("TextResponse", (Response,), {"media_type": media_type})
