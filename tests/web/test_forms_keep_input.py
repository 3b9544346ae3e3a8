"""Forms that keep what the user typed after a refusal, and a case page that offers only what can succeed.

Each form of the case page (request a transfer, request a disposition, close the case) and the handover's
accept form comes back filled in as the user left it after a validation error or a service's refusal, once;
a success leaves nothing behind. A closed case offers no transfer, an open handover no closing, each saying
why; accepting with every item rejected says so, and a stale tab says the handover was already decided.
"""

from __future__ import annotations

import html as markup
import re
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask, session

from custody.services import closing, dispositions, handovers
from custody.web import kept
from tests.web.conftest import csrf_from
from tests.worlds import HandoverWorld as World

EN = {"Accept-Language": "en"}
BASIS = "(2026) Chaoyang Criminal Judgment No. 88"


@pytest.fixture
def w(make: Any) -> World:
    return World(make, case_no="公刑立字〔2026〕21号")



def _page(client: Any, path: str) -> str:
    response = client.get(path, headers=EN)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _post(client: Any, page: str, to: str, data: dict[str, Any]) -> Any:
    """Open ``page`` like a browser and post ``data`` to ``to``; the answer is a redirect."""
    token = csrf_from(_page(client, page))
    response = client.post(to, data={"csrf_token": token, **data}, headers=EN)
    assert response.status_code == 302, (to, response.status_code)
    return response


def _flashes(html: str) -> list[str]:
    return [markup.unescape(m) for m in re.findall(r'<p class="flash (?:error|ok)"[^>]*>([^<]*)</p>', html)]


def _form(html: str, form_id: str) -> str:
    return html.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]


def _ticked(form: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)"[^>]*\bchecked\b', form)


def _selected(form: str, name: str) -> str | None:
    select = form.split(f'<select name="{name}"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option value="([^"]*)" selected>', select)
    return found[1] if found else None


