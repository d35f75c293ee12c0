"""Logging Service: add logs.authenticated_entity; add logs.client_ip; add logs.consumer; add logs.latencies; add logs.method; add logs.response; add logs.route; add logs.source; add logs.started_at; add logs.status; add logs.tries; add logs.upstream_uri; add logs.workspace; index ix_logs_method; index ix_logs_status.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "authenticated_entity",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("client_ip", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "consumer", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "latencies",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("method", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "response", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "route", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("started_at", sa.BigInteger().with_variant(sa.NUMERIC(), "postgresql"), nullable=True)
        )
        batch_op.add_column(
            sa.Column("status", sa.BigInteger().with_variant(sa.NUMERIC(), "postgresql"), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "tries", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("upstream_uri", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("workspace", sa.Text(), nullable=True))
        batch_op.create_index("ix_logs_method", ["method", "logId"], unique=False)
        batch_op.create_index("ix_logs_status", ["status", "logId"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.drop_index("ix_logs_status")
        batch_op.drop_index("ix_logs_method")
        batch_op.drop_column("workspace")
        batch_op.drop_column("upstream_uri")
        batch_op.drop_column("tries")
        batch_op.drop_column("status")
        batch_op.drop_column("started_at")
        batch_op.drop_column("source")
        batch_op.drop_column("route")
        batch_op.drop_column("response")
        batch_op.drop_column("method")
        batch_op.drop_column("latencies")
        batch_op.drop_column("consumer")
        batch_op.drop_column("client_ip")
        batch_op.drop_column("authenticated_entity")
