"""Core Script Management Service: create table scripts; index ix_scripts_author; index ix_scripts_author_title; index ix_scripts_title; index ix_scripts_title_author.

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


def upgrade() -> None:
    op.create_table(
        "scripts",
        sa.Column("scriptId", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "sections", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("scriptId"),
    )
    with op.batch_alter_table("scripts", schema=None) as batch_op:
        batch_op.create_index("ix_scripts_author", ["author", "scriptId"], unique=False)
        batch_op.create_index("ix_scripts_author_title", ["author", "title", "scriptId"], unique=False)
        batch_op.create_index("ix_scripts_title", ["title", "scriptId"], unique=False)
        batch_op.create_index("ix_scripts_title_author", ["title", "author", "scriptId"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scripts", schema=None) as batch_op:
        batch_op.drop_index("ix_scripts_title_author")
        batch_op.drop_index("ix_scripts_title")
        batch_op.drop_index("ix_scripts_author_title")
        batch_op.drop_index("ix_scripts_author")

    op.drop_table("scripts")
