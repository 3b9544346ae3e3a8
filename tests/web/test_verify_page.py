"""The public verification page: what anyone holding a receipt may learn, and whether an uploaded file is it."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from custody.services import handovers
from custody.web import verify
from tests.web.conftest import csrf_from
from tests.web.test_presence_page import EN
from tests.worlds import HandoverWorld as World


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def _receipt(api: Any, user: Any, number: str) -> bytes:
    """The receipt as the API serves it (the first download records its SHA-256 in the ledger)."""
    response = api(user).get(f"/api/v1/handovers/{number}/receipt.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.get_data()


def _upload(client: Any, number: str, data: bytes | None, name: str = "receipt.pdf") -> Any:
    """Post the file as the page's form does, its CSRF token included.

    The body is built in memory: werkzeug's test client spools a big multipart body to a temporary file
    that it leaves open unless redirects are followed.
    """
    page = f"/verify/{number}"
    fields: dict[str, Any] = {"csrf_token": csrf_from(client.get(page).get_data(as_text=True))}
    if data is not None:
        fields["receipt"] = FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf")
    boundary, body = encode_multipart(fields)
    return client.post(page, data=body, content_type=f"multipart/form-data; boundary={boundary}", headers=EN)


def _verdict(html: str) -> tuple[str, str] | None:
    match = re.search(r'<div id="verdict" data-genuine="(true|false)"[^>]*>\s*<p><strong>([^<]+)</strong>', html)
    return (match[1], match[2]) if match else None


def test_a_number_without_a_handover_is_404(world, client):
    for number in ("HNOPE", "H%00X"):
        response = client.get(f"/verify/{number}", headers=EN)
        assert response.status_code == 404
        assert "No handover and no disposition has the number" in response.get_data(as_text=True)
        assert 'id="verify-form"' not in response.get_data(as_text=True)


def test_an_open_or_cancelled_handover_exists_without_a_receipt(world, client, login, make):
    """The page says whether the handover exists; its parties and items stay with those who may see it."""
    open_one = world.approved()
    page = client.get(f"/verify/{open_one}", headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f"Handover {open_one} has no receipt" in text and "Approved" in text
    assert 'id="verify-form"' not in text and world.police.name not in text and 'id="open-it"' not in text
    handovers.cancel_handover(world.handler, open_one)
    assert "It was cancelled" in client.get(f"/verify/{open_one}", headers=EN).get_data(as_text=True)
    login(world.handler)
    assert 'id="open-it"' in client.get(f"/verify/{open_one}", headers=EN).get_data(as_text=True)


def test_anyone_sees_the_summary_but_not_the_items(world, client):
    number = world.decided(reject=None)
    response = client.get(f"/verify/{number.lower()}", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (
        number,
        world.police.name,
        world.procuratorate.name,
        "Transfer for prosecution review",
        "Accepted",
        'id="verify-items">3<',
        'id="receipt-sha256">Not yet issued<',
        "Receipt (PDF, at most 3 MB)",
    ):
        assert text in page, text
    decided = handovers.find_decided(number)
    assert decided is not None and decided.decision_hash
    assert f'id="decision-hash">{decided.decision_hash}<' in page and f"No. {decided.decision_seq}" in page
    assert 'id="verify-form"' in page and 'enctype="multipart/form-data"' in page and 'name="receipt"' in page
    assert 'id="verify-lines"' not in page and world.case.case_no not in page
    assert not any(code in page for code in world.codes)


def test_the_items_are_for_signed_in_users_who_may_see_the_handover(world, make, login, client):
    number = world.decided(reject=world.codes[2])
    login(world.prosecutor)
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert 'id="verify-lines"' in page and all(code in page for code in world.codes)
    assert "Rejected: not evidence" in page and "Partly accepted" in page
    assert f'href="/handovers/{number}"' in page and world.case.case_no in page

    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page)[1]})
    login(make.user("handler", agency=make.agency("police")))  # a third agency: neither side of the handover
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert 'id="verify-lines"' not in page and world.case.case_no not in page and number in page


def test_the_served_receipt_is_genuine_and_a_changed_byte_is_not(world, api, client):
    number = world.decided(reject=world.codes[2])
    pdf = _receipt(api, world.prosecutor, number)
    assert pdf.startswith(b"%PDF")
    digest = hashlib.sha256(pdf).hexdigest()

    response = _upload(client, number, pdf)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _verdict(page) == ("true", "Genuine: this is the receipt the ledger recorded")
    assert f'id="uploaded-sha256">{digest}<' in page and f'id="receipt-sha256">{digest}<' in page

    changed = bytearray(pdf)
    changed[len(changed) // 2] ^= 0x01
    page = _upload(client, number, bytes(changed)).get_data(as_text=True)
    assert _verdict(page) == ("false", "Altered or not this handover's receipt")
    assert f'id="uploaded-sha256">{hashlib.sha256(changed).hexdigest()}<' in page
    assert f'id="receipt-sha256">{digest}<' in page


def test_before_any_receipt_is_issued_no_file_matches(world, client):
    number = world.decided()
    page = _upload(client, number, b"%PDF-1.4 anything").get_data(as_text=True)
    verdict = _verdict(page)
    assert verdict is not None and verdict[0] == "false" and "has been issued yet" in verdict[1]


def test_no_file_an_empty_one_or_a_huge_one_gets_a_readable_message(world, client):
    number = world.decided()
    for data, name, status, message in (
        (None, "", 422, "Choose the receipt&#39;s PDF file first."),
        (b"", "receipt.pdf", 422, "The file is empty."),
        (b"0" * (verify.receipt_limit(3) + 1), "big.pdf", 413, "larger than 3 MB: it is not the receipt"),
    ):
        response = _upload(client, number, data, name)
        page = response.get_data(as_text=True)
        assert response.status_code == status, name
        assert message in page and 'id="verify-problem"' in page and _verdict(page) is None


def test_a_request_over_the_upload_limit_is_answered_on_the_page(world, app: Flask, client, monkeypatch):
    number = world.decided()
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = _upload(client, number, b"%PDF" + b"0" * 128 * 1024)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than 1 MB: it is not the receipt" in page and 'id="verify-form"' in page


def test_an_upload_without_the_forms_token_is_refused(world, client):
    number = world.decided()
    response = client.post(f"/verify/{number}", data={"receipt": (io.BytesIO(b"%PDF"), "r.pdf")}, headers=EN)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
