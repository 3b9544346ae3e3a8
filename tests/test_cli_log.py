"""flask custody checkpoint | key as an operator runs them (verify-proof: tests/api/test_proof_bundles.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from custody.extensions import db
from custody.ledger import proofs
from custody.ledger.keys import log_key
from custody.ledger.offline import Checkpoint, Note
from custody.models import LedgerCheckpoint


def stored() -> list[tuple[int, str]]:
    db.session.rollback()
    return list(db.session.execute(select(LedgerCheckpoint.size, LedgerCheckpoint.by).order_by(LedgerCheckpoint.size)))


def test_key_prints_the_logs_verifier_key(runner: Any) -> None:
    result = runner.invoke(args=["custody", "key"])
    assert result.exit_code == 0, result.output
    assert result.output == log_key().verifier.text() + "\n"


def test_checkpoint_makes_signs_and_prints_one(runner: Any, make: Any) -> None:
    make.case(make.user("handler"))
    result = runner.invoke(args=["custody", "checkpoint"])
    assert result.exit_code == 0, result.output
    note = Note.parse(result.stdout)
    assert note.signed_by(log_key().verifier)
    checkpoint = Checkpoint.parse(note.text)
    db.session.rollback()
    assert checkpoint.size == proofs.ledger_size(db.session) > 0
    assert checkpoint.root == proofs.root(db.session, checkpoint.size)
    assert stored() == [(checkpoint.size, "@cli")]
    again = runner.invoke(args=["custody", "checkpoint"])
    assert again.exit_code == 0 and again.stdout == result.stdout  # nothing appended: the same checkpoint
    assert db.session.scalar(select(func.count()).select_from(LedgerCheckpoint)) == 1


def test_every_makes_one_whenever_the_ledger_grew(runner: Any, make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    make.agency()
    ticks: list[float] = []

    def sleep(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) == 1:
            make.agency()  # the ledger grows by one entry between the first two ticks, not between the next two
        if len(ticks) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr("custody.cli_log.time.sleep", sleep)
    result = runner.invoke(args=["custody", "checkpoint", "--every", "60"])
    assert result.exit_code == 0, result.output
    assert ticks == [60, 60, 60]
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(" checkpoint " in line and line.endswith(" witnessed") for line in lines)
    sizes = [size for size, _by in stored()]
    assert [int(line.split()[2]) for line in lines] == sizes and sizes[1] == sizes[0] + 1
    assert {by for _size, by in stored()} == {"@schedule"}
    assert "stopped" in result.stderr


def test_every_needs_a_positive_period(runner: Any) -> None:
    result = runner.invoke(args=["custody", "checkpoint", "--every", "0"])
    assert result.exit_code == 2 and stored() == []
