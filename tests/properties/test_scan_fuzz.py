"""Fuzzing the scan endpoint end to end (API.md "Scanning"): whatever a scanner types, the answer is the contract's.

Arbitrary text gets 404 ``unknown_code`` or 422 ``malformed_code`` / ``bad_check_character`` as
problem+json, never a 500 (PostgreSQL refuses NUL in text: a lookup must not send it there); every
form a label's code takes (case, whitespace, its URL) opens the item.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody import codes
from tests.properties._settings import examples
from tests.properties.test_codes_fuzz import WHITESPACE, case_forms, label_urls

ANSWERS = {404: {"unknown_code"}, 422: {"malformed_code", "bad_check_character"}}


@pytest.fixture
def scanner(api: Any, make: Any) -> tuple[Any, str, str]:
    """A centre keeper's client, the code of one stored item, and a centre's own shelf code (no check character)."""
    keeper = make.keeper()
    handler = make.user("handler")
    shelf = make.location(keeper, name="Shelf")
    item = make.stored_items(handler, keeper, shelf, 1)[0]
    response = api(keeper).post("/api/v1/locations", json={"code": "WH-A", "name": "A", "kind": "warehouse"})
    assert response.status_code == 201
    return api(keeper), item.code, shelf.code


def scan(client: Any, raw: str) -> Any:
    return client.get("/api/v1/scan", query_string={"code": raw})


@given(raw=st.text(max_size=60) | st.text(st.sampled_from(codes.ALPHABET + "/:?#%sS \x00"), max_size=30))
@examples(300)
def test_any_scanned_text_gets_an_answer_of_the_contract(scanner: tuple[Any, str, str], raw: str) -> None:
    client, _item, _shelf = scanner
    response = scan(client, raw)
    if response.status_code == 200:  # only our own objects resolve
        assert response.get_json()["kind"] in {"item", "location"}
        return
    assert response.status_code in ANSWERS, (raw, response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] in ANSWERS[response.status_code]


@given(data=st.data())
@examples(200)
def test_every_form_of_a_label_opens_its_item(scanner: tuple[Any, str, str], data: st.DataObject) -> None:
    client, item, shelf = scanner
    code = data.draw(st.sampled_from([item, shelf]), label="code")
    form = data.draw(st.one_of(case_forms(code), label_urls(code)), label="form")
    raw = data.draw(WHITESPACE, label="before") + form + data.draw(WHITESPACE, label="after")
    response = scan(client, raw)
    assert response.status_code == 200, (raw, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert (body["kind"], body["code"]) == ("item" if code == item else "location", code)


@given(data=st.data())
@examples(200)
def test_a_mistyped_label_never_opens_anything(scanner: tuple[Any, str, str], data: st.DataObject) -> None:
    """One symbol changed, or two neighbours swapped: 422 ``bad_check_character`` (or malformed), never 200 or 404."""
    client, item, _shelf = scanner
    at = data.draw(st.integers(0, len(item) - 1), label="position")
    if at < len(item) - 1 and data.draw(st.booleans(), label="swap") and item[at] != item[at + 1]:
        typo = item[:at] + item[at + 1] + item[at] + item[at + 2 :]
    else:
        typo = (
            item[:at] + data.draw(st.sampled_from(codes.ALPHABET[:-1]).filter(lambda c: c != item[at])) + item[at + 1 :]
        )
    response = scan(client, typo)
    assert response.status_code == 422, (typo, response.get_data(as_text=True)[:300])
    assert response.get_json()["code"] in ANSWERS[422]
