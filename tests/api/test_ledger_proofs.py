"""The verifiable log over HTTP (API.md "Ledger proofs"): the key, checkpoints, inclusion and consistency proofs.

Everything served is checked with ``custody.ledger.offline`` alone, as another agency would: checkpoints
against the log's verifier key, proofs against the roots of the signed checkpoints.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from custody.extensions import db
from custody.ledger import proofs
from custody.ledger.keys import log_key
from custody.ledger.offline import (
    Checkpoint,
    Note,
    ProofError,
    VerifierKey,
    b64decode,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from custody.models import LedgerCheckpoint
from tests.worlds import HandoverWorld

CHECKPOINT = "/api/v1/ledger/checkpoint"
CHECKPOINTS = "/api/v1/ledger/checkpoints"
INCLUSION = "/api/v1/ledger/proof/inclusion"
CONSISTENCY = "/api/v1/ledger/proof/consistency"


@pytest.fixture
def world(make: Any) -> HandoverWorld:
    return HandoverWorld(make)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["code"] == code, body
    return body


def ledger_size() -> int:
    db.session.rollback()  # see what the requests committed
    return proofs.ledger_size(db.session)


def signed_checkpoint(text: str) -> Checkpoint:
    """The checkpoint of a served note, after checking the log signed it."""
    note = Note.parse(text)
    assert note.signed_by(log_key().verifier), text
    return Checkpoint.parse(note.text)


def stored_checkpoints() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(LedgerCheckpoint)) or 0


# --- the key and checkpoints: public -----------------------------------------------------------------------------


def test_anyone_reads_the_log_key(client: Any) -> None:
    response = client.get("/api/v1/ledger/key")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    key = VerifierKey.parse(response.get_data(as_text=True))
    assert key == log_key().verifier
    assert key.key_type == 0x01 and response.get_data(as_text=True).count("+") >= 2


def test_anyone_reads_the_latest_checkpoint_which_is_made_when_there_is_none(world: HandoverWorld, client: Any) -> None:
    assert stored_checkpoints() == 0
    response = client.get(CHECKPOINT)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    checkpoint = signed_checkpoint(response.get_data(as_text=True))
    assert checkpoint.origin == log_key().name
    assert checkpoint.size == ledger_size() > 0
    assert checkpoint.root == proofs.root(db.session, checkpoint.size)
    assert stored_checkpoints() == 1
    # Read again: the same stored one, even after the ledger grew (the latest is only made on request).
    world.requested()
    assert client.get(CHECKPOINT).get_data(as_text=True) == response.get_data(as_text=True)
    assert stored_checkpoints() == 1


def test_auditors_and_admins_make_checkpoints_others_may_not(world: HandoverWorld, api: Any, make: Any) -> None:
    head = ledger_size()
    made = api(world.auditor).post(CHECKPOINTS)
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert signed_checkpoint(made.get_data(as_text=True)).size == head
    assert ledger_size() == head, "making a checkpoint appends no ledger entry"
    world.requested()
    admin = make.user("admin", kind="centre")
    again = api(admin).post(CHECKPOINTS)
    assert again.status_code == 201
    assert signed_checkpoint(again.get_data(as_text=True)).size == ledger_size() > head
    for role in ("handler", "approver", "keeper"):
        problem(api(make.user(role)).post(CHECKPOINTS), 403, "forbidden")


def test_a_checkpoint_is_made_once_per_size(world: HandoverWorld, api: Any) -> None:
    first = api(world.auditor).post(CHECKPOINTS).get_data(as_text=True)
    second = api(world.auditor).post(CHECKPOINTS).get_data(as_text=True)
    assert first == second and stored_checkpoints() == 1


def test_stored_checkpoints_by_size_for_anyone(world: HandoverWorld, api: Any, client: Any) -> None:
    made = api(world.auditor).post(CHECKPOINTS).get_data(as_text=True)
    size = signed_checkpoint(made).size
    response = client.get(f"{CHECKPOINTS}/{size}")
    assert response.status_code == 200 and response.get_data(as_text=True) == made
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    problem(client.get(f"{CHECKPOINTS}/{size + 1}"), 404, "not_found")
    problem(client.get(f"{CHECKPOINTS}/{2**63 - 1}"), 404, "not_found")
    problem(client.get(f"{CHECKPOINTS}/{2**64}"), 404, "not_found")  # past BIGINT: refused by the route
    problem(client.get(f"{CHECKPOINTS}/-1"), 404, "not_found")


def test_making_a_checkpoint_and_proofs_need_a_signed_in_user(world: HandoverWorld, client: Any) -> None:
    problem(client.post(CHECKPOINTS), 401, "unauthorized")
    problem(client.get(INCLUSION, query_string={"seq": 1}), 401, "unauthorized")
    problem(client.get(CONSISTENCY, query_string={"from": 1}), 401, "unauthorized")
    problem(client.get("/api/v1/ledger/entries/1"), 401, "unauthorized")


# --- proofs ------------------------------------------------------------------------------------------------------


def test_inclusion_and_consistency_proofs_verify_against_signed_checkpoints(
    world: HandoverWorld, api: Any, make: Any
) -> None:
    auditor = api(world.auditor)
    old = signed_checkpoint(auditor.post(CHECKPOINTS).get_data(as_text=True))
    make.items(world.handler, world.case, 3)
    world.requested()
    new = signed_checkpoint(auditor.post(CHECKPOINTS).get_data(as_text=True))
    assert new.size > old.size >= 5
    for checkpoint in (old, new):
        for seq in range(1, checkpoint.size + 1):
            body = auditor.get(INCLUSION, query_string={"seq": seq, "size": checkpoint.size})
            assert body.status_code == 200, body.get_data(as_text=True)
            proof = body.get_json()
            assert set(proof) == {"seq", "size", "leaf_hash", "proof"}
            assert (proof["seq"], proof["size"]) == (seq, checkpoint.size)
            entry = auditor.get(f"/api/v1/ledger/entries/{seq}").get_json()
            leaf = b64decode(proof["leaf_hash"])
            assert leaf == leaf_hash(entry["body"].encode())
            verify_inclusion(seq - 1, checkpoint.size, leaf, [b64decode(h) for h in proof["proof"]], checkpoint.root)
    for size in range(1, new.size + 1):
        body = auditor.get(CONSISTENCY, query_string={"from": size, "to": new.size})
        assert body.status_code == 200, body.get_data(as_text=True)
        proof = body.get_json()
        assert set(proof) == {"from", "to", "proof"} and (proof["from"], proof["to"]) == (size, new.size)
        if size == old.size:
            verify_consistency(old.size, new.size, old.root, new.root, [b64decode(h) for h in proof["proof"]])
    wrong = auditor.get(CONSISTENCY, query_string={"from": old.size, "to": new.size}).get_json()["proof"]
    with pytest.raises(ProofError):
        verify_consistency(old.size, new.size, new.root, new.root, [b64decode(h) for h in wrong])


def test_sizes_default_to_the_whole_ledger(world: HandoverWorld, api: Any) -> None:
    auditor = api(world.handler)
    size = ledger_size()
    assert auditor.get(INCLUSION, query_string={"seq": 2}).get_json()["size"] == size
    assert auditor.get(CONSISTENCY, query_string={"from": 2}).get_json()["to"] == size
    assert auditor.get(CONSISTENCY, query_string={"from": size}).get_json()["proof"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"seq": 5, "size": 4}, "seq"),  # size < seq
        ({"seq": 1, "size": 10_000}, "size"),  # past the ledger
        ({"seq": 10_000}, "seq"),  # past the ledger (size defaults to it)
        ({"seq": 0, "size": 3}, "seq"),
        ({"seq": -1}, "seq"),
        ({"size": 3}, "seq"),  # seq is required
        ({"seq": "one"}, "seq"),
        ({"seq": 1, "size": 0}, "size"),
        ({"seq": 1, "size": 2**64}, "size"),
    ],
)
def test_inclusion_out_of_range_is_invalid_input(
    world: HandoverWorld, api: Any, query: dict[str, Any], field: str
) -> None:
    body = problem(api(world.auditor).get(INCLUSION, query_string=query), 422, "invalid_input")
    assert field in body["errors"], body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": 0, "to": 3}, "from"),
        ({"from": 4, "to": 3}, "from"),
        ({"from": 1, "to": 10_000}, "to"),
        ({"from": 10_000}, "from"),
        ({"to": 3}, "from"),
        ({"from": "x"}, "from"),
        ({"from": 1, "to": 0}, "to"),
    ],
)
def test_consistency_out_of_range_is_invalid_input(
    world: HandoverWorld, api: Any, query: dict[str, Any], field: str
) -> None:
    body = problem(api(world.auditor).get(CONSISTENCY, query_string=query), 422, "invalid_input")
    assert field in body["errors"], body


# --- entries -----------------------------------------------------------------------------------------------------


def test_one_entry_with_its_body_for_those_who_may_see_it(world: HandoverWorld, api: Any, make: Any) -> None:
    number = world.requested()
    entries = api(world.auditor).get("/api/v1/ledger/entries", query_string={"limit": 1000}).get_json()["items"]
    last = entries[-1]
    assert last["kind"] == "handover.requested"
    response = api(world.handler).get(f"/api/v1/ledger/entries/{last['seq']}")
    assert response.status_code == 200, response.get_data(as_text=True)
    entry = response.get_json()
    assert entry == last
    assert json.loads(entry["body"])["data"]["number"] == number
    assert json.loads(entry["body"])["seq"] == entry["seq"]
    stranger = make.user("handler", kind="court")
    problem(api(stranger).get(f"/api/v1/ledger/entries/{last['seq']}"), 404, "not_found")
    problem(api(world.auditor).get(f"/api/v1/ledger/entries/{ledger_size() + 1}"), 404, "not_found")
    problem(api(world.auditor).get("/api/v1/ledger/entries/0"), 404, "not_found")
    problem(api(world.auditor).get(f"/api/v1/ledger/entries/{2**64}"), 404, "not_found")
