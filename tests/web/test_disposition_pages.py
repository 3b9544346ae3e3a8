"""Disposition pages: the request form on the case page and its refusals, the lists, each step through its
form (approve, cancel), the keeper's scanning page without JavaScript (scan, duplicate, strangers, execute),
the record PDF, and who may not see a disposition (404) or take a step (403).

The scanning page with JavaScript is driven in tests/browser/test_disposition_journey.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from custody.extensions import db
from custody.models import Disposition, Item
from custody.services import dispositions, handovers
from tests.documents import pdfcheck
from tests.web.conftest import csrf_from
from tests.worlds import HandoverWorld

EN = {"Accept-Language": "en"}
BASIS = "(2026) Chaoyang Criminal Judgment No. 88"


class DisposalWorld(HandoverWorld):
    """HandoverWorld's cast, with a perishable item of the same case on the same shelf and disposal steps."""

    def __init__(self, make: Any) -> None:
        super().__init__(make)
        self.fish = make.stored_items(
            self.handler, self.keeper, self.shelf, 1, case=self.case, name="Frozen fish", flags=["perishable"]
        )[0]

    def requested_disposal(self, items: list[str] | None = None, kind: str = "destroy", **kw: Any) -> str:
        kw.setdefault("recipient", "Zhang San" if kind in ("return_to_owner", "transfer_out") else None)
        chosen = items or self.codes[:2]
        return dispositions.request_disposition(self.handler, chosen, kind, BASIS, **kw).number

    def approved_disposal(self, **kw: Any) -> str:
        number = self.requested_disposal(**kw)
        dispositions.approve_disposition(self.approver, number)
        return number

    def executed_disposal(self, **kw: Any) -> str:
        number = self.approved_disposal(**kw)
        for code in dispositions.line_codes(dispositions.get_disposition(self.keeper, number).id):
            dispositions.scan_out(self.keeper, number, code)
        dispositions.execute_disposition(self.keeper, number)
        return number


@pytest.fixture
def w(make: Any) -> DisposalWorld:
    return DisposalWorld(make)



def _page(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path, headers=EN)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def _post(client: Any, page: str, to: str, data: dict[str, Any] | None = None) -> Any:
    """Open ``page`` like a browser and post its form to ``to``; returns the response (a redirect)."""
    token = csrf_from(_page(client, page))
    response = client.post(to, data={"csrf_token": token, **(data or {})}, headers=EN)
    assert response.status_code == 302, (to, response.status_code, response.get_data(as_text=True)[:500])
    return response


def _flashes(client: Any, path: str) -> list[str]:
    html = _page(client, path)
    return [re.sub(r"\s+", " ", m) for m in re.findall(r'<p class="flash (?:error|ok|info)"[^>]*>([^<]*)</p>', html)]


def _section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def _status(number: str) -> str:
    db.session.rollback()
    return db.session.scalar(select(Disposition.status).where(Disposition.number == number)) or ""


def _request(client: Any, w: DisposalWorld, **fields: Any) -> Any:
    case_page = f"/cases/{w.case.case_no}"
    data = {"case_no": w.case.case_no, "kind": "destroy", "basis_doc_no": BASIS, **fields}
    return _post(client, case_page, "/dispositions/new", data)


# --- the request form on the case page ---------------------------------------------------------------------------


def test_the_case_page_offers_the_request_form_to_the_custodians_handlers_only(client, as_user, w):
    as_user(w.handler)
    form = _section(_page(client, f"/cases/{w.case.case_no}"), "disposition")
    assert 'id="disposition-form"' in form
    assert all(f'value="{code}"' in form for code in [*w.codes, w.fish.code])
    assert 'data-perishable="true"' in form and 'value="early_sale"' in form  # a perishable item: early sale offered
    for kind in ("return_to_owner", "confiscate", "auction", "destroy", "transfer_out"):
        assert f'value="{kind}"' in form
    for user in (w.approver, w.auditor, w.prosecutor):  # (keepers do not see case pages)
        as_user(user)
        html = _page(client, f"/cases/{w.case.case_no}", 404 if user is w.prosecutor else 200)
        assert 'id="disposition-form"' not in html, user.username


def test_early_sale_is_not_offered_when_no_listed_item_is_perishable(client, as_user, w):
    dispositions.request_disposition(w.handler, [w.fish.code], "destroy", BASIS)  # the fish is taken
    as_user(w.handler)
    form = _section(_page(client, f"/cases/{w.case.case_no}"), "disposition")
    assert 'value="early_sale"' not in form and f'value="{w.fish.code}"' not in form
    assert "disposition-link" in form  # the open one is listed below the form


