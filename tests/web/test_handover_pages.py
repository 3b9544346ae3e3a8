"""Handover pages: the inbox and dashboard counts by role, the request form on the case page, each step
through its form (approve, accept some and reject others, reject all, cancel), refusals as readable
messages, the receipt link, who may not see a handover, and the pages in Chinese.

The keeper's presence check has its own page (tests/web/test_presence_pages.py); here it goes through
the service.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from custody import clock
from custody.extensions import db
from custody.models import Handover, Item, LedgerEntry
from custody.services import cases, checkouts, handovers
from tests.documents import pdfcheck
from tests.web.conftest import csrf_from
from tests.worlds import HandoverWorld as World

EN = {"Accept-Language": "en"}


@pytest.fixture
def w(make: Any) -> World:
    return World(make, case_no="公刑立字〔2026〕9号")



def _page(client: Any, path: str, headers: dict[str, str] = EN) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _post(client: Any, page: str, to: str, data: dict[str, Any] | None = None) -> Any:
    """Open ``page`` like a browser and post its form to ``to``; returns the page the redirect leads to."""
    token = csrf_from(_page(client, page))
    response = client.post(to, data={"csrf_token": token, **(data or {})}, headers=EN)
    assert response.status_code == 302, (to, response.status_code, response.get_data(as_text=True)[:500])
    return response


def _flash(client: Any, path: str) -> list[str]:
    return re.findall(r'<p class="flash (?:error|ok)"[^>]*>([^<]*)</p>', _page(client, path))


def _section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def _count_in(html: str, section_id: str) -> int:
    found = re.search(r'<span class="count">(\d+)</span>', _section(html, section_id))
    assert found, section_id
    return int(found[1])


def _status(number: str) -> str:
    db.session.rollback()
    return db.session.scalar(select(Handover.status).where(Handover.number == number)) or ""


# --- the inbox and the dashboard --------------------------------------------------------------------


def test_inbox_shows_each_role_its_lists_with_counts(client, as_user, w):
    number = w.requested()
    as_user(w.approver)
    html = _page(client, "/handovers")
    assert _count_in(html, "to-approve") == 1 and _count_in(html, "outgoing") == 1
    assert _count_in(html, "incoming") == 0 and 'id="to-check"' not in html
    link = re.search(r'<a href="/handovers/([^"]+)" class="code handover-link">', _section(html, "to-approve"))
    assert link and link[1] == number
    row = _section(html, "to-approve")
    assert w.case.case_no in row and f"{w.police.name} → {w.procuratorate.name}" in row
    assert "Transfer for prosecution review" in row and "Requested" in row

    as_user(w.handler)
    html = _page(client, "/handovers")
    assert _count_in(html, "outgoing") == 1 and 'id="to-approve"' not in html

    as_user(w.prosecutor)  # the receiver sees nothing until the sender approves
    assert _count_in(_page(client, "/handovers"), "incoming") == 0
    handovers.approve_handover(w.approver, number)
    assert _count_in(_page(client, "/handovers"), "incoming") == 1

    as_user(w.keeper)
    html = _page(client, "/handovers")
    assert _count_in(html, "to-check") == 1 and 'id="incoming"' not in html and 'id="outgoing"' not in html

    as_user(w.auditor)  # no lists of their own; everything through ?all=1
    html = _page(client, "/handovers")
    assert "handover-link" not in html and 'href="/handovers?all=1"' in html
    everything = _page(client, "/handovers?all=1")
    assert number in everything and "handover-link" in everything


def test_a_long_list_says_how_many_wait_and_where_the_rest_are(client, as_user, w, make, monkeypatch):
    from custody.web import handovers as pages

    monkeypatch.setattr(pages, "LIST_LIMIT", 1)
    w.requested()
    other = make.case(w.handler)
    make.stored_items(w.handler, w.keeper, w.shelf, 1, case=other)
    handovers.request_handover(w.handler, other.case_no, w.procuratorate.code)
    as_user(w.handler)
    html = _page(client, "/handovers")
    assert _count_in(html, "outgoing") == 2
    assert "Only the oldest 1 of 2 are shown" in _section(html, "outgoing")


def test_all_handovers_includes_decided_ones_and_filters(client, as_user, w):
    first = w.requested()
    handovers.cancel_handover(w.handler, first)
    second = w.requested()
    as_user(w.handler)
    html = _page(client, "/handovers?all=1")
    assert first in html and second in html
    cancelled = _page(client, "/handovers?all=1&status=cancelled")
    assert first in cancelled and second not in cancelled
    as_user(w.prosecutor)
    assert second in _page(client, "/handovers?all=1&direction=incoming")
    assert second not in _page(client, "/handovers?all=1&direction=outgoing")


def _dashboard_counts(html: str) -> dict[str, int]:
    found = dict(re.findall(r'id="handovers-([a-z-]+)">(\d+)<', html))
    return {name: int(n) for name, n in found.items()}


def test_dashboard_counts_and_nav(client, as_user, w, make):
    number = w.approved()
    as_user(w.prosecutor)
    html = _page(client, "/")
    assert _dashboard_counts(html) == {"incoming": 1, "outgoing": 0}  # only the lists a handler acts on
    assert re.search(r'<a href="/handovers"\s*>Handovers</a>', html)
    as_user(w.keeper)
    assert _dashboard_counts(_page(client, "/")) == {"to-check": 1}
    as_user(w.approver)
    assert _dashboard_counts(_page(client, "/")) == {"incoming": 0, "outgoing": 1, "to-approve": 0}
    nav = _page(client, f"/handovers/{number}").split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/handovers" aria-current="page">Handovers</a>' in nav
    as_user(w.auditor)  # an auditor alone has no inbox: no panel, no nav link
    html = _page(client, "/")
    assert 'id="handovers-panel"' not in html and 'href="/handovers"' not in html


# --- the request form on the case page ---------------------------------------------------------------


def _checkout(w: World, codes: list[str]) -> Any:
    return checkouts.request_checkout(
        w.handler, codes, "appraisal", clock.now() + timedelta(days=1), w.handler.username
    )


def _case_path(w: World) -> str:
    return f"/cases/{w.case.case_no}"


def test_case_page_form_is_for_the_holders_handlers_and_disables_unavailable_items(client, as_user, w, make):
    out, waiting = w.codes[0], w.codes[1]
    released = _checkout(w, [out])
    checkouts.approve_checkout(w.approver, released.number)
    checkouts.release_checkout(w.keeper, released.number)
    requested = _checkout(w, [waiting])

    as_user(w.handler)
    html = _page(client, _case_path(w))
    form = html.split('id="handover-form"', 1)[1].split("</form>", 1)[0]
    assert 'action="/handovers/new"' in html.split('id="handover-form"', 1)[0][-200:] + form[:200]
    options = re.findall(r'<option value="([^"]+)"', form)
    assert sorted(options) == sorted([w.procuratorate.code, w.court.code])  # not the holder, centre or supervision
    assert '<option value="">Choose the receiving agency</option>' in form  # no agency chosen by default
    assert f'<input type="hidden" name="case_no" value="{w.case.case_no}">' in form
    free = w.codes[2]
    assert re.search(rf'name="items" value="{free}" checked', form)
    for code, why in ((out, "Checked out"), (waiting, f"In check-out {requested.number}")):
        row = form.split(f'data-code="{code}"', 1)[1].split("</tr>", 1)[0]
        assert f'name="items" value="{code}" disabled' in row and why in row
        assert f'name="moves" value="{code}" disabled' in row
    assert 'id="request-handover"' in form and '<textarea name="note"' in form and "js/handover.js" in html

    for other in (w.approver, w.prosecutor):  # an approver, and an agency that does not hold the case
        as_user(other)
        response = client.get(_case_path(w), headers=EN)
        assert 'id="handover-form"' not in response.get_data(as_text=True)


def test_request_approve_check_accept_some_reject_others(client, as_user, w):
    as_user(w.handler)
    kept, moving, refused = w.codes
    response = _post(
        client,
        _case_path(w),
        "/handovers/new",
        {
            "case_no": w.case.case_no,
            "to_agency": w.procuratorate.code,
            "items": w.codes,
            "moves": [moving],
            "note": "移送审查起诉",
        },
    )
    number = response.headers["Location"].rsplit("/", 1)[-1]
    assert response.headers["Location"] == f"/handovers/{number}"
    detail = f"/handovers/{number}"
    html = _page(client, detail)
    assert "requested; an approver of your agency approves it next" in html
    assert 'id="cancel-form"' in html and 'id="approve-form"' not in html and "移送审查起诉" in html
    moves = re.search(rf'data-code="{moving}".*?</tr>', html, re.S)
    assert moves and "Moves with the case" in moves[0]
    case_page = _page(client, _case_path(w))  # one open handover: a link to it, no form
    assert 'id="handover-form"' not in case_page and f'href="/handovers/{number}"' in case_page

    as_user(w.approver)
    assert re.search(r'<form id="approve-form" method="post" action="/handovers/[^"]+/approve"', _page(client, detail))
    _post(client, detail, f"{detail}/approve")
    assert _status(number) == "approved"

    as_user(w.keeper)
    html = _page(client, detail)
    assert f'<a class="button primary" id="presence" href="/handovers/{number}/presence">' in html
    assert 'id="accept-form"' not in html
    handovers.check_presence(w.keeper, number, w.codes)
    assert 'id="presence"' not in _page(client, detail)

    as_user(w.prosecutor)
    html = _page(client, detail)
    assert 'id="accept-form"' in html and 'id="reject-form"' in html
    assert re.findall(r'name="reject" value="([^"]+)"', html) == w.codes
    assert f'name="reason-{refused}"' in html
    assert f'href="/items/{kept}"' not in html  # not yet the holder: the items' pages are not theirs to open
    _post(client, detail, f"{detail}/accept", {"reject": [refused], f"reason-{refused}": "与本案无关"})
    assert _status(number) == "partially_accepted"
    html = _page(client, detail)
    assert "Handover partly accepted: 1 item was rejected" in html and "与本案无关" in html
    assert f'id="receipt" href="/handovers/{number}/receipt.pdf"' in html
    assert f'href="/verify/{number}"' in html
    assert f'href="/items/{kept}"' in html  # now theirs
    db.session.rollback()
    assert cases.get_case(w.prosecutor, w.case.case_no).agency_id == w.procuratorate.id
    custodians = dict(db.session.execute(select(Item.code, Item.custodian_id)).all())
    assert custodians[kept] == custodians[moving] == w.procuratorate.id and custodians[refused] == w.police.id
    checkout = re.search(r'href="/checkouts/([^"]+)" class="code"', html)
    assert checkout and checkout[1] == handovers.get_handover(w.prosecutor, number).checkout_number
    steps = _section(html, "steps-title")
    for step in ("Requested", "Approved", "Presence checked", "Partly accepted"):
        assert step in steps
    assert w.keeper.name in steps and w.prosecutor.name in steps


def test_missing_items_are_shown_as_rejected_and_rejected_on_accept(client, as_user, w):
    number = w.checked(missing=[w.codes[0]])
    as_user(w.prosecutor)
    html = _page(client, f"/handovers/{number}")
    row = re.search(rf'data-code="{w.codes[0]}".*?</tr>', html, re.S)
    assert row and "Will be rejected: missing" in row[0] and 'name="reject"' not in row[0]
    assert "1 item was found missing at the presence check" in html
    _post(client, f"/handovers/{number}", f"/handovers/{number}/accept")
    assert _status(number) == "partially_accepted"
    assert "Missing at the presence check" in _page(client, f"/handovers/{number}")


def test_reject_all_needs_a_reason(client, as_user, w):
    number = w.approved()  # the receiver may reject before the presence check
    detail = f"/handovers/{number}"
    as_user(w.chief)
    html = _page(client, detail)
    assert 'id="reject-form"' in html and 'id="accept-form"' not in html
    assert "can be accepted once the keeper has checked" in html
    _post(client, detail, f"{detail}/reject", {"reason": "  "})
    assert _flash(client, detail) == ["Some entries are not valid. Say why the handover is rejected."]
    assert _status(number) == "approved"
    _post(client, detail, f"{detail}/reject", {"reason": "材料不全"})
    assert _status(number) == "rejected"
    html = _page(client, detail)
    assert "材料不全" in html and 'id="receipt"' in html and 'id="reject-form"' not in html
    assert re.search(r'id="handover-status">Rejected<', html)


def test_accept_refusals_are_readable(client, as_user, w):
    number = w.checked()
    detail = f"/handovers/{number}"
    as_user(w.prosecutor)
    _post(client, detail, f"{detail}/accept", {"reject": [w.codes[1]]})
    assert _flash(client, detail) == [f"Some entries are not valid. Give the reason for rejecting {w.codes[1]}."]
    _post(client, detail, f"{detail}/accept", {f"reason-{w.codes[2]}": "看错了"})  # a reason, box unticked
    (said,) = _flash(client, detail)
    assert f"A reason was given for {w.codes[2]} without ticking it" in said
    assert _status(number) == "checked"
    as_user(w.handler)  # the sender may not accept its own handover
    client.post(detail + "/accept", data={"csrf_token": csrf_from(_page(client, detail))}, headers=EN)
    assert _flash(client, detail) == [f"Only {w.procuratorate.code} may take this step of the handover."]


def test_cancel_with_a_reason_and_acting_too_late(client, as_user, w):
    number = w.approved()
    detail = f"/handovers/{number}"
    as_user(w.handler)
    html = _page(client, detail)
    assert 'id="cancel-form"' in html and 'id="approve-form"' not in html
    _post(client, detail, f"{detail}/cancel", {"reason": "管辖有误"})
    assert _status(number) == "cancelled"
    html = _page(client, detail)
    assert "Handover cancelled; the case and its items stay with" in html and "管辖有误" in html
    assert 'id="cancel-form"' not in html and 'id="receipt"' not in html
    as_user(w.approver)
    client.post(detail + "/approve", data={"csrf_token": csrf_from(_page(client, detail))}, headers=EN)
    assert _flash(client, detail) == ["Not possible now: the handover is Cancelled."]


def test_second_request_while_one_is_open_and_other_refusals(client, as_user, w):
    number = w.requested()
    as_user(w.handler)
    case_page = _case_path(w)
    token = csrf_from(_page(client, case_page))
    data = {"csrf_token": token, "case_no": w.case.case_no, "to_agency": w.court.code, "items": w.codes}
    response = client.post("/handovers/new", data=data, headers=EN)
    assert response.status_code == 302 and response.headers["Location"].endswith("#handover")
    said = _flash(client, case_page)
    assert said == [f"The case already has an open handover, {number}: it must be decided or cancelled first."]
    handovers.cancel_handover(w.handler, number)

    client.post("/handovers/new", data={**data, "items": []}, headers=EN)
    assert _flash(client, case_page) == ["Tick at least one item to hand over."]
    client.post("/handovers/new", data={**data, "to_agency": ""}, headers=EN)
    assert _flash(client, case_page) == ["Choose the receiving agency."]
    client.post("/handovers/new", data={**data, "note": "长" * 2001}, headers=EN)
    assert _flash(client, case_page) == ["Some entries are not valid. Note: At most 2000 characters."]
    client.post("/handovers/new", data={**data, "to_agency": w.centre.code}, headers=EN)
    (said,) = _flash(client, case_page)
    assert said.startswith("Some entries are not valid.") and f"{w.centre.code} does not hold cases" in said
    client.post("/handovers/new", data={**data, "items": w.codes[:1], "moves": w.codes[1:2]}, headers=EN)
    (said,) = _flash(client, case_page)
    assert f"{w.codes[1]} is marked to move with the case but is not ticked to be handed over." in said
    busy = _checkout(w, w.codes[2:])
    client.post("/handovers/new", data=data, headers=EN)  # the form was opened before the check-out
    assert _flash(client, case_page) == [f"Some items are unavailable. {w.codes[2]} is in check-out {busy.number}."]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Handover)) == 1  # only the cancelled one


def test_receipt_link_serves_the_pdf(client, as_user, w):
    number = w.checked()
    handovers.accept_handover(w.prosecutor, number)
    as_user(w.prosecutor)
    path = f"/handovers/{number}/receipt.pdf"
    assert f'href="{path}"' in _page(client, f"/handovers/{number}")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "inline" in response.headers["Content-Disposition"] and number in pdfcheck.text(response.data)
    db.session.rollback()
    issued = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "handover.receipt_issued")).all()
    assert len(issued) == 1
    assert client.get(path).data == response.data


def test_receipt_before_a_decision_says_why(client, as_user, w):
    number = w.checked()
    as_user(w.prosecutor)
    response = client.get(f"/handovers/{number}/receipt.pdf", headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == f"/handovers/{number}"
    assert _flash(client, f"/handovers/{number}") == [
        "A receipt is issued once the handover is decided; it is Presence checked now."
    ]


def test_an_agency_that_never_held_the_case_gets_404(client, as_user, w):
    number = w.approved()
    as_user(w.judge)
    assert client.get(f"/handovers/{number}").status_code == 404
    token = csrf_from(_page(client, "/handovers"))
    for step in ("approve", "accept", "reject", "cancel"):
        assert client.post(f"/handovers/{number}/{step}", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert client.get(f"/handovers/{number}/receipt.pdf").status_code == 404
    assert client.get("/handovers/HOFF-NOPE").status_code == 404
    assert _status(number) == "approved"


def test_pages_render_in_chinese(client, as_user, w):
    number = w.checked()
    as_user(w.prosecutor)
    zh = {"Accept-Language": "zh-CN"}
    for path in ("/handovers", "/handovers?all=1", f"/handovers/{number}", "/"):
        html = _page(client, path, zh)
        assert '<html lang="zh-CN"' in html, path
    assert "案件编号" in _page(client, f"/handovers/{number}", zh)
    as_user(w.handler)
    assert '<html lang="zh-CN"' in _page(client, _case_path(w), zh)
