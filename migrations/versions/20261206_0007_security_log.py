"""The security log (sign-ins, failures, lock-outs, permission refusals) and forced password changes.

Revision ID: 20261206_0007
Revises: 20261206_0006
Create Date: 2026-12-06 21:43:26.705789

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "20261206_0007"
down_revision = "20261206_0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "kind IN ('signin', 'signin_failed', 'lockout', 'signin_throttled', 'forbidden', 'session_expired', 'signout', 'password_changed')",
            name=op.f("ck_security_events_kind_valid"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_security_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.create_index("ix_security_events_address_at", ["address", "at"], unique=False)
        batch_op.create_index("ix_security_events_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_security_events_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_security_events_username_at", ["username", "at"], unique=False)

    # Not batch mode, here and below: SQLite adds and drops a plain column in place, where a batch copy would
    # drop and recreate "users", which the rows of every table that refers to users forbid.
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_table("security_events")
    op.drop_column("users", "must_change_password")
