"""SQLAlchemy tables of the Logging Service: one per resource, the resource kept as JSON."""

from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, Table

metadata = MetaData()
# BIGINT on PostgreSQL; SQLite only autoincrements a column declared INTEGER.
ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")

logs = Table(
    "logs",
    metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column("doc", JSON, nullable=False),
)

search = Table(
    "search",
    metadata,
    Column("id", ID_TYPE, primary_key=True, autoincrement=True),
    Column("doc", JSON, nullable=False),
)
