"""GET /api/v1/handovers/{number}/receipt.pdf: the receipt of a real handover, its ledger entry and its bytes."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pypdf
import pytest
from sqlalchemy import select

from custody import files
from custody.extensions import db
from custody.ledger import verify_chain
from custody.models import LedgerEntry
from custody.services import handovers
from tests.documents.pdfcheck import qr_payloads, text

BASE = "http://custody.test"  # CUSTODY_BASE_URL in tests/conftest.py


class World:
    """Police (handler, approver) hand a case of ``n`` stored items to a procuratorate (handler); a centre keeper."""

    def __init__(self, make: Any, api: Any, n: int = 3) -> None:
        police = make.agency("police")
        self.handler = make.user("handler", agency=police)
        self.approver = make.user("approver", agency=police)
        self.procuratorate = make.agency("procuratorate")
        self.prosecutor = make.user("handler", agency=self.procuratorate)
        self.keeper = make.keeper()
        shelf = make.location(self.keeper, name="Shelf A")
        self.case = make.case(self.handler, title="张某某盗窃案")
        items = make.stored_items(self.handler, self.keeper, shelf, n, case=self.case, name="黄金手镯")
        self.codes = [i.code for i in items]
        self.stranger = make.user("handler", agency=make.agency("court"))
        self.api = api

    def checked(self, **kw: Any) -> str:
        number: str = handovers.request_handover(self.handler, self.case.case_no, self.procuratorate.code, **kw).number
        handovers.approve_handover(self.approver, number)
        handovers.check_presence(self.keeper, number, self.codes)
        return number

    def accepted(self) -> str:
        number = self.checked(moves_with_case=self.codes[:1])
        handovers.accept_handover(self.prosecutor, number, [{"code": self.codes[-1], "reason": "与本案无关"}])
        return number

    def receipt(self, user: Any, number: str) -> Any:
        return self.api(user).get(f"/api/v1/handovers/{number}/receipt.pdf")


@pytest.fixture
def w(make: Any, api: Any) -> World:
    return World(make, api)


def issued() -> list[dict[str, Any]]:
    """The data of every ``handover.receipt_issued`` entry, oldest first."""
    db.session.rollback()  # see what the requests committed
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "handover.receipt_issued").order_by(LedgerEntry.seq)
    )
    return [json.loads(entry.body)["data"] for entry in entries]


def problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code


def test_the_first_download_issues_the_receipt_and_records_its_hash(w: World) -> None:
    number = w.accepted()
    response = w.receipt(w.prosecutor, number)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    pdf = response.get_data()
    printed = text(pdf)
    assert number in printed and "移交清单" in printed and "黄金手镯" in printed
    assert all(code in printed.replace("\n", "") for code in w.codes)
    assert "部分接收 Partially accepted" in printed and "与本案无关" in printed
    assert qr_payloads(pdf)[0] == [f"{BASE}/verify/{number}"]
    sha256 = hashlib.sha256(pdf).hexdigest()
    assert issued() == [{"number": number, "sha256": sha256, "bytes": len(pdf)}]
    shown = w.api(w.prosecutor).get(f"/api/v1/handovers/{number}").get_json()
    assert shown["receipt_sha256"] == sha256
    assert verify_chain(db.session).ok


def test_later_downloads_are_the_same_bytes_and_write_nothing(w: World) -> None:
    number = w.accepted()
    first = w.receipt(w.prosecutor, number).get_data()
    assert w.receipt(w.prosecutor, number).get_data() == first
    assert w.receipt(w.handler, number).get_data() == first  # the sending agency gets the very same receipt
    assert len(issued()) == 1


def test_a_lost_file_is_made_again_byte_for_byte(w: World) -> None:
    number = w.accepted()
    first = w.receipt(w.prosecutor, number).get_data()
    sha256 = hashlib.sha256(first).hexdigest()
    files.path(sha256).unlink()
    again = w.receipt(w.handler, number)
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_data() == first
    assert files.exists(sha256)  # stored again
    assert len(issued()) == 1


def test_a_rejected_handover_has_a_receipt_with_the_reason(w: World) -> None:
    number = w.checked()
    handovers.reject_handover(w.prosecutor, number, "证据材料不全")
    response = w.receipt(w.handler, number)
    assert response.status_code == 200
    printed = text(response.get_data())
    assert "已拒收 Rejected" in printed and "拒收理由 Reason 证据材料不全" in printed
    assert "接收 Accepted 0" in printed and f"拒收 Rejected {len(w.codes)}" in printed
    assert len(issued()) == 1


def test_no_receipt_before_the_decision(w: World) -> None:
    number = w.checked()
    problem(w.receipt(w.prosecutor, number), 409, "invalid_state")
    assert issued() == []


def test_another_agency_gets_404(w: World) -> None:
    number = w.accepted()
    problem(w.receipt(w.stranger, number), 404, "not_found")
    assert issued() == []


def test_a_receipt_of_many_items_lists_every_one_over_several_pages(make: Any, api: Any) -> None:
    world = World(make, api, n=30)
    number = world.accepted()
    pdf = world.receipt(world.prosecutor, number).get_data()
    printed = text(pdf)
    assert all(code in printed.replace("\n", "") for code in world.codes)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert pages >= 3 and f"第 {pages} / {pages} 页" in printed
