"""The initial Alembic migration, rendered by Alembic's autogenerate from the service's tables."""

from __future__ import annotations

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, Table, create_engine


def resource_metadata(tables: tuple[str, ...]) -> MetaData:
    """The same tables the generated tables.py declares."""
    metadata = MetaData()
    id_type = BigInteger().with_variant(Integer(), "sqlite")
    for name in tables:
        Table(
            name,
            metadata,
            Column("id", id_type, primary_key=True, autoincrement=True),
            Column("doc", JSON, nullable=False),
        )
    return metadata


def migration_bodies(tables: tuple[str, ...]) -> tuple[str, str]:
    """(upgrade, downgrade) Python code creating and dropping the tables."""
    if not tables:
        return "pass", "pass"
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        script = produce_migrations(MigrationContext.configure(connection), resource_metadata(tables))
    options = {"alembic_module_prefix": "op.", "sqlalchemy_module_prefix": "sa."}
    upgrade = render_python_code(script.upgrade_ops, **options)
    downgrade = render_python_code(script.downgrade_ops, **options)
    return _strip_banner(upgrade), _strip_banner(downgrade)


def _strip_banner(code: str) -> str:
    lines = [line for line in code.strip().splitlines() if not line.strip().startswith("# ###")]
    return "\n".join(line[4:] if line.startswith("    ") else line for line in lines).strip()