def _textarea(form: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>([^<]*)</textarea>', form)
    assert found, name
    return markup.unescape(found[1])


def _input(form: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert found, name
    return markup.unescape(found[1])


def _case(w: World) -> str:
    return f"/cases/{w.case.case_no}"


# --- the request-transfer form ----------------------------------------------------------------------------------


def test_a_refused_transfer_request_comes_back_as_typed_once(client, as_user, w):
    as_user(w.handler)
    first, second, third = w.codes
    typed = {
        "case_no": w.case.case_no,
        "to_agency": "",
        "items": [first, third],
        "moves": [third],
        "note": "移送 <审查>",
    }
    _post(client, _case(w), "/handovers/new", typed)
    html = _page(client, _case(w))
    assert _flashes(html) == ["Choose the receiving agency."]
    form = _form(html, "handover-form")
    assert _ticked(form, "items") == [first, third] and _ticked(form, "moves") == [third]
    assert _textarea(form, "note") == "移送 <审查>" and _selected(form, "to_agency") is None

    form = _form(_page(client, _case(w)), "handover-form")  # read once: the next visit shows the defaults
    assert _ticked(form, "items") == w.codes and _ticked(form, "moves") == [] and _textarea(form, "note") == ""

    # The service's refusal keeps the chosen agency too.
    _post(client, _case(w), "/handovers/new", {**typed, "to_agency": w.court.code, "moves": [second]})
    html = _page(client, _case(w))
    (said,) = _flashes(html)
    assert f"{second} is marked to move with the case but is not ticked to be handed over." in said
    form = _form(html, "handover-form")
    assert _selected(form, "to_agency") == w.court.code and _ticked(form, "moves") == [second]


def test_a_successful_request_leaves_nothing_behind(client, as_user, w):
    as_user(w.handler)
    data = {"case_no": w.case.case_no, "to_agency": "", "items": w.codes[:1], "note": "第一次"}
    _post(client, _case(w), "/handovers/new", data)  # refused, and the case page not opened since
    response = _post(client, _case(w), "/handovers/new", {**data, "to_agency": w.court.code})
    number = response.headers["Location"].rsplit("/", 1)[-1]
    handovers.cancel_handover(w.handler, number)
    form = _form(_page(client, _case(w)), "handover-form")
    assert _textarea(form, "note") == "" and _ticked(form, "items") == w.codes


def test_a_closed_case_offers_no_transfer_and_says_why(client, as_user, w):
    as_user(w.handler)
    token = csrf_from(_page(client, _case(w)))  # a tab opened before the case was closed
    closing.close_case(w.handler, w.case.case_no, "judgment_executed")
    html = _page(client, _case(w))
    assert 'id="handover-form"' not in html and "Request transfer" not in html
    assert "The case is closed: it is not handed over again." in html.split('id="handover"', 1)[1]
    data = {"csrf_token": token, "case_no": w.case.case_no, "to_agency": w.court.code}
    client.post("/handovers/new", data=data, headers=EN)  # nothing ticked: the closed case is the reason
    assert _flashes(_page(client, _case(w))) == ["The case is closed: it is not handed over again."]


# --- the accept form -------------------------------------------------------------------------------------------


def test_a_refused_acceptance_keeps_the_reject_ticks_and_reasons(client, as_user, w):
    number = w.checked()
    detail = f"/handovers/{number}"
    as_user(w.prosecutor)
    first, second, third = w.codes
    _post(client, detail, f"{detail}/accept", {"reject": [first, second], f"reason-{first}": "与本案无关"})
    html = _page(client, detail)
    assert _flashes(html) == [f"Some entries are not valid. Give the reason for rejecting {second}."]
    form = _form(html, "accept-form")
    assert _ticked(form, "reject") == [first, second]
    assert _input(form, f"reason-{first}") == "与本案无关" and _input(form, f"reason-{second}") == ""
    assert re.search(r'id="reject-all-warning"[^>]* hidden', form)  # the third item is still accepted

    # A reason beside an unticked box is refused by the page itself, and kept as well.
    _post(client, detail, f"{detail}/accept", {"reject": [first], f"reason-{third}": "看错了"})
    form = _form(_page(client, detail), "accept-form")
    assert _ticked(form, "reject") == [first] and _input(form, f"reason-{third}") == "看错了"
    form = _form(_page(client, detail), "accept-form")
    assert _ticked(form, "reject") == [] and _input(form, f"reason-{third}") == ""


def test_accepting_with_every_item_rejected_says_so(client, as_user, w):
    number = w.checked()
    detail = f"/handovers/{number}"
    as_user(w.prosecutor)
    html = _page(client, detail)
    warning = re.search(r'<p class="hint" id="reject-all-warning"([^>]*)><strong>([^<]*)</strong>', html)
    assert warning and "hidden" in warning[1]
    assert (
        warning[2]
        == f"Every item will be rejected: accepting takes only the case, and every item stays with {w.police.name}."
    )
    assert "js/handover.js" in html  # the script shows it as the boxes are ticked
    rejected = {"reject": w.codes, **{f"reason-{code}": "不属本案" for code in w.codes[:2]}}
    _post(client, detail, f"{detail}/accept", rejected)  # the third reason is missing: refused, kept
    html = _page(client, detail)
    assert re.search(r'id="reject-all-warning">', html)  # every box ticked: shown without waiting for the script
    _post(client, detail, f"{detail}/accept", {**rejected, f"reason-{w.codes[2]}": "不属本案"})
    html = _page(client, detail)
    assert _flashes(html) == [f"Case accepted; every item was rejected and stays with {w.police.name}."]
    assert handovers.get_handover(w.prosecutor, number).status == "partially_accepted"


def test_every_item_missing_is_said_before_and_after(client, as_user, w):
    number = w.checked(missing=w.codes)
    detail = f"/handovers/{number}"
    as_user(w.prosecutor)
    assert re.search(r'id="reject-all-warning">', _page(client, detail))
    _post(client, detail, f"{detail}/accept", {})
    assert _flashes(_page(client, detail)) == [
        f"Case accepted; every item was rejected and stays with {w.police.name}."
    ]


def test_accepting_from_a_stale_tab_says_it_was_already_decided(client, as_user, w):
    number = w.checked()
    detail = f"/handovers/{number}"
    as_user(w.prosecutor)
    token = csrf_from(_page(client, detail))
    handovers.accept_handover(w.chief, number)
    client.post(f"{detail}/accept", data={"csrf_token": token}, headers=EN)
    assert _flashes(_page(client, detail)) == ["This handover was already decided: it is Accepted. Reload the page."]


# --- the disposition form --------------------------------------------------------------------------------------


def test_a_refused_disposition_request_comes_back_as_typed(client, as_user, w):
    as_user(w.handler)
    typed = {
        "case_no": w.case.case_no,
        "items": w.codes[1:],
        "kind": "return_to_owner",
        "basis_doc_no": BASIS,
        "recipient": "",
        "reason": '判决发还 "原主"',
    }
    _post(client, _case(w), "/dispositions/new", typed)
    html = _page(client, _case(w))
    assert "Recipient: Say to whom the items go." in " ".join(_flashes(html))
    form = _form(html, "disposition-form")
    assert _ticked(form, "items") == w.codes[1:] and _selected(form, "kind") == "return_to_owner"
    assert _input(form, "basis_doc_no") == BASIS and _input(form, "recipient") == ""
    assert _textarea(form, "reason") == '判决发还 "原主"'
    form = _form(_page(client, _case(w)), "disposition-form")
    assert _ticked(form, "items") == [] and _selected(form, "kind") is None and _input(form, "basis_doc_no") == ""

    # Refused by the service (an item taken meanwhile): kept too; a success then leaves nothing.
    dispositions.request_disposition(w.handler, [w.codes[2]], "destroy", BASIS)
    _post(client, _case(w), "/dispositions/new", {**typed, "recipient": "王某"})
    form = _form(_page(client, _case(w)), "disposition-form")
    assert _input(form, "recipient") == "王某" and _selected(form, "kind") == "return_to_owner"
    _post(client, _case(w), "/dispositions/new", typed)  # refused again, the case page not opened since
    done = _post(client, _case(w), "/dispositions/new", {**typed, "kind": "destroy", "items": w.codes[:1]})
    assert "/dispositions/D" in done.headers["Location"]
    form = _form(_page(client, _case(w)), "disposition-form")
    assert _selected(form, "kind") is None and _input(form, "basis_doc_no") == ""


# --- the close form --------------------------------------------------------------------------------------------


def test_a_refused_close_comes_back_as_typed(client, as_user, w):
    as_user(w.handler)
    close = f"{_case(w)}/close"
    _post(client, _case(w), close, {"reason": "", "note": "已结案 & 归档"})
    html = _page(client, _case(w))
    assert _flashes(html) == ["Choose why the case is closed."]
    assert _textarea(_form(html, "close-form"), "note") == "已结案 & 归档"
    _post(client, _case(w), close, {"reason": "withdrawn", "note": "长" * 2001})
    html = _page(client, _case(w))
    assert _flashes(html) == ["Some entries are not valid."]
    form = _form(html, "close-form")
    assert _selected(form, "reason") == "withdrawn" and _textarea(form, "note") == "长" * 2001
    assert _textarea(_form(_page(client, _case(w)), "close-form"), "note") == ""


def test_close_is_not_offered_while_a_handover_is_open(client, as_user, w):
    as_user(w.handler)
    token = csrf_from(_page(client, _case(w)))
    number = w.requested()
    html = _page(client, _case(w))
    close = html.split('id="close"', 1)[1].split("</section>", 1)[0]
    assert 'id="close-form"' not in close
    assert f"Decide or cancel handover {number} before closing the case." in close
    client.post(f"{_case(w)}/close", data={"csrf_token": token, "reason": "withdrawn"}, headers=EN)
    said = _flashes(_page(client, _case(w)))
    assert said == ["A handover of this case is still open: it must be decided or cancelled first."]
    handovers.cancel_handover(w.handler, number)
    form = _form(_page(client, _case(w)), "close-form")
    assert _selected(form, "reason") is None  # read (and dropped) while the form was not shown


# --- the helper ------------------------------------------------------------------------------------------------


def test_a_form_too_large_for_the_cookie_keeps_its_texts_and_lets_its_ticks_default(app: Flask):
    codes = [uuid4().hex[:12] for _ in range(3000)]  # random, so that compressing them does not help
    with app.test_request_context("/", method="POST", data={"items": codes, "note": "备注", "csrf_token": "t"}):
        kept.keep("handover", "C1")
        assert kept.recall("other", "C1") == kept.KeptForm() and kept.recall("handover", "C2") == kept.KeptForm()
        typed = kept.recall("handover", "C1")
        assert typed and not typed.whole and typed.value("note") == "备注" and typed.value("csrf_token") == ""
        assert typed.ticked("items", codes[0], default=True) and typed.ticks("items") == []
        assert not kept.recall("handover", "C1") and kept.SESSION_KEY not in session
