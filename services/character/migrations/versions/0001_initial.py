"""Character Service: create table characters.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "characters",
        sa.Column(
            "characterId", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("isSyncedToTypesense", sa.Boolean(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sequenceNumber", sa.BigInteger().with_variant(sa.NUMERIC(), "postgresql"), nullable=True),
        sa.PrimaryKeyConstraint("characterId"),
    )


def downgrade() -> None:
    op.drop_table("characters")
