"""Check-out pages: the lists, the request form (prefilled from a case page), approving, and the no-JavaScript
release and return forms. Scanning itself (static/js/checkout.js) goes through the API tested elsewhere."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from custody import clock
from custody.extensions import db
from custody.models import Checkout, Item, LedgerEntry
from custody.services import checkouts
from tests.web.conftest import csrf_from, local_input

EN = {"Accept-Language": "en"}


@pytest.fixture
def w(make: Any) -> dict[str, Any]:
    police = make.agency("police")
    handler = make.user("handler", agency=police)
    keeper = make.keeper()
    shelf = make.location(keeper, name="Shelf A")
    case = make.case(handler, case_no="公刑立字〔2026〕7号")
    stored = make.stored_items(handler, keeper, shelf, 3, case=case)
    return {
        "police": police,
        "handler": handler,
        "approver": make.user("approver", agency=police),
        "carrier": make.user("handler", agency=police),
        "keeper": keeper,
        "case": case,
        "codes": [i.code for i in stored],
    }


def _request(w: dict[str, Any], codes: list[str] | None = None, hours: int = 48) -> str:
    due = clock.now() + timedelta(hours=hours)
    return checkouts.request_checkout(w["handler"], codes or w["codes"], "appraisal", due, w["carrier"].username).number


def _count(model: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _page(client: Any, path: str) -> str:
    response = client.get(path, headers=EN)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_case_page_offers_the_request_for_chosen_items_and_it_only_prefills(client, login, w):
    login(w["handler"])
    html = _page(client, f"/cases/{w['case'].case_no}")
    button = re.search(r'<button[^>]*id="request-checkout"[^>]*>', html)
    assert button and 'form="item-selection"' in button.group(0) and 'formaction="/checkouts/new"' in button.group(0)
    token = csrf_from(html)
    chosen = w["codes"][:2]
    response = client.post(
        "/checkouts/new", data={"csrf_token": token, "items": chosen, "layout": "a4-3x8"}, headers=EN
    )
    form = response.get_data(as_text=True)
    assert response.status_code == 200 and _count(Checkout) == 0  # prefilled, nothing created
    ticked = re.findall(r'<input type="checkbox" name="items" value="([^"]+)" checked>', form)
    assert ticked == chosen
    assert f'<option value="{w["carrier"].username}"' in form and 'type="datetime-local" name="due_at"' in form
    client.post("/logout", data={"csrf_token": token})
    login(w["approver"])  # sees the case, may not request
    assert "request-checkout" not in _page(client, f"/cases/{w['case'].case_no}")


def test_request_form_creates_with_local_due_time(client, login, w):
    login(w["handler"])
    due = clock.now().replace(second=0, microsecond=0) + timedelta(days=1)
    form = _page(client, "/checkouts/new")
    data = {
        "csrf_token": csrf_from(form),
        "step": "create",
        "items": w["codes"][:1],
        "more_items": f"{w['codes'][1].lower()}\nhttp://custody.test/s/{w['codes'][2]}",
        "purpose": "identification",
        "due_at": local_input(due),
        "taken_by": w["carrier"].username,
        "note": "辨认",
    }
    response = client.post("/checkouts/new", data=data, headers=EN)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    number = response.headers["Location"].rsplit("/", 1)[-1]
    checkout = checkouts.get_checkout(w["handler"], number)
    assert checkout.due_at == due and checkout.purpose == "identification" and checkout.note == "辨认"
    assert sorted(line.item.code for line in checkout.lines) == sorted(w["codes"])
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert number in page and due.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") in page


def test_request_form_shows_errors_by_field_and_keeps_what_was_typed(client, login, w):
    login(w["handler"])
    busy = _request(w, w["codes"][:1])
    form = _page(client, "/checkouts/new")
    base = {"csrf_token": csrf_from(form), "step": "create", "purpose": "appraisal", "taken_by": w["carrier"].username}
    past = client.post(
        "/checkouts/new",
        data={**base, "items": w["codes"][1:], "due_at": local_input(clock.now() - timedelta(hours=1)), "note": "x"},
        headers=EN,
    ).get_data(as_text=True)
    assert re.search(r'<p class="field-error" id="due_at-error">The due time must be in the future.</p>', past)
    assert 'name="due_at" value="' in past and ">x</textarea>" in past
    empty = client.post("/checkouts/new", data={**base, "due_at": "nonsense"}, headers=EN).get_data(as_text=True)
    assert 'id="due_at-error">Enter a date and time.' in empty
    none = client.post("/checkouts/new", data={**base, "due_at": local_input(clock.now() + timedelta(days=1))})
    assert 'id="items-error"' in none.get_data(as_text=True)
    taken = client.post(
        "/checkouts/new",
        data={**base, "items": w["codes"][:2], "due_at": local_input(clock.now() + timedelta(days=1))},
        headers=EN,
    ).get_data(as_text=True)
    assert "Some items are unavailable." in taken and f"{w['codes'][0]} is already in check-out {busy}" in taken
    assert _count(Checkout) == 1


def test_index_lists_by_role_with_overdue_first_and_marked(client, login, w):
    first = _request(w, w["codes"][:1], hours=1)
    second = _request(w, w["codes"][1:2], hours=24)
    waiting = _request(w, w["codes"][2:])
    for number in (first, second):
        checkouts.approve_checkout(w["approver"], number)
        checkouts.release_checkout(w["keeper"], number)
    real = clock.now()
    clock.set_clock(lambda: real + timedelta(hours=2))
    login(w["approver"])
    html = _page(client, "/checkouts")
    out = html.split('id="out"', 1)[1]
    assert out.index(first) < out.index(second)
    assert re.search(rf'<tr class="overdue" data-number="{first}">', out)
    assert re.search(rf'<tr class="" data-number="{second}">', out)
    assert waiting in html.split('id="waiting"', 1)[1].split("</section>", 1)[0]
    assert 'id="to-release"' not in html and 'id="mine"' not in html  # not a keeper, not a handler


def test_approve_release_and_return_without_javascript(client, login, w, post_form):
    number = _request(w, w["codes"][:2])
    detail = f"/checkouts/{number}"
    login(w["keeper"])
    assert 'id="approve-button"' not in _page(client, detail) and 'id="release"' not in _page(client, detail)
    client.post("/logout", data={"csrf_token": csrf_from(_page(client, detail))})
    login(w["approver"])
    assert 'id="approve-button"' in _page(client, detail)
    assert post_form(detail, {}, to=f"{detail}/approve").status_code == 302
    assert checkouts.get_checkout(w["approver"], number).status == "approved"
    client.post("/logout", data={"csrf_token": csrf_from(_page(client, detail))})

    login(w["keeper"])
    page = _page(client, detail)
    assert 'id="release"' in page and 'data-mode="release"' in page and "js/checkout.js" in page
    start = db.session.scalar(select(func.max(LedgerEntry.seq)))
    wrong = post_form(detail, {"codes": w["codes"][0]}, to=f"{detail}/release", headers=EN)
    assert wrong.status_code == 302
    refused = client.get(detail, headers=EN).get_data(as_text=True)
    assert f"Not scanned: {w['codes'][1]}" in refused and _count(LedgerEntry) == start
    post_form(detail, {"codes": "\n".join(w["codes"][:2])}, to=f"{detail}/release")
    assert checkouts.get_checkout(w["keeper"], number).status == "released"
    page = _page(client, detail)
    assert 'id="return"' in page and re.findall(r'name="items" value="([^"]+)"', page) == w["codes"][:2]

    post_form(detail, {"items": w["codes"][0], "note": "封条破损"}, to=f"{detail}/return")  # seal box unticked
    partial = checkouts.get_checkout(w["keeper"], number)
    assert partial.status == "partially_returned" and partial.lines[0].seal_intact is False
    assert partial.lines[0].return_note == "封条破损"
    page = _page(client, detail)
    assert "Seal broken" in page and "1 of 2 items back" in page
    post_form(detail, {"items": w["codes"][1], "seal_intact": "1"}, to=f"{detail}/return")
    done = checkouts.get_checkout(w["keeper"], number)
    assert done.status == "returned" and done.lines[1].seal_intact is True
    db.session.rollback()
    assert set(db.session.scalars(select(Item.status))) == {"in_storage"}
    assert "All items back" in _page(client, detail)


def test_cancel_and_visibility(client, login, w, post_form, make):
    number = _request(w)
    login(make.user("handler"))
    assert client.get(f"/checkouts/{number}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(_page(client, "/checkouts"))})
    login(w["handler"])
    page = _page(client, f"/checkouts/{number}")
    assert 'id="cancel-button"' in page and 'id="approve-button"' not in page
    post_form(f"/checkouts/{number}", {}, to=f"/checkouts/{number}/cancel")
    assert checkouts.get_checkout(w["handler"], number).status == "cancelled"
    again = post_form(f"/checkouts/{number}", {}, to=f"/checkouts/{number}/cancel", headers=EN)
    assert again.status_code == 302
    assert "Not allowed in the item" in client.get(f"/checkouts/{number}", headers=EN).get_data(as_text=True)


def test_pages_render_in_chinese(client, login, w):
    number = _request(w)
    login(w["handler"])
    for path in ("/checkouts", "/checkouts/new", f"/checkouts/{number}"):
        response = client.get(path)
        assert response.status_code == 200 and '<html lang="zh-CN">' in response.get_data(as_text=True), path
