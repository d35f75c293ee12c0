"""Central Sequence Service: the domain module's tables (hand-written; autogenerate leaves domain_* alone).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # One row per element type: the last number handed out. Its row lock is what serialises allocation.
    op.create_table(
        "domain_sequence_counters",
        sa.Column("element_type", sa.Text(), primary_key=True),
        sa.Column("last_number", _ID, nullable=False),
    )
    op.create_table(
        "domain_sequences",
        sa.Column("element_type", sa.Text(), primary_key=True),
        sa.Column("element_id", _ID, primary_key=True, autoincrement=False),
        sa.Column("sequence_number", _ID, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.UniqueConstraint("element_type", "sequence_number", name="uq_domain_sequences_number"),
    )
    op.create_table(
        "domain_version_heads",
        sa.Column("element_type", sa.Text(), primary_key=True),
        sa.Column("element_id", _ID, primary_key=True, autoincrement=False),
        sa.Column("last_version", _ID, nullable=False),
    )
    op.create_table(
        "domain_versions",
        sa.Column("element_type", sa.Text(), primary_key=True),
        sa.Column("element_id", _ID, primary_key=True, autoincrement=False),
        sa.Column("version_number", _ID, primary_key=True, autoincrement=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in ("domain_versions", "domain_version_heads", "domain_sequences", "domain_sequence_counters"):
        op.drop_table(table)
