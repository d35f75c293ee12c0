"""FountainAI generator: OpenAPI specs in, one complete FastAPI service tree per service out."""

from .errors import SpecError
from .generate import Result, build, generate

__all__ = ["Result", "SpecError", "build", "generate"]
