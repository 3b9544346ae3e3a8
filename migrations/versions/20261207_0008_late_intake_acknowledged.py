"""An auditor may acknowledge a late intake: the item stays marked late, its alert ends.

The late-intake alert's partial index takes acknowledged items out, so the rule still reads only its own rows.

Revision ID: 20261207_0008
Revises: 20261206_0007
Create Date: 2026-12-06 23:57:30.935526

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "20261207_0008"
down_revision = "20261206_0007"
branch_labels = None
depends_on = None

OPEN_PG = "late_intake AND status <> 'disposed'"
OPEN_SQLITE = "late_intake = 1 AND status != 'disposed'"
NOT_ACKNOWLEDGED = " AND late_intake_acknowledged_at IS NULL"


def _late_intake_index(pg_where: str, sqlite_where: str) -> None:
    op.create_index(
        "ix_items_late_intake",
        "items",
        ["intake_at"],
        unique=False,
        postgresql_where=sa.text(pg_where),
        sqlite_where=sa.text(sqlite_where),
        postgresql_include=["case_id", "code", "seized_at"],
    )


def upgrade():
    # Plain ALTER TABLE, not batch: a batch would copy the whole items table on SQLite.
    op.add_column("items", sa.Column("late_intake_acknowledged_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_items_late_intake", table_name="items")
    _late_intake_index(OPEN_PG + NOT_ACKNOWLEDGED, OPEN_SQLITE + NOT_ACKNOWLEDGED)


def downgrade():
    op.drop_index("ix_items_late_intake", table_name="items")
    op.drop_column("items", "late_intake_acknowledged_at")
    _late_intake_index(OPEN_PG, OPEN_SQLITE)