def test_requesting_from_the_case_page_leads_to_the_disposition(client, as_user, w):
    as_user(w.handler)
    response = _request(client, w, items=w.codes[:2], kind="return_to_owner", recipient="Wang, the owner")
    number = response.headers["Location"].rsplit("/", 1)[-1]
    assert number.startswith("D") and _status(number) == "requested"
    assert any(
        "requested; an approver of your agency approves it next" in f
        for f in _flashes(client, f"/dispositions/{number}")
    )
    html = _page(client, f"/dispositions/{number}")
    assert BASIS in html and "Wang, the owner" in html and "Return to owner" in html
    assert all(f'data-code="{code}"' in html for code in w.codes[:2]) and w.codes[2] not in html
    assert 'id="approve"' not in html and 'id="cancel"' in html  # a handler cancels but does not approve


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"items": []}, "Tick at least one item to dispose of."),
        ({"kind": ""}, "Choose the kind of disposition."),
        ({"basis_doc_no": ""}, "Legal basis (document number):"),
        ({"kind": "return_to_owner"}, "Recipient: Say to whom the items go."),
        (
            {"kind": "early_sale", "reason": "Thawing"},
            "is neither perishable nor depreciating: an early sale is only for such items.",
        ),
        ({"kind": "early_sale"}, "Reason: Say why the items must be sold before judgment."),
        ({"basis_doc_no": "x" * 101}, "Legal basis (document number): Required, at most 100 characters."),
    ],
)
def test_a_refused_request_goes_back_to_the_case_page_saying_why(client, as_user, w, fields, said):
    as_user(w.handler)
    response = _request(client, w, **{"items": w.codes[:1], **fields})
    assert response.headers["Location"].endswith(f"/cases/{w.case.case_no}#disposition".replace("〔", "%E3%80%94"))
    flashes = " ".join(_flashes(client, f"/cases/{w.case.case_no}"))
    assert said in flashes, flashes
    assert db.session.scalar(select(Disposition.id)) is None


def test_items_already_in_a_disposition_are_named(client, as_user, w):
    taken = w.requested_disposal(items=[w.codes[0]])
    as_user(w.handler)
    _request(client, w, items=[w.codes[0], w.codes[1]])
    flashes = " ".join(_flashes(client, f"/cases/{w.case.case_no}"))
    assert f"{w.codes[0]} is already in disposition {taken}." in flashes


# --- the lists ------------------------------------------------------------------------------------------------


def test_the_lists_show_what_waits_for_approval_and_execution_and_what_was_done(client, as_user, w):
    waiting = w.requested_disposal(items=[w.codes[0]])
    approved = w.approved_disposal(items=[w.codes[1]])
    done = w.executed_disposal(items=[w.codes[2]])
    as_user(w.approver)
    html = _page(client, "/dispositions")
    assert waiting in _section(html, "to-approve") and "your-step" in _section(html, "to-approve")
    assert approved in _section(html, "to-execute") and "your-step" not in _section(html, "to-execute")
    assert done in _section(html, "recent") and waiting not in _section(html, "recent")

    as_user(w.keeper)
    html = _page(client, "/dispositions")
    assert approved in _section(html, "to-execute") and "your-step" in _section(html, "to-execute")
    everything = _page(client, "/dispositions?all=1")
    assert all(n in everything for n in (waiting, approved, done))
    assert done in _page(client, "/dispositions?all=1&status=executed")
    assert waiting not in _page(client, "/dispositions?all=1&status=executed")

    as_user(w.judge)  # a court that never held the case sees none of them
    html = _page(client, "/dispositions")
    assert not any(n in html for n in (waiting, approved, done))


def test_the_nav_links_the_lists_for_the_roles_that_use_them(client, as_user, w, make):
    for user in (w.handler, w.approver, w.keeper, w.auditor):
        as_user(user)
        assert 'href="/dispositions"' in _page(client, "/")
    as_user(make.user("admin"))
    assert 'href="/dispositions"' not in _page(client, "/")


# --- one disposition: approve, cancel, who may see it ------------------------------------------------------------


