# Vendored from the FountainAI deploy project (generator/runtime/db.py), runtime 79e006d54099.
# Do not edit it here: `fountain generate` overwrites it. Change it in the project and regenerate.
"""Database engine, per-request sessions, and Alembic migrations run at start-up."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
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

    def __init__(self, url: str, pool_size: int = 15):
        self.url = url
        if url.startswith("sqlite"):
            # SQLite has one writer at a time: a writer waits up to 30 s for the lock rather than failing at once.
            options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        else:
            options = {"pool_size": pool_size, "max_overflow": 0}
        self.engine = create_engine(url, pool_pre_ping=True, **options)
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
    deadlock broken only by SQLite's busy timeout). Committing (or rolling back) here releases the lock first.
    """

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        session = kwargs["ctx"].session
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            # The same for an error: its locks go now, not after a worker thread frees up for the teardown.
            session.rollback()
            raise
        session.commit()
        return result

    return run


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: the route commits it (`commits`), any error rolls it back.

    A dependency that is a plain function costs a worker-thread round trip each way (bench/sequence.py
    measured the hops among the largest costs of a request). Opening a session touches no connection, so it
    runs on the event loop, and so does closing one that `commits` has ended. One still in a transaction
    rolls back over the network: in a thread of its own limiter, as FastAPI runs a dependency's exit, since
    the shared worker threads may all be waiting on a lock this transaction holds.
    """
    session = request.app.state.db.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))
        else:
            session.close()
