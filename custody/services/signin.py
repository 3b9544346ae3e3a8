"""Sign-in with throttling per account and per address, decided by the database.

After ``CUSTODY_SIGNIN_FREE`` failures for an account (since its last successful sign-in, within a day)
or ``CUSTODY_SIGNIN_ADDRESS_FREE`` from one address (within the last hour), every further attempt waits
``CUSTODY_SIGNIN_DELAY`` seconds from the last failure, doubling with each failure up to
``CUSTODY_SIGNIN_MAX_DELAY``. The failures are the security log's rows, so every worker sees them.

The password is checked outside any transaction (scrypt is slow on purpose and must not hold SQLite's
write lock), then the outcome is decided under a lock — SQLite's write lock, or PostgreSQL advisory
locks on the address and the username — against the failures committed so far. So parallel guesses
cannot outrun the count: once the limit is reached, even a right password arriving in parallel is
refused, and the attacker learns nothing from it. A refused attempt during a delay is recorded but
does not lengthen the delay, so an attacker cannot keep the owner locked out for ever.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from flask import current_app
from sqlalchemy import func, select, text

from custody import clock
from custody.errors import TooManyAttempts, Unauthorized
from custody.extensions import db
from custody.models import SecurityEvent, SecurityKind, User
from custody.services import auth, security_log
from custody.services.uow import transactional

ADDRESS_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class _Outcome:
    user: User | None
    wait: int  # seconds; > 0: refused without looking at the password


def delay(failures: int, free: int) -> int:
    """Seconds to wait after ``failures`` failures when ``free`` are allowed without delay."""
    if failures < free:
        return 0
    config = current_app.config
    return int(min(config["CUSTODY_SIGNIN_DELAY"] * 2 ** min(failures - free, 30), config["CUSTODY_SIGNIN_MAX_DELAY"]))


def _failures(column: object, value: str, since: datetime) -> tuple[int, datetime | None]:
    count, last = db.session.execute(
        select(func.count(), func.max(SecurityEvent.at)).where(
            column == value,  # type: ignore[arg-type,operator]
            SecurityEvent.kind == SecurityKind.SIGNIN_FAILED,
            SecurityEvent.at > since,
        )
    ).one()
    return int(count), last


def _wait(username: str, address: str | None, now: datetime) -> tuple[int, int]:
    """(seconds still to wait, the account's failures counted)."""
    config = current_app.config
    window = now - timedelta(hours=config["CUSTODY_SIGNIN_WINDOW_HOURS"])
    last_success = db.session.scalar(
        select(func.max(SecurityEvent.at)).where(
            SecurityEvent.username == username, SecurityEvent.kind == SecurityKind.SIGNIN, SecurityEvent.at > window
        )
    )
    failures, last = _failures(SecurityEvent.username, username, max(window, last_success or window))
    until = now
    seconds = delay(failures, config["CUSTODY_SIGNIN_FREE"])
    if last and seconds:
        until = last + timedelta(seconds=seconds)
    if address:
        by_address, last_here = _failures(SecurityEvent.address, address, now - ADDRESS_WINDOW)
        seconds = delay(by_address, config["CUSTODY_SIGNIN_ADDRESS_FREE"])
        if last_here and seconds:
            until = max(until, last_here + timedelta(seconds=seconds))
    return max(0, math.ceil((until - now).total_seconds())), failures


def _lock(username: str, address: str | None) -> None:
    """Serialise decisions for this address and account; "now" is read after this, so that it is later than
    every failure counted. (SQLite: the first statement of the write transaction takes the database's lock.)"""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(text("SELECT 1"))
        return
    for key in (f"signin-address:{address}", f"signin-user:{username}"):  # always this order: no deadlock
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


@transactional
def _decide(username: str, user: User | None) -> _Outcome:
    address = security_log.client_address()
    _lock(username, address)
    wait, failures = _wait(username, address, clock.now())
    if wait:
        security_log.add(SecurityKind.THROTTLED, username=username, detail=f"retry after {wait} s")
        return _Outcome(None, wait)
    if user is not None:
        security_log.add(SecurityKind.SIGNIN, user=user)
        return _Outcome(user, 0)
    known = db.session.scalars(select(User).where(User.username == username)).one_or_none()
    security_log.add(
        SecurityKind.SIGNIN_FAILED, username=username, user=known, detail=None if known else "unknown user"
    )
    if delay(failures + 1, current_app.config["CUSTODY_SIGNIN_FREE"]):
        security_log.add(SecurityKind.LOCKOUT, username=username, detail=f"after {failures + 1} failures")
    return _Outcome(None, 0)


def _early_wait(username: str) -> int:
    """A read before the password check: a throttled attempt costs no scrypt and no write lock."""
    try:
        return _wait(username, security_log.client_address(), clock.now())[0]
    finally:
        db.session.rollback()


def sign_in(username: str, password: str) -> User:
    """The user, signed in and recorded. Raises TooManyAttempts (429) or Unauthorized (401)."""
    username = username[:64]
    early = _early_wait(username)
    if early:
        # Refused on committed failures, password unchecked. (Deciding again under the lock could find the wait
        # just over, and would then have to count an attempt whose password nobody checked.)
        _refuse(username, early)
    try:
        checked: User | None = auth.authenticate(username, password)
    except Unauthorized:
        checked = None
    db.session.rollback()
    outcome = _decide(username, checked)
    if outcome.wait:
        raise TooManyAttempts(f"Too many failed sign-ins: try again in {outcome.wait} s", retry_after=outcome.wait)
    if outcome.user is None:
        raise Unauthorized("Wrong username or password")
    return outcome.user


def _refuse(username: str, wait: int) -> NoReturn:
    security_log.record(SecurityKind.THROTTLED, username=username, detail=f"retry after {wait} s")
    raise TooManyAttempts(f"Too many failed sign-ins: try again in {wait} s", retry_after=wait)
