"""The rules a password must follow, wherever one is chosen (the command line, the web, the API).

Length and a list of common passwords, as NIST SP 800-63B advises, rather than composition rules
("one digit, one capital"), which people meet with "Password1". The list is Django's 20,000 most common
passwords (custody/data/common-passwords.txt.gz, BSD licence beside it), checked case-insensitively.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from flask import current_app

from custody.errors import InvalidInput
from custody.models import User

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"
MAX_LENGTH = 200


@functools.cache
def _common() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def problems(password: str, username: str) -> list[str]:
    """What is wrong with ``password`` for ``username`` (empty when it may be used)."""
    minimum = int(current_app.config.get("CUSTODY_PASSWORD_MIN_LENGTH", 10))
    if len(password) < minimum:
        return [f"At least {minimum} characters"]
    if len(password) > MAX_LENGTH:
        return [f"At most {MAX_LENGTH} characters"]
    lowered = password.lower()
    if username and lowered == username.lower():
        return ["Must not be the username"]
    if lowered in _common():
        return ["Too common: choose one that is not on lists of common passwords"]
    return []


def check(password: str, username: str) -> None:
    """Raises InvalidInput naming the ``password`` field."""
    found = problems(password, username)
    if found:
        raise InvalidInput("Password refused", errors={"password": found})


def change_required(user: User) -> bool:
    """Whether ``user`` must choose a password before anything else (the demo's users, outside demo mode)."""
    return bool(user.must_change_password) and not current_app.config["CUSTODY_DEMO_MODE"]
