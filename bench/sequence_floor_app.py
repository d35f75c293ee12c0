"""The floor under any FastAPI service here: `POST /v2/sequence` with the same body model and answer, no database.

bench/sequence.py serves it like the generated service (one uvicorn worker, same HTTP stack), so its row
shows what the HTTP stack alone costs beside the ceiling, which has no HTTP at all.
"""

from fastapi import FastAPI
from pydantic import BaseModel


class SequenceRequest(BaseModel):
    elementType: str
    elementId: int
    comment: str


def create_app() -> FastAPI:
    """One endpoint answering a fixed number."""
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.post("/v2/sequence", status_code=201)
    async def generate_sequence_number(request: SequenceRequest) -> dict:
        return {"sequenceNumber": request.elementId, "comment": request.comment}

    return app
