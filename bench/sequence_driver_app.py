"""The data layer's edge: `POST /v2/sequence` on the same FastAPI and uvicorn, its SQL straight over asyncpg.

bench/sequence.py serves it like the generated service (one uvicorn worker). It has what the floor has
(no API key, no spec check of the body) plus the domain module's statements (bench/sequence_sql.py) on
one asyncpg connection per request from a fixed pool (the generated service's driver for async domain functions),
and no SQLAlchemy: between its row and the generated service's lies what SQLAlchemy's statement forms and
typed rows, the Transaction, the API-key check and the spec's body check cost.
"""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel
from sequence_sql import FIND, GIVE_BACK, KEEP, TABLES, TAKE, numbered

POOL_SIZE = 15  # the generated service's DATABASE_POOL_SIZE


class SequenceRequest(BaseModel):
    elementType: str
    elementId: int
    comment: str


def create_app() -> FastAPI:
    """One endpoint running the domain module's SQL for POST /sequence."""
    dsn = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    pool: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()
    find, take, keep, give_back = (numbered(sql) for sql in (FIND, TAKE, KEEP, GIVE_BACK))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        setup = await asyncpg.connect(dsn)
        for statement in TABLES:
            await setup.execute(statement)
        await setup.close()
        for _ in range(POOL_SIZE):
            # The lookup runs on its own and creating takes an explicit transaction, as in the service.
            pool.put_nowait(await asyncpg.connect(dsn))
        yield
        while not pool.empty():
            await pool.get_nowait().close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.post("/v2/sequence", status_code=201)
    async def generate_sequence_number(body: SequenceRequest) -> dict:
        db = await pool.get()
        try:
            key = (body.elementType, body.elementId)
            found = await db.fetchrow(find, *key)
            if found is None:
                async with db.transaction():
                    number = (await db.fetchrow(take, body.elementType))[0]
                    found = await db.fetchrow(find, *key)
                    if found is None:
                        await db.execute(keep, *key, number, body.comment)
                        found = (number,)
                    else:
                        await db.execute(give_back, body.elementType)
        finally:
            pool.put_nowait(db)
        return {"sequenceNumber": found[0], "comment": body.comment}

    return app
