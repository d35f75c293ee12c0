"""What a revision says of its ops: the data losses that refuse it, and its summary (whose first line names the file)."""

import sqlalchemy as sa
from alembic.operations import ops

from generator.migrations import _LOSSES, _SUMMARY, _lines


def _upgrade() -> ops.UpgradeOps:
    changes = [
        ops.AddColumnOp("t", sa.Column("req", sa.Integer, nullable=False)),
        ops.AddColumnOp("t", sa.Column("opt", sa.Integer, nullable=True)),
        ops.AddColumnOp("t", sa.Column("dflt", sa.Integer, nullable=False, server_default="1")),
        ops.DropColumnOp("t", "gone"),
        ops.AlterColumnOp("t", "c1", modify_type=sa.Text(), modify_nullable=False),
        ops.AlterColumnOp("t", "c2", modify_nullable=True),
        ops.CreateIndexOp("ix_t_a", "t", ["a"]),
        ops.DropIndexOp("ix_old", "t"),
        ops.CreateCheckConstraintOp("ck_t_a", "t", "a > 0"),
        ops.DropConstraintOp("ck_t_b", "t", "check"),
    ]
    tables = [ops.CreateTableOp("t", [sa.Column("a", sa.Integer)]), ops.DropTableOp("old")]
    return ops.UpgradeOps(ops=[*tables, ops.ModifyTableOps("t", ops=changes)])


def test_losses_name_every_dropped_or_narrowed_field_in_order():
    assert _lines(_upgrade(), _LOSSES) == [
        "table 'old' is dropped (its resource left the spec)",
        "field t.req is added as required with no default",
        "field t.gone is dropped (it left the spec)",
        "field t.c1 changes type to Text()",
        "field t.c1 becomes required",
    ]


def test_summary_has_one_line_per_op_in_order():
    assert _lines(_upgrade(), _SUMMARY) == [
        "create table t",
        "drop table old",
        "add t.req",
        "add t.opt",
        "add t.dflt",
        "drop t.gone",
        "alter t.c1",
        "alter t.c2",
        "index ix_t_a",
        "drop index ix_old",
        "check ck_t_a",
        "drop check ck_t_b",
    ]


def test_an_upgrade_that_only_adds_loses_nothing():
    upgrade = ops.UpgradeOps(ops=[ops.ModifyTableOps("t", ops=[ops.AddColumnOp("t", sa.Column("x", sa.Text))])])
    assert _lines(upgrade, _LOSSES) == []
