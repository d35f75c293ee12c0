"""Logging Service: check ck_logs_level.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.create_check_constraint("ck_logs_level", "\"level\" IN ('debug', 'error', 'info', 'warning')")


def downgrade() -> None:
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.drop_constraint("ck_logs_level", type_="check")
