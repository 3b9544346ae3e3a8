"""Bearer tokens: which tokens still open the API, and that checking one stays a single query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, update

from custody import clock
from custody.extensions import db
from custody.models import ApiToken, User
from custody.services.auth import issue_token, user_for_token


@contextmanager
def selects() -> Iterator[list[str]]:
    """The SELECT statements sent while the block runs (BEGIN and pool pings are not counted)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _change(table: Any, where: Any, **values: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(table).where(where).values(**values))
    db.session.remove()


def test_a_live_token_gives_its_user_with_agency_and_roles_in_one_query(make: Any) -> None:
    user = make.user("handler", "approver")
    token, _row = issue_token(user)
    db.session.remove()  # nothing cached in the session: as at the start of a request
    with selects() as seen:
        found = user_for_token(token)
        assert found is not None
        assert (found.id, found.agency.code, found.roles) == (user.id, user.agency.code, {"handler", "approver"})
    assert len(seen) == 1, seen


def test_unknown_revoked_and_expired_tokens_give_nobody(make: Any, client: Any) -> None:
    user = make.user("handler")
    token, row = issue_token(user)
    assert user_for_token("cst_" + "x" * 43) is None
    assert user_for_token(token) is not None

    expires = row.expires_at
    clock.set_clock(lambda: expires)  # expired at that very instant
    assert user_for_token(token) is None
    clock.set_clock(lambda: expires - timedelta(seconds=1))
    assert user_for_token(token) is not None
    clock.set_clock(None)

    _change(ApiToken.__table__, ApiToken.__table__.c.id == row.id, revoked_at=clock.now())
    assert user_for_token(token) is None
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_deactivated_users_tokens_give_nobody(make: Any, client: Any) -> None:
    user = make.user("keeper", kind="centre")
    token, _row = issue_token(user)
    other, _ = issue_token(make.user("handler"))
    _change(User.__table__, User.__table__.c.id == user.id, active=False)
    assert user_for_token(token) is None
    assert user_for_token(other) is not None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
