"""Dispositions, case closing, and the record of ledger verifications.

"An item in at most one open disposition" is a partial unique index on disposition_items (item_id) WHERE active.
ledger_checks keeps each full verification's result: the latest is what the "verification failed" alert reads.

Revision ID: 20261206_0005
Revises: 20261206_0004
Create Date: 2026-12-06

"""

import sqlalchemy as sa
from alembic import op

revision = "20261206_0005"
down_revision = "20261206_0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ledger_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("checked", sa.BigInteger(), nullable=False),
        sa.Column("first_bad_seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checks")),
    )
    with op.batch_alter_table("ledger_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_checks_at"), ["at"], unique=False)

    op.create_table(
        "dispositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("basis_doc_no", sa.String(length=100), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_by_id", sa.Integer(), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("execution_seq", sa.Integer(), nullable=True),
        sa.Column("execution_hash", sa.String(length=64), nullable=True),
        sa.Column("record_sha256", sa.String(length=64), nullable=True),
        sa.Column("record_seq", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('return_to_owner', 'confiscate', 'auction', 'destroy', 'transfer_out', 'early_sale')",
            name=op.f("ck_dispositions_kind_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'executed', 'cancelled')", name=op.f("ck_dispositions_status_valid")
        ),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_dispositions_agency_id_agencies")),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"], name=op.f("fk_dispositions_approved_by_id_users")),
        sa.ForeignKeyConstraint(["cancelled_by_id"], ["users.id"], name=op.f("fk_dispositions_cancelled_by_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_dispositions_case_id_cases")),
        sa.ForeignKeyConstraint(["executed_by_id"], ["users.id"], name=op.f("fk_dispositions_executed_by_id_users")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_dispositions_requested_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispositions")),
        sa.UniqueConstraint("number", name=op.f("uq_dispositions_number")),
    )
    with op.batch_alter_table("dispositions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispositions_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispositions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dispositions_status"), ["status"], unique=False)

    op.create_table(
        "disposition_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disposition_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("location", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["disposition_id"], ["dispositions.id"], name=op.f("fk_disposition_items_disposition_id_dispositions")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_disposition_items_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition_items")),
    )
    with op.batch_alter_table("disposition_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disposition_items_disposition_id"), ["disposition_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disposition_items_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            "uq_disposition_items_active_item",
            ["item_id"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("closed_note", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_closed_at"), ["closed_at"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_cases_closed_by_id_users"), "users", ["closed_by_id"], ["id"])

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True))
    # The alert rules' indexes (bench/alerts_scale.py, 1,000,000 items): each rule reads only its own rows.
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_items_late_intake",
            ["intake_at"],
            unique=False,
            postgresql_where=sa.text("late_intake AND status <> 'disposed'"),
            sqlite_where=sa.text("late_intake = 1 AND status != 'disposed'"),
            postgresql_include=["case_id", "code", "seized_at"],
        )
        batch_op.create_index(
            "ix_items_awaiting_intake",
            ["seized_at"],
            unique=False,
            postgresql_where=sa.text("status = 'registered'"),
            sqlite_where=sa.text("status = 'registered'"),
        )
        batch_op.create_index("ix_items_case_id_status", ["case_id", "status"], unique=False)
    with op.batch_alter_table("stocktake_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stocktake_items_missing",
            ["stocktake_id", "item_id"],
            unique=False,
            postgresql_where=sa.text("NOT found"),
            sqlite_where=sa.text("found = 0"),
        )
    with op.batch_alter_table("checkouts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkouts_out_due_at",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('released', 'partially_returned')"),
            sqlite_where=sa.text("status IN ('released', 'partially_returned')"),
        )

    # The auditors' ledger browser: one (column, seq) index per filter (bench/ledger_browse.py).
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        for column in ("agency", "kind", "actor", "at"):
            batch_op.create_index(f"ix_ledger_entries_{column}_seq", [column, "seq"], unique=False)


def downgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        for column in ("agency", "kind", "actor", "at"):
            batch_op.drop_index(f"ix_ledger_entries_{column}_seq")
    with op.batch_alter_table("checkouts", schema=None) as batch_op:
        batch_op.drop_index("ix_checkouts_out_due_at")
    with op.batch_alter_table("stocktake_items", schema=None) as batch_op:
        batch_op.drop_index("ix_stocktake_items_missing")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_case_id_status")
        batch_op.drop_index("ix_items_awaiting_intake")
        batch_op.drop_index("ix_items_late_intake")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("disposed_at")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_closed_by_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_closed_at"))
        batch_op.drop_column("closed_note")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("closed_by_id")
        batch_op.drop_column("closed_at")

    with op.batch_alter_table("disposition_items", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_disposition_items_active_item", sqlite_where=sa.text("active"), postgresql_where=sa.text("active")
        )
        batch_op.drop_index(batch_op.f("ix_disposition_items_item_id"))
        batch_op.drop_index(batch_op.f("ix_disposition_items_disposition_id"))

    op.drop_table("disposition_items")
    with op.batch_alter_table("dispositions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispositions_status"))
        batch_op.drop_index(batch_op.f("ix_dispositions_case_id"))
        batch_op.drop_index(batch_op.f("ix_dispositions_agency_id"))

    op.drop_table("dispositions")
    with op.batch_alter_table("ledger_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_checks_at"))

    op.drop_table("ledger_checks")
