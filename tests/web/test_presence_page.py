"""The keeper's presence-check page: scan through the API or the plain form, then complete the check."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from custody.services import handovers
from tests.web.conftest import csrf_from
from tests.worlds import HandoverWorld as World

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(make: Any) -> World:
    return World(make)


def _flashes(client: FlaskClient, path: str) -> list[str]:
    page = client.get(path, headers=EN).get_data(as_text=True)
    return [re.sub(r"\s+", " ", m) for m in re.findall(r'<p class="flash [^"]+" role="[^"]+">([^<]*)</p>', page)]


def _presence(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-code="([^"]+)" data-name="[^"]*" data-presence="([^"]*)"', page))


def test_keeper_scans_through_the_api_and_the_page_shows_the_progress(world, login, client):
    number = world.approved()
    login(world.keeper)
    path = f"/handovers/{number}/presence"
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert number in page and world.case.case_no in page
    assert world.police.name in page and world.procuratorate.name in page
    assert 'id="scan-input"' in page and 'id="presence-progress">0 / 3<' in page
    assert f'data-scan-api="/api/v1/handovers/{number}/scans"' in page
    assert "js/scanner.js" in page and "js/presence.js" in page
    assert 'id="complete-form"' in page and 'id="mark-missing"' in page and 'id="complete-check"' in page
    assert _presence(page) == dict.fromkeys(world.codes, "")

    # What presence.js does: the session cookie and the page's CSRF token, one code a request.
    headers = {"X-CSRFToken": csrf_from(page)}
    answer = client.post(f"/api/v1/handovers/{number}/scans", json={"code": world.codes[1]}, headers=headers)
    assert answer.status_code == 200
    assert answer.get_json() == {"code": world.codes[1], "result": "present", "checked": 1, "total": 3}
    again = client.post(f"/api/v1/handovers/{number}/scans", json={"code": world.codes[1].lower()}, headers=headers)
    assert again.get_json()["result"] == "duplicate"

    page = client.get(path, headers=EN).get_data(as_text=True)
    assert 'id="presence-progress">1 / 3<' in page and '<progress id="presence-bar" max="3" value="1">' in page
    assert _presence(page) == {world.codes[0]: "", world.codes[1]: "present", world.codes[2]: ""}


def test_scanning_without_javascript_says_what_each_scan_was(world, make, login, client, post_form):
    number = world.approved()
    stranger = make.stored_items(world.handler, world.keeper, world.shelf, 1)[0]  # another case's item
    login(world.keeper)
    path = f"/handovers/{number}/presence"
    said = []
    scans = (world.codes[0], f"http://custody.test/s/{world.codes[0]}", stranger.code, "NOT-A-CODE", world.shelf.code)
    for code in (*scans, number):
        response = post_form(path, {"code": code}, to=f"{path}/scan", headers=EN)
        assert response.status_code == 302 and response.headers["Location"] == path
        said += _flashes(client, path)
    assert said == [
        f"{world.codes[0]} is present (1 / 3).",
        f"{world.codes[0]} was already scanned (1 / 3).",
        f"{stranger.code} is not in this handover.",
        "This is not a code of this system.",
        "This is not an item label.",  # a shelf's label
        "This is not an item label.",  # the handover's own number
    ]
    assert _presence(client.get(path).get_data(as_text=True))[world.codes[0]] == "present"


def test_an_item_never_taken_in_is_not_found_present(world, make, login, client, post_form):
    waiting = make.items(world.handler, world.case, 1)[0]  # registered, never on a shelf
    number = world.approved()
    login(world.keeper)
    path = f"/handovers/{number}/presence"
    post_form(path, {"code": waiting.code}, to=f"{path}/scan", headers=EN)
    said = _flashes(client, path)
    assert said == [f"{waiting.code} is not on a shelf of the centre (never taken in): mark it missing."]
    assert _presence(client.get(path).get_data(as_text=True)).get(waiting.code) != "present"


def test_completing_after_every_item_is_scanned(world, login, client, post_form):
    number = world.approved()
    for code in world.codes:
        handovers.scan_present(world.keeper, number, code)
    login(world.keeper)
    path = f"/handovers/{number}/presence"
    response = post_form(path, {}, headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == f"/handovers/{number}"
    done = handovers.get_handover(world.keeper, number)
    assert done.status == "checked" and {line.presence for line in done.lines} == {"present"}
    assert done.checked_by_id == world.keeper.id
    assert {line.location for line in done.lines} == {world.shelf.code}


def test_completing_with_the_unscanned_items_marked_missing(world, login, client, post_form):
    number = world.approved()
    handovers.scan_present(world.keeper, number, world.codes[0])
    login(world.keeper)
    path = f"/handovers/{number}/presence"
    response = post_form(path, {"mark_missing": "1"}, headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == f"/handovers/{number}"
    done = handovers.get_handover(world.keeper, number)
    assert done.status == "checked"
    assert {line.item.code: line.presence for line in done.lines} == {
        world.codes[0]: "present",
        world.codes[1]: "missing",
        world.codes[2]: "missing",
    }
    # The page now shows the check as done, read-only.
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert 'id="scan-input"' not in page and 'id="complete-form"' not in page and 'id="not-waiting"' in page
    assert _presence(page) == {world.codes[0]: "present", world.codes[1]: "missing", world.codes[2]: "missing"}


def test_unaccounted_items_are_named_and_nothing_is_recorded(world, login, client, post_form):
    number = world.approved()
    handovers.scan_present(world.keeper, number, world.codes[1])
    login(world.keeper)
    path = f"/handovers/{number}/presence"
    response = post_form(path, {}, headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == path
    (message,) = _flashes(client, path)
    assert message.startswith("Not scanned and not marked missing: ")
    assert world.codes[0] in message and world.codes[2] in message and world.codes[1] not in message
    assert "Mark the items not scanned as missing" in message
    assert handovers.get_handover(world.keeper, number).status == "approved"


def test_only_keepers_use_the_page(world, make, login, client):
    number = world.approved()
    path = f"/handovers/{number}/presence"
    assert client.get(path).status_code == 302  # signed out: to the sign-in page
    login(world.handler)
    token = csrf_from(client.get("/", headers=EN).get_data(as_text=True))
    assert client.get(path).status_code == 403
    assert client.post(f"{path}/scan", data={"csrf_token": token, "code": world.codes[0]}).status_code == 403
    assert client.post(path, data={"csrf_token": token, "mark_missing": "1"}).status_code == 403
    assert handovers.get_handover(world.keeper, number).status == "approved"
    assert handovers.progress(handovers.get_handover(world.keeper, number)) == (0, 3)


def test_a_keeper_gets_not_found_for_a_number_that_is_no_handover(world, login, client):
    login(world.keeper)
    assert client.get("/handovers/HNOPE/presence").status_code == 404


def test_a_handover_not_waiting_for_a_check_is_refused_readably(world, login, client, post_form):
    requested = world.requested()
    login(world.keeper)
    path = f"/handovers/{requested}/presence"
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert 'id="scan-input"' not in page and "js/presence.js" not in page
    assert f"Handover {requested} is not waiting for a presence check: it is Requested." in page

    token = csrf_from(page)
    response = client.post(f"{path}/scan", data={"csrf_token": token, "code": world.codes[0]}, headers=EN)
    assert response.status_code == 302
    assert _flashes(client, path) == [f"Handover {requested} is not waiting for a presence check: it is Requested."]
    response = client.post(path, data={"csrf_token": token, "mark_missing": "1"}, headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == path
    assert _flashes(client, path) == [f"Handover {requested} is not waiting for a presence check: it is Requested."]
    assert handovers.get_handover(world.keeper, requested).status == "requested"
