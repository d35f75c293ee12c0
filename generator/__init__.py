"""FountainAI generator: OpenAPI specs in, one complete FastAPI service tree per service out."""

from .errors import SpecError
from .generate import Result, build, generate
from .model import Service

__all__ = ["Result", "Service", "SpecError", "build", "generate"]
