# Vendored from the FountainAI deploy project (generator/runtime/db.py), runtime 5df15492f324.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Database engine, per-request sessions, and Alembic migrations run at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from fastapi import Request
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """One engine and session factory for the service's DATABASE_URL."""

    def __init__(self, url: str):
        self.url = url
        args = {"check_same_thread": False} if url.startswith("sqlite") else {}
        self.engine = create_engine(url, connect_args=args, pool_pre_ping=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self, migrations: Path) -> None:
        """Bring the schema to the newest Alembic revision."""
        config = Config()
        config.set_main_option("script_location", str(migrations))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed on success, rolled back on any error."""
    with request.app.state.db.sessions() as session, session.begin():
        yield session
