"""The baseline of bench/data_layer.py: a minimal hand-written FastAPI + SQLAlchemy app doing create and get."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import JSON, BigInteger, Boolean, Column, Double, Integer, MetaData, Table, Text, create_engine, insert
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql

metadata = MetaData()
books = Table(
    "books",
    metadata,
    Column("bookId", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("title", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("pages", BigInteger),
    Column("rating", Double),
    Column("available", Boolean),
    Column("tags", JSON().with_variant(postgresql.JSONB(), "postgresql")),
)


class BookIn(BaseModel):
    title: str
    author: str
    pages: int | None = None
    rating: float | None = None
    available: bool | None = None
    tags: list[str] | None = None


class Book(BookIn):
    bookId: int


def create_app() -> FastAPI:
    engine = create_engine(os.environ["DATABASE_URL"])
    metadata.create_all(engine)
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/books", status_code=201, response_model=Book, response_model_exclude_none=True)
    def create(body: BookIn) -> Any:
        with engine.begin() as connection:
            row = connection.execute(insert(books).values(**body.model_dump(exclude_unset=True)).returning(books)).one()
        return row._mapping

    @app.get("/v1/books/{book_id}", response_model=Book, response_model_exclude_none=True)
    def get(book_id: int) -> Any:
        with engine.connect() as connection:
            row = connection.execute(sa_select(books).where(books.c.bookId == book_id)).first()
        if row is None:
            raise HTTPException(404)
        return row._mapping

    return app
