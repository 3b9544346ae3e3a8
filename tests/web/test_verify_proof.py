"""The ledger proof on /verify/<number>: the bundle checked server-side, as an agency would check it offline."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import update

from custody.extensions import db
from custody.ledger.keys import log_key
from custody.models import LedgerEntry
from custody.services import handovers
from custody.services.uow import unit_of_work
from tests.services.test_dispositions import DispositionWorld
from tests.web.test_presence_page import EN


@pytest.fixture
def world(make: Any) -> DispositionWorld:
    return DispositionWorld(make)


def facts(page: str) -> dict[str, str]:
    """The proof section's values and data-ok flags, by element id."""
    section = re.search(r'<section [^>]*id="proof".*?</section>', page, re.S)
    assert section, "no proof section"
    found = {"ok": re.search(r'id="proof" data-ok="(\w+)"', section[0])[1]}  # type: ignore[index]
    for name in ("size", "signed", "witnessed", "included"):
        match = re.search(rf'id="proof-{name}"(?: data-ok="(\w+)")?>\s*([^<]*)<', section[0])
        assert match, name
        found[name] = match[2].strip()
        if match[1]:
            found[f"{name}_ok"] = match[1]
    return found


def test_anyone_sees_the_proof_checked_but_not_the_bundle(world: DispositionWorld, client: Any) -> None:
    number = world.decided()
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    shown = facts(page)
    db.session.rollback()
    decided = handovers.find_decided(number)
    assert decided is not None and decided.decision_seq is not None
    assert shown["ok"] == "true" and shown["signed_ok"] == "true" and shown["included_ok"] == "true"
    assert shown["signed"] == "Valid" and shown["included"] == "Every entry is in the log"
    assert int(shown["size"].split()[0]) >= decided.decision_seq
    assert shown["witnessed_ok"] == "true" and shown["witnessed"] == "No witnesses are configured"
    assert "Proof verified" in page and log_key().verifier.text() in page
    assert f"entry {decided.decision_seq} (handover.accepted): in the log" in page
    assert "custody verify-proof" in page
    assert 'id="proof-download"' not in page  # the bundle carries entry bodies: not for anyone
    assert world.case.case_no not in page


def test_the_download_is_for_signed_in_users_who_may_see_the_handover(
    world: DispositionWorld, make: Any, login: Any, client: Any
) -> None:
    number = world.decided()
    login(world.prosecutor)
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" download="([^"]+)" id="proof-download">', page)
    assert link and link[1] == f"/api/v1/handovers/{number}/proof" and link[2] == f"proof-{number}.json"
    bundle = client.get(link[1])  # the session cookie is enough for the API
    assert bundle.status_code == 200 and bundle.get_json()["subject"] == {"kind": "handover", "number": number}

    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page)[1]})  # type: ignore[index]
    login(make.user("handler", agency=make.agency("police")))  # neither side of the handover
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert facts(page)["ok"] == "true" and 'id="proof-download"' not in page


def test_a_body_changed_behind_the_logs_back_fails_the_proof(world: DispositionWorld, client: Any) -> None:
    number = world.decided()
    decided = handovers.find_decided(number)
    assert decided is not None and decided.decision_seq is not None
    with unit_of_work():
        body = db.session.get(LedgerEntry, decided.decision_seq).body  # type: ignore[union-attr]
        db.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.seq == decided.decision_seq)
            .values(body=body.replace('"accepted"', '"rejected"', 1) if '"accepted"' in body else body + " ")
        )
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    shown = facts(page)
    assert shown["ok"] == "false" and shown["included_ok"] == "false" and shown["signed_ok"] == "true"
    assert "The proof does not check out" in page and f"FAIL  entry {decided.decision_seq}" in page


def test_an_executed_dispositions_page_shows_its_proof(world: DispositionWorld, client: Any, login: Any) -> None:
    number = world.executed_disposal()
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert facts(page)["ok"] == "true" and "(disposition.executed): in the log" in page
    assert 'id="proof-download"' not in page
    login(world.handler)
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert f'href="/api/v1/dispositions/{number}/proof"' in page
