"""Handovers: a case's custody passes to the next agency while its items stay on the shelf.

"One open handover per case" and "an item in at most one open handover" are partial unique indexes
(WHERE open / WHERE active), so two handlers asking at the same moment cannot both succeed.

Revision ID: 20261206_0004
Revises: 20261123_0003
Create Date: 2026-12-06

"""

import sqlalchemy as sa
from alembic import op

revision = "20261206_0004"
down_revision = "20261123_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_agency_id", sa.Integer(), nullable=False),
        sa.Column("to_agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decision_seq", sa.Integer(), nullable=True),
        sa.Column("decision_hash", sa.String(length=64), nullable=True),
        sa.Column("receipt_sha256", sa.String(length=64), nullable=True),
        sa.Column("receipt_seq", sa.Integer(), nullable=True),
        sa.Column("checkout_number", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "kind IN ('prosecution_review', 'supplementary_investigation', 'indictment', 'appeal', 'transfer')",
            name=op.f("ck_handovers_kind_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'checked', 'accepted', 'partially_accepted', 'rejected', 'cancelled')",
            name=op.f("ck_handovers_status_valid"),
        ),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"], name=op.f("fk_handovers_approved_by_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_handovers_case_id_cases")),
        sa.ForeignKeyConstraint(["checked_by_id"], ["users.id"], name=op.f("fk_handovers_checked_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_handovers_decided_by_id_users")),
        sa.ForeignKeyConstraint(["from_agency_id"], ["agencies.id"], name=op.f("fk_handovers_from_agency_id_agencies")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_handovers_requested_by_id_users")),
        sa.ForeignKeyConstraint(["to_agency_id"], ["agencies.id"], name=op.f("fk_handovers_to_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
        sa.UniqueConstraint("number", name=op.f("uq_handovers_number")),
    )
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handovers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handovers_from_agency_id"), ["from_agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handovers_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_handovers_to_agency_id"), ["to_agency_id"], unique=False)
        batch_op.create_index(
            "uq_handovers_open_case",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("open"),
            postgresql_where=sa.text("open"),
        )

    op.create_table(
        "handover_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("moves", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=True),
        sa.Column("location", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'accepted', 'rejected')", name=op.f("ck_handover_items_state_valid")),
        sa.ForeignKeyConstraint(
            ["handover_id"], ["handovers.id"], name=op.f("fk_handover_items_handover_id_handovers")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_handover_items_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_items")),
    )
    with op.batch_alter_table("handover_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handover_items_handover_id"), ["handover_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handover_items_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            "uq_handover_items_active_item",
            ["item_id"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )


def downgrade():
    with op.batch_alter_table("handover_items", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_handover_items_active_item", sqlite_where=sa.text("active"), postgresql_where=sa.text("active")
        )
        batch_op.drop_index(batch_op.f("ix_handover_items_item_id"))
        batch_op.drop_index(batch_op.f("ix_handover_items_handover_id"))

    op.drop_table("handover_items")
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.drop_index("uq_handovers_open_case", sqlite_where=sa.text("open"), postgresql_where=sa.text("open"))
        batch_op.drop_index(batch_op.f("ix_handovers_to_agency_id"))
        batch_op.drop_index(batch_op.f("ix_handovers_status"))
        batch_op.drop_index(batch_op.f("ix_handovers_from_agency_id"))
        batch_op.drop_index(batch_op.f("ix_handovers_case_id"))

    op.drop_table("handovers")