def test_the_approver_approves_on_the_page(client, as_user, w):
    number = w.requested_disposal()
    as_user(w.approver)
    html = _page(client, f"/dispositions/{number}")
    assert 'id="approve"' in html and "Waiting for approval by an approver of" in html
    _post(client, f"/dispositions/{number}", f"/dispositions/{number}/approve")
    assert _status(number) == "approved"
    html = _page(client, f"/dispositions/{number}")
    assert "Disposition approved" in html and 'id="approve"' not in html
    assert "Waiting for a keeper of the centre to scan the items out and execute (0 of 2 scanned out)" in html

    _post(client, f"/dispositions/{number}", f"/dispositions/{number}/approve", {})  # twice: a readable refusal
    assert "Not possible now: the disposition is Approved." in _flashes(client, f"/dispositions/{number}")


def test_cancelling_frees_the_items(client, as_user, w):
    number = w.approved_disposal()
    as_user(w.handler)
    _post(client, f"/dispositions/{number}", f"/dispositions/{number}/cancel", {"reason": "Appeal lodged"})
    assert _status(number) == "cancelled"
    html = _page(client, f"/dispositions/{number}")
    assert "Disposition cancelled; its items stay in storage." in html and 'id="cancel"' not in html
    assert f'value="{w.codes[0]}"' in _section(_page(client, f"/cases/{w.case.case_no}"), "disposition")


def test_another_agency_gets_a_404_and_a_keeper_may_not_approve(client, as_user, w, make):
    number = w.requested_disposal()
    stranger = make.user("approver", agency=make.agency("police"))
    as_user(stranger)
    assert "Not found, or you may not see it." in _page(client, f"/dispositions/{number}", 404)
    token = csrf_from(_page(client, "/dispositions"))
    for step in ("approve", "cancel"):
        response = client.post(f"/dispositions/{number}/{step}", data={"csrf_token": token}, headers=EN)
        assert response.status_code == 404, step
    _page(client, f"/dispositions/{number}/execute", 404)
    _page(client, "/dispositions/DNOTHING", 404)
    assert _status(number) == "requested"

    as_user(w.keeper)  # sees it (to execute it later) but may not approve it
    html = _page(client, f"/dispositions/{number}")
    assert 'id="approve"' not in html and 'id="execute"' not in html
    _post(client, f"/dispositions/{number}", f"/dispositions/{number}/approve")
    assert "You are not allowed to do this." in _flashes(client, f"/dispositions/{number}")
    assert _status(number) == "requested"


def test_the_custodian_not_the_holder_asks_and_only_its_approver_approves(client, as_user, w):
    """An item rejected in a handover stays with the police while the procuratorate holds the case."""
    handover = w.request(items=w.codes).number  # the fish stays with the police too: not in the handover
    handovers.approve_handover(w.approver, handover)
    handovers.check_presence(w.keeper, handover, w.codes)
    handovers.accept_handover(w.prosecutor, handover, [{"code": w.codes[2], "reason": "not evidence"}])
    as_user(w.handler)
    form = _section(_page(client, f"/cases/{w.case.case_no}"), "disposition")
    assert f'value="{w.codes[2]}"' in form and not any(f'value="{c}"' in form for c in w.codes[:2])
    _request(client, w, items=[w.codes[2]])
    number = dispositions.list_dispositions(w.handler).items[0].number

    as_user(w.prosecutor)  # the holder's handler is offered the items it answers for
    form = _section(_page(client, f"/cases/{w.case.case_no}"), "disposition")
    assert all(f'value="{c}"' in form for c in w.codes[:2]) and f'value="{w.codes[2]}"' not in form

    as_user(w.chief)  # sees the police's disposition of an item of its case, may not approve it
    assert 'id="approve"' not in _page(client, f"/dispositions/{number}")
    _post(client, f"/dispositions/{number}", f"/dispositions/{number}/approve")
    assert f"Only {w.police.code} may take this step of the disposition." in _flashes(client, f"/dispositions/{number}")
    assert _status(number) == "requested"


# --- the keeper's scanning page without JavaScript --------------------------------------------------------------


