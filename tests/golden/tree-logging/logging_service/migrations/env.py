"""Alembic environment of the Logging Service."""

from alembic import context
from sqlalchemy import create_engine

from logging_service.config import Settings
from logging_service.tables import metadata

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=Settings().database_url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # The app passes its own connection; the alembic command line builds one from DATABASE_URL.
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with create_engine(Settings().database_url).begin() as connection:
        _run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
