"""A small ledger for the auditors' workspace tests: two police agencies with a case each, a centre
keeper who takes one case's items in, and an auditor; every entry one second after the one before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from custody import clock
from custody.extensions import db
from custody.models import LedgerEntry
from custody.services import warehouse

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Ticking:
    """A clock that moves one second each time it is read, so entries get distinct, increasing times."""

    def __init__(self, start: datetime = T0) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


class AuditWorld:
    def __init__(self, make: Any) -> None:
        clock.set_clock(Ticking())  # conftest restores the real clock after each test
        self.auditor = make.user("auditor", kind="supervision", username="auditor1")
        self.police_a = make.agency("police", code="PA")
        self.police_b = make.agency("police", code="PB")
        self.handler_a = make.user("handler", agency=self.police_a, username="handler_a")
        self.handler_b = make.user("handler", agency=self.police_b, username="handler_b")
        self.keeper = make.keeper()
        self.shelf = make.location(self.keeper, name="Shelf A")
        self.case_a = make.case(self.handler_a, case_no="A-2026-1")
        self.case_b = make.case(self.handler_b, case_no="B-2026-1")
        self.items_a = make.items(self.handler_a, self.case_a, 2)
        self.items_b = make.items(self.handler_b, self.case_b, 2)
        for item in self.items_a:
            warehouse.intake(self.keeper, item.code, location=self.shelf.code, seal_intact=True)
        self.codes_a = [i.code for i in self.items_a]
        self.codes_b = [i.code for i in self.items_b]

    def all_entries(self) -> list[LedgerEntry]:
        from sqlalchemy import select

        return list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)))

    def items_of(self, entry: LedgerEntry) -> list[str]:
        import json

        return [i["code"] for i in json.loads(entry.body)["items"]]
