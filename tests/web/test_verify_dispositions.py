"""/verify/<D-number>: what anyone holding a disposition record may learn, and whether an uploaded file is it.

The same page serves handovers' receipts (tests/web/test_verify_page.py); here the D-numbers, and that an
H-number still opens its receipt's page.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from custody.services import dispositions, handovers
from custody.web import verify
from tests.documents import pdfcheck
from tests.web.conftest import csrf_from
from tests.web.test_disposition_pages import BASIS, EN, DisposalWorld


@pytest.fixture
def w(make: Any) -> DisposalWorld:
    return DisposalWorld(make)


def _record(api: Any, user: Any, number: str) -> bytes:
    """The record as the API serves it (the first download records its SHA-256 in the ledger)."""
    response = api(user).get(f"/api/v1/dispositions/{number}/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.get_data()


def _upload(client: Any, number: str, data: bytes | None, name: str = "record.pdf") -> Any:
    """Post the file as the page's form does, its CSRF token included (the body built in memory)."""
    page = f"/verify/{number}"
    fields: dict[str, Any] = {"csrf_token": csrf_from(client.get(page).get_data(as_text=True))}
    if data is not None:
        fields["record"] = FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf")
    boundary, body = encode_multipart(fields)
    return client.post(page, data=body, content_type=f"multipart/form-data; boundary={boundary}", headers=EN)


def _verdict(html: str) -> tuple[str, str] | None:
    match = re.search(r'<div id="verdict" data-genuine="(true|false)"[^>]*>\s*<p><strong>([^<]+)</strong>', html)
    return (match[1], match[2]) if match else None


def test_a_number_without_a_disposition_is_404(w, client):
    for number in ("DNOPE", "D%00X"):
        response = client.get(f"/verify/{number}", headers=EN)
        assert response.status_code == 404, number
        page = response.get_data(as_text=True)
        assert "No handover and no disposition has the number" in page
        assert 'id="verify-form"' not in page


def test_a_disposition_not_yet_executed_exists_without_a_record(w, client):
    approved = w.approved_disposal()
    response = client.get(f"/verify/{approved}", headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"Disposition {approved} has no record" in page
    assert "handover" not in page.split("<main", 1)[-1].lower()  # not a handover's page
    assert 'id="verify-form"' not in page


def test_anyone_sees_the_summary_but_not_the_items(w, client):
    number = w.executed_disposal(kind="return_to_owner", recipient="Wang, the owner")
    response = client.get(f"/verify/{number.lower()}", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    done = dispositions.find_executed(number)
    assert done is not None and done.execution_hash
    for text in (
        number,
        w.police.name,
        "Return to owner",
        BASIS,
        "Wang, the owner",
        'id="verify-items">2<',
        'id="record-sha256">Not yet issued<',
        f'id="execution-hash">{done.execution_hash}<',
        f"No. {done.execution_seq}",
        "Disposition record (PDF, at most 3 MB)",
    ):
        assert text in page, text
    assert 'name="record"' in page and 'enctype="multipart/form-data"' in page
    assert 'id="verify-lines"' not in page and w.case.case_no not in page
    assert not any(code in page for code in w.codes)


def test_the_items_are_for_signed_in_users_who_may_see_the_disposition(w, make, login, client):
    number = w.executed_disposal()
    login(w.approver)
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert 'id="verify-lines"' in page and all(code in page for code in w.codes[:2])
    assert f'href="/dispositions/{number}"' in page and w.case.case_no in page

    client.post("/logout", data={"csrf_token": csrf_from(page)})
    login(make.user("handler", agency=make.agency("court")))  # an agency that never held the case
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert 'id="verify-lines"' not in page and w.case.case_no not in page and number in page


def test_the_served_record_is_genuine_and_a_changed_byte_is_not(w, api, client):
    number = w.executed_disposal()
    pdf = _record(api, w.handler, number)
    digest = hashlib.sha256(pdf).hexdigest()

    page = _upload(client, number, pdf).get_data(as_text=True)
    assert _verdict(page) == ("true", "Genuine: this is the disposition record the ledger recorded")
    assert f'id="uploaded-sha256">{digest}<' in page and f'id="record-sha256">{digest}<' in page

    changed = bytearray(pdf)
    changed[len(changed) // 2] ^= 0x01
    page = _upload(client, number, bytes(changed)).get_data(as_text=True)
    assert _verdict(page) == ("false", "Altered or not this disposition's record")
    assert f'id="record-sha256">{digest}<' in page


def test_before_any_record_is_issued_no_file_matches(w, client):
    number = w.executed_disposal()
    verdict = _verdict(_upload(client, number, b"%PDF-1.4 anything").get_data(as_text=True))
    assert verdict is not None and verdict[0] == "false" and "has been issued yet" in verdict[1]


def test_no_file_an_empty_one_or_a_huge_one_gets_a_readable_message(w, client):
    number = w.executed_disposal()
    for data, name, status, message in (
        (None, "", 422, "Choose the record&#39;s PDF file first."),
        (b"", "record.pdf", 422, "The file is empty."),
        (b"0" * (verify.receipt_limit(2) + 1), "big.pdf", 413, "larger than 3 MB: it is not the record"),
    ):
        response = _upload(client, number, data, name)
        page = response.get_data(as_text=True)
        assert response.status_code == status, name
        assert message in page and 'id="verify-problem"' in page and _verdict(page) is None


def test_a_request_over_the_upload_limit_is_answered_on_the_page(w, app: Flask, client, monkeypatch):
    number = w.executed_disposal()
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = _upload(client, number, b"%PDF" + b"0" * 128 * 1024)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than 1 MB: it is not the record of this disposition" in page and 'id="verify-form"' in page


def test_the_records_qr_code_opens_this_page(w, api, client):
    number = w.executed_disposal()
    [[url]] = pdfcheck.qr_payloads(_record(api, w.handler, number))[:1]
    assert url.endswith(f"/verify/{number}")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path, headers=EN).status_code == 200


def test_a_handovers_receipt_still_has_its_page(w, client):
    number = w.request(items=w.codes).number
    handovers.approve_handover(w.approver, number)
    handovers.check_presence(w.keeper, number, w.codes)
    handovers.accept_handover(w.prosecutor, number, [])
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert 'id="receipt-sha256"' in page and 'name="receipt"' in page and 'id="record-sha256"' not in page
