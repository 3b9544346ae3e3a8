"""Index case_holders by agency: every scoped read asks which cases an agency ever held.

Without it each item or case read scanned the whole table (found by bench/item_history.py).

Revision ID: 20261123_0002
Revises: 20261123_0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "20261123_0002"
down_revision = "20261123_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_case_holders_agency_id_case_id", "case_holders", ["agency_id", "case_id"])


def downgrade():
    op.drop_index("ix_case_holders_agency_id_case_id", table_name="case_holders")
