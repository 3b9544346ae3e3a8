"""Warehouse floor: check-outs, stocktakes, photos, and when each item was first taken in.

"One open check-out per item" is a partial unique index on checkout_items (item_id) WHERE active,
so two handlers asking for the same item at once cannot both succeed.

Revision ID: 20261123_0003
Revises: 20261123_0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op


revision = "20261123_0003"
down_revision = "20261123_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stocktakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("found", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_seq", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_stocktakes_status_valid")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_stocktakes_closed_by_id_users")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_stocktakes_location_id_locations")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"], name=op.f("fk_stocktakes_opened_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktakes")),
        sa.UniqueConstraint("number", name=op.f("uq_stocktakes_number")),
    )
    with op.batch_alter_table("stocktakes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktakes_location_id"), ["location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stocktakes_status"), ["status"], unique=False)

    op.create_table(
        "checkouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("taken_by_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('appraisal', 'identification', 'court_exhibit', 'other', 'moves_with_case')",
            name=op.f("ck_checkouts_purpose_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'released', 'partially_returned', 'returned', 'cancelled')",
            name=op.f("ck_checkouts_status_valid"),
        ),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_checkouts_agency_id_agencies")),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"], name=op.f("fk_checkouts_approved_by_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_checkouts_case_id_cases")),
        sa.ForeignKeyConstraint(["released_by_id"], ["users.id"], name=op.f("fk_checkouts_released_by_id_users")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_checkouts_requested_by_id_users")),
        sa.ForeignKeyConstraint(["taken_by_id"], ["users.id"], name=op.f("fk_checkouts_taken_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkouts")),
        sa.UniqueConstraint("number", name=op.f("uq_checkouts_number")),
    )
    with op.batch_alter_table("checkouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkouts_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkouts_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkouts_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkouts_status"), ["status"], unique=False)

    op.create_table(
        "checkout_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("seal_intact", sa.Boolean(), nullable=True),
        sa.Column("return_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkout_id"], ["checkouts.id"], name=op.f("fk_checkout_items_checkout_id_checkouts")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_checkout_items_item_id_items")),
        sa.ForeignKeyConstraint(["returned_by_id"], ["users.id"], name=op.f("fk_checkout_items_returned_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_items")),
    )
    with op.batch_alter_table("checkout_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkout_items_checkout_id"), ["checkout_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkout_items_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            "uq_checkout_items_active_item",
            ["item_id"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_photos_item_id_items")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_photos_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("item_id", "sha256", name=op.f("uq_photos_item_id")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_item_id"), ["item_id"], unique=False)

    op.create_table(
        "stocktake_items",
        sa.Column("stocktake_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_stocktake_items_item_id_items")),
        sa.ForeignKeyConstraint(
            ["stocktake_id"], ["stocktakes.id"], name=op.f("fk_stocktake_items_stocktake_id_stocktakes")
        ),
        sa.PrimaryKeyConstraint("stocktake_id", "item_id", name=op.f("pk_stocktake_items")),
    )
    with op.batch_alter_table("stocktake_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktake_items_item_id"), ["item_id"], unique=False)

    op.create_table(
        "stocktake_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stocktake_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=12), nullable=False),
        sa.Column("scanned_by_id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "result IN ('expected', 'unexpected', 'duplicate')", name=op.f("ck_stocktake_scans_result_valid")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_stocktake_scans_item_id_items")),
        sa.ForeignKeyConstraint(["scanned_by_id"], ["users.id"], name=op.f("fk_stocktake_scans_scanned_by_id_users")),
        sa.ForeignKeyConstraint(
            ["stocktake_id"], ["stocktakes.id"], name=op.f("fk_stocktake_scans_stocktake_id_stocktakes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_scans")),
        sa.UniqueConstraint("stocktake_id", "item_id", name=op.f("uq_stocktake_scans_stocktake_id")),
    )
    with op.batch_alter_table("stocktake_scans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktake_scans_stocktake_id"), ["stocktake_id"], unique=False)

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intake_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("intake_at")

    with op.batch_alter_table("stocktake_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_scans_stocktake_id"))

    op.drop_table("stocktake_scans")
    with op.batch_alter_table("stocktake_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_items_item_id"))

    op.drop_table("stocktake_items")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_item_id"))

    op.drop_table("photos")
    with op.batch_alter_table("checkout_items", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_checkout_items_active_item", sqlite_where=sa.text("active"), postgresql_where=sa.text("active")
        )
        batch_op.drop_index(batch_op.f("ix_checkout_items_item_id"))
        batch_op.drop_index(batch_op.f("ix_checkout_items_checkout_id"))

    op.drop_table("checkout_items")
    with op.batch_alter_table("checkouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkouts_status"))
        batch_op.drop_index(batch_op.f("ix_checkouts_due_at"))
        batch_op.drop_index(batch_op.f("ix_checkouts_case_id"))
        batch_op.drop_index(batch_op.f("ix_checkouts_agency_id"))

    op.drop_table("checkouts")
    with op.batch_alter_table("stocktakes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktakes_status"))
        batch_op.drop_index(batch_op.f("ix_stocktakes_location_id"))

    op.drop_table("stocktakes")
