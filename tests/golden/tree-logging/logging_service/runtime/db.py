# Vendored from the FountainAI deploy project (generator/runtime/db.py), runtime c0e95f6301c8.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Database engine, per-request sessions, and Alembic migrations run at start-up."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Request
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

_log = logging.getLogger(__name__)


class Database:
    """One engine and session factory for the service's DATABASE_URL."""

    def __init__(self, url: str):
        self.url = url
        # SQLite has one writer at a time: a writer waits up to 30 s for the lock rather than failing at once.
        args = {"check_same_thread": False, "timeout": 30} if url.startswith("sqlite") else {}
        self.engine = create_engine(url, connect_args=args, pool_pre_ping=True)
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            event.listen(self.engine, "connect", _write_ahead_log)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self, migrations: Path) -> None:
        """Bring the schema to the newest Alembic revision; leave a schema a newer release migrated as it is."""
        config = Config()
        config.set_main_option("script_location", str(migrations))
        with self.engine.begin() as connection:
            stamped = MigrationContext.configure(connection).get_current_heads()
            known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
            if not set(stamped) <= known:
                # A rollback switches code back, not data: revisions only add (unless --allow-destructive),
                # so this older code runs on the newer schema as it is.
                _log.warning("database at revision %s, newer than this release's; not migrating", stamped)
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _write_ahead_log(connection: Any, record: Any) -> None:
    """WAL: readers go on while one request writes, so only writers queue for SQLite's lock."""
    connection.execute("PRAGMA journal_mode=WAL")


def commits(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Commit the request's transaction in the endpoint's own worker thread, as soon as it returns.

    Committing in the dependency's teardown comes after FastAPI validates the response in another worker
    thread; when every worker waits on a row or SQLite lock this request holds, that never comes (a
    deadlock broken only by SQLite's busy timeout). Committing here releases the lock first.
    """

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        kwargs["ctx"].session.commit()
        return result

    return run


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed on success, rolled back on any error."""
    with request.app.state.db.sessions() as session, session.begin():
        yield session
