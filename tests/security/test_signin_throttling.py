"""Sign-in throttling per account and per address, counted from the security log, decided by the database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from custody import clock
from custody.errors import TooManyAttempts, Unauthorized
from custody.extensions import db
from custody.models import SecurityEvent, SecurityKind
from custody.services import signin


def _attempt(app, username, password, address="192.0.2.1"):
    with app.test_request_context("/login", method="POST", environ_base={"REMOTE_ADDR": address}):
        return signin.sign_in(username, password)


def _kinds(username=None):
    stmt = select(SecurityEvent.kind).order_by(SecurityEvent.id)
    if username:
        stmt = stmt.where(SecurityEvent.username == username)
    db.session.rollback()
    return list(db.session.scalars(stmt))


@pytest.fixture
def frozen():
    """A clock the test moves by hand."""
    now = [datetime(2026, 12, 6, 8, 0, tzinfo=UTC)]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


def test_success_and_failure_are_recorded_with_the_address(app, make):
    user = make.user("handler", username="zhao")
    assert _attempt(app, "zhao", make.PASSWORD).id == user.id
    with pytest.raises(Unauthorized):
        _attempt(app, "zhao", "wrong password")
    with pytest.raises(Unauthorized):
        _attempt(app, "nobody", "wrong password")
    db.session.rollback()
    events = list(db.session.scalars(select(SecurityEvent).order_by(SecurityEvent.id)))
    assert [(e.kind, e.username, e.address) for e in events] == [
        ("signin", "zhao", "192.0.2.1"),
        ("signin_failed", "zhao", "192.0.2.1"),
        ("signin_failed", "nobody", "192.0.2.1"),
    ]
    assert events[1].user_id == user.id and events[2].user_id is None and events[2].detail == "unknown user"


def test_delays_grow_after_the_free_failures_and_a_right_password_waits_too(app, make, frozen):
    make.user("handler", username="qian")
    for _ in range(app.config["CUSTODY_SIGNIN_FREE"] - 1):
        with pytest.raises(Unauthorized):
            _attempt(app, "qian", "wrong password")
    assert SecurityKind.LOCKOUT not in _kinds("qian")
    with pytest.raises(Unauthorized):  # the fifth failure starts the first delay
        _attempt(app, "qian", "wrong password")
    assert _kinds("qian")[-1] == SecurityKind.LOCKOUT
    with pytest.raises(TooManyAttempts) as refused:
        _attempt(app, "qian", make.PASSWORD)  # right, but refused unchecked
    assert refused.value.retry_after == 2 and refused.value.status == 429
    waits = []
    for _ in range(4):
        frozen[0] += timedelta(seconds=waits[-1] if waits else 2)
        with pytest.raises(Unauthorized):
            _attempt(app, "qian", "wrong password")
        with pytest.raises(TooManyAttempts) as again:
            _attempt(app, "qian", "wrong password")
        waits.append(again.value.retry_after)
    assert waits == [4, 8, 16, 32]
    failures = _kinds("qian").count(SecurityKind.SIGNIN_FAILED)
    assert failures == 9  # refused attempts were not counted as failures: they do not lengthen the delay
    frozen[0] += timedelta(seconds=32)
    assert _attempt(app, "qian", make.PASSWORD).username == "qian"
    with pytest.raises(Unauthorized):  # a success starts the count again
        _attempt(app, "qian", "wrong password")


def test_the_delay_stops_growing_at_the_maximum(app, make, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTODY_SIGNIN_MAX_DELAY", 60)
    for _ in range(12):
        with pytest.raises((Unauthorized, TooManyAttempts)):
            _attempt(app, "ghost", "guess")
        frozen[0] += timedelta(seconds=61)
    frozen[0] -= timedelta(seconds=61)
    with pytest.raises(TooManyAttempts) as refused:
        _attempt(app, "ghost", "guess")
    assert refused.value.retry_after == 60


def test_one_address_guessing_many_accounts_is_slowed_down(app, make, frozen):
    free = app.config["CUSTODY_SIGNIN_ADDRESS_FREE"]
    make.user("handler", username="sun")
    for i in range(free):
        with pytest.raises(Unauthorized):
            _attempt(app, f"user{i}", "guess", address="198.51.100.7")
    with pytest.raises(TooManyAttempts):
        _attempt(app, "sun", make.PASSWORD, address="198.51.100.7")
    assert _attempt(app, "sun", make.PASSWORD, address="198.51.100.8").username == "sun"  # others are not held up
    frozen[0] += timedelta(hours=1, seconds=1)  # the address's count covers the last hour
    assert _attempt(app, "sun", make.PASSWORD, address="198.51.100.7").username == "sun"


def test_parallel_guesses_cannot_outrun_the_count(app, make, database_url):
    """Twelve guesses at once: exactly FREE are checked and counted, the rest refused by the database's order."""
    make.user("handler", username="li.parallel")
    free = app.config["CUSTODY_SIGNIN_FREE"]
    barrier = threading.Barrier(12)
    outcomes: list[str] = []

    def guess() -> None:
        with app.app_context():
            barrier.wait()
            try:
                _attempt(app, "li.parallel", "wrong password")
            except TooManyAttempts:
                outcomes.append("throttled")
            except Unauthorized:
                outcomes.append("failed")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.rollback()
    seen = [(e.kind[:12], e.detail) for e in db.session.scalars(select(SecurityEvent).order_by(SecurityEvent.id))]
    assert sorted(outcomes) == ["failed"] * free + ["throttled"] * (12 - free), (outcomes, seen)
    db.session.rollback()
    counted = db.session.scalar(
        select(func.count()).where(SecurityEvent.username == "li.parallel", SecurityEvent.kind == "signin_failed")
    )
    assert counted == free