def test_the_keeper_scans_the_items_out_and_executes(client, as_user, w):
    number = w.approved_disposal()
    first, second = w.codes[:2]
    as_user(w.keeper)
    html = _page(client, f"/dispositions/{number}")
    assert f'href="/dispositions/{number}/execute"' in html
    page = f"/dispositions/{number}/execute"
    html = _page(client, page)
    assert 'id="execute-progress">0 / 2<' in html and 'data-scan-api="/api/v1/dispositions/' in html
    assert "Shelf A" in html  # where the keeper finds each item

    scan = f"/dispositions/{number}/execute/scan"
    _post(client, page, scan, {"code": first.lower()})
    assert f"{first} scanned out (1 / 2)." in _flashes(client, page)
    _post(client, page, scan, {"code": first})
    assert f"{first} was already scanned out (1 / 2)." in _flashes(client, page)
    _post(client, page, scan, {"code": w.codes[2]})
    assert f"{w.codes[2]} is not in this disposition." in _flashes(client, page)
    _post(client, page, scan, {"code": "NOT-A-CODE"})
    assert "This is not a code of this system." in _flashes(client, page)

    _post(client, page, page)  # executing before every item is scanned out: refused, naming what is left
    said = " ".join(_flashes(client, page))
    assert "do not match the disposition" in said and f"Not scanned out yet: {second}." in said
    assert _status(number) == "approved"

    _post(client, page, scan, {"code": f"http://custody.test/s/{second}"})
    assert 'id="execute-progress">2 / 2<' in _page(client, page)
    response = _post(client, page, page)
    assert response.headers["Location"].endswith(f"/dispositions/{number}")
    assert _status(number) == "executed"
    html = _page(client, f"/dispositions/{number}")
    assert "2 items have left the centre and are disposed of" in html
    assert 'id="record"' in html and f'href="/verify/{number}"' in html and 'id="execution-entry"' in html
    db.session.expire_all()
    statuses = set(db.session.scalars(select(Item.status).where(Item.code.in_([first, second]))))
    assert statuses == {"disposed"}

    _post(client, f"/dispositions/{number}", scan, {"code": first})  # the page after the fact says why not
    assert "is not waiting to be executed: it is Executed." in " ".join(_flashes(client, page))
    assert 'id="not-waiting"' in _page(client, page) and 'id="scan-input"' not in _page(client, page)


def test_only_a_centre_keeper_opens_the_scanning_page(client, as_user, w):
    number = w.approved_disposal()
    as_user(w.handler)  # sees the disposition, may not execute it
    assert "You are not allowed to do this." in _page(client, f"/dispositions/{number}/execute", 403)
    token = csrf_from(_page(client, f"/dispositions/{number}"))
    response = client.post(f"/dispositions/{number}/execute", data={"csrf_token": token}, headers=EN)
    assert response.status_code == 403 and _status(number) == "approved"


# --- the record ---------------------------------------------------------------------------------------------


def test_the_record_downloads_once_executed(client, as_user, w):
    pending = w.approved_disposal(items=[w.codes[0]])
    number = w.executed_disposal(items=[w.codes[1]])
    as_user(w.handler)
    response = client.get(f"/dispositions/{number}/record.pdf", headers=EN)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdfcheck.text(response.get_data())
    assert number in text and "处置清单" in text and w.codes[1] in re.sub(r"\s+", "", text)
    assert dispositions.get_disposition(w.handler, number).record_sha256
    assert 'id="record-hash"' in _page(client, f"/dispositions/{number}")

    response = client.get(f"/dispositions/{pending}/record.pdf", headers=EN)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/dispositions/{pending}")
    assert "Not possible now: the disposition is Approved." in " ".join(_flashes(client, f"/dispositions/{pending}"))


def test_the_pages_render_in_chinese(client, as_user, w):
    number = w.approved_disposal()
    as_user(w.keeper)
    for path in ("/dispositions", f"/dispositions/{number}", f"/dispositions/{number}/execute"):
        assert client.get(path).status_code == 200, path


def test_the_dashboard_counts_what_waits_for_each_step(w: DisposalWorld, as_user: Any, make: Any) -> None:
    w.requested_disposal(items=[w.codes[0]])
    w.approved_disposal(items=[w.codes[1]])

    def panel(user: Any) -> dict[str, int]:
        page = as_user(user).get("/", headers=EN).get_data(as_text=True)
        return {step: int(n) for step, n in re.findall(r'id="dispositions-([a-z-]+)">(\d+)<', page)}

    assert panel(w.approver) == {"to-approve": 1}
    assert panel(w.keeper) == {"to-execute": 1}
    assert panel(w.handler) == {}  # the handler requests; nothing waits for a handler's step
    assert panel(make.user("approver")) == {"to-approve": 0}  # another agency's approver
