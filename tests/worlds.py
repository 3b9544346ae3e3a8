"""Ready-made casts for workflow tests, shared so each test file does not build its own."""

from __future__ import annotations

from typing import Any

from custody.models import Handover
from custody.services import handovers


class HandoverWorld:
    """Police (handler, approver), a procuratorate (handler "prosecutor", approver "chief"), a court with a judge,
    a centre keeper, an auditor, and a police case with 3 items on one shelf."""

    def __init__(self, make: Any, case_no: str | None = None) -> None:
        self.make = make
        self.police = make.agency("police")
        self.handler = make.user("handler", agency=self.police)
        self.approver = make.user("approver", agency=self.police)
        self.procuratorate = make.agency("procuratorate")
        self.prosecutor = make.user("handler", agency=self.procuratorate)
        self.chief = make.user("approver", agency=self.procuratorate)
        self.court = make.agency("court")
        self.judge = make.user("handler", agency=self.court)
        self.keeper = make.keeper()
        self.centre = self.keeper.agency
        self.auditor = make.user("auditor", kind="supervision")
        self.shelf = make.location(self.keeper, name="Shelf A")
        self.case = make.case(self.handler, case_no=case_no)
        self.items = make.stored_items(self.handler, self.keeper, self.shelf, 3, case=self.case)
        self.codes = [i.code for i in self.items]

    def request(self, **kw: Any) -> Handover:
        """The police handler asks to hand the case to the procuratorate."""
        return handovers.request_handover(self.handler, self.case.case_no, self.procuratorate.code, **kw)

    def requested(self, **kw: Any) -> str:
        return self.request(**kw).number

    def approved(self, **kw: Any) -> str:
        number = self.requested(**kw)
        handovers.approve_handover(self.approver, number)
        return number

    def checked(self, missing: list[str] | None = None, **kw: Any) -> str:
        """A handover ready for the procuratorate to decide; ``missing`` items not found by the keeper."""
        number = self.approved(**kw)
        handovers.check_presence(self.keeper, number, [c for c in self.codes if c not in (missing or [])], missing)
        return number

    def decided(self, reject: str | None = None) -> str:
        """Accepted by the prosecutor: wholly, or all but ``reject`` (refused as "not evidence")."""
        number = self.checked()
        refused = [{"code": reject, "reason": "not evidence"}] if reject else []
        handovers.accept_handover(self.prosecutor, number, refused)
        return number
