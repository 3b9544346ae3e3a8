"""Offline proof bundles of handovers and dispositions (API.md "Ledger proofs"), checked by `custody verify-proof`.

A bundle is what a receipt's holder keeps: the act's entries with their bodies, their inclusion proofs
and a signed checkpoint. It is checked here exactly as an agency would, with no database: the CLI
command runs ``custody.ledger.offline`` and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from custody import clock
from custody.cli_log import verify_proof
from custody.extensions import db
from custody.ledger.keys import log_key
from custody.ledger.notes import SignerKey
from custody.ledger.offline import COSIGNATURE_V1, FORMAT, Checkpoint, Note, check_bundle
from custody.models import LedgerCheckpoint, LedgerCosignature
from custody.services import checkpoints, handovers
from custody.services.uow import unit_of_work
from tests.services.test_dispositions import DispositionWorld


@pytest.fixture
def world(make: Any) -> DispositionWorld:
    return DispositionWorld(make)


def problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code


def bundle_of(api: Any, user: Any, path: str) -> str:
    response = api(user).get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    text: str = response.get_data(as_text=True)
    return text


def verify(runner: Any, tmp_path: Path, text: str, *extra: str) -> Any:
    """``flask custody verify-proof`` on the bundle saved to a file, with the log's verifier key."""
    path = tmp_path / "proof.json"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["custody", "verify-proof", str(path), "--key", log_key().verifier.text(), *extra])


def stored_checkpoints() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(LedgerCheckpoint)) or 0


def test_an_accepted_handovers_bundle_with_its_receipt_verifies_offline(
    world: DispositionWorld, api: Any, runner: Any, tmp_path: Path
) -> None:
    number = world.decided()
    pdf = api(world.prosecutor).get(f"/api/v1/handovers/{number}/receipt.pdf").get_data()
    text = bundle_of(api, world.prosecutor, f"/api/v1/handovers/{number}/proof")
    bundle = json.loads(text)
    assert set(bundle) == {"format", "origin", "subject", "checkpoint", "entries"}
    assert bundle["format"] == FORMAT and bundle["origin"] == log_key().name
    assert bundle["subject"] == {"kind": "handover", "number": number}
    handover = handovers.get_handover(world.prosecutor, number, with_lines=False)
    assert [e["seq"] for e in bundle["entries"]] == [handover.decision_seq, handover.receipt_seq]
    kinds = [json.loads(e["body"])["kind"] for e in bundle["entries"]]
    assert kinds == ["handover.accepted", "handover.receipt_issued"]
    assert all(set(e) == {"seq", "body", "leaf_hash", "inclusion"} for e in bundle["entries"])
    note = Note.parse(bundle["checkpoint"])
    assert note.signed_by(log_key().verifier)
    assert Checkpoint.parse(note.text).size >= handover.receipt_seq

    ran = verify(runner, tmp_path, text)
    assert ran.exit_code == 0, ran.output
    assert "GENUINE" in ran.output and f"entry {handover.decision_seq} (handover.accepted)" in ran.output
    (tmp_path / "receipt.pdf").write_bytes(pdf)
    ran = verify(runner, tmp_path, text, "--document", str(tmp_path / "receipt.pdf"))
    assert ran.exit_code == 0, ran.output
    assert "document: SHA-256" in ran.output and "is recorded in the ledger" in ran.output


def test_an_altered_bundle_or_document_fails(world: DispositionWorld, api: Any, runner: Any, tmp_path: Path) -> None:
    number = world.decided()
    pdf = api(world.prosecutor).get(f"/api/v1/handovers/{number}/receipt.pdf").get_data()
    text = bundle_of(api, world.handler, f"/api/v1/handovers/{number}/proof")
    bundle = json.loads(text)
    body = bundle["entries"][0]["body"]
    at = body.index(number)  # one byte of the handover's number, in the decision's body
    bundle["entries"][0]["body"] = body[:at] + ("X" if body[at] != "X" else "Y") + body[at + 1 :]
    ran = verify(runner, tmp_path, json.dumps(bundle, ensure_ascii=False))
    assert ran.exit_code == 1, ran.output
    assert "NOT VERIFIED" in ran.output and f"FAIL  entry {bundle['entries'][0]['seq']}" in ran.output

    altered = bytearray(pdf)
    altered[len(altered) // 2] ^= 0x01
    (tmp_path / "receipt.pdf").write_bytes(bytes(altered))
    ran = verify(runner, tmp_path, text, "--document", str(tmp_path / "receipt.pdf"))
    assert ran.exit_code == 1 and "is not the one the ledger records" in ran.output

    other = json.loads(text)
    origin, size, root, rest = other["checkpoint"].split("\n", 3)
    other["checkpoint"] = "\n".join([origin, str(int(size) + 1), root, rest])  # a bigger tree, signed by nobody
    ran = verify(runner, tmp_path, json.dumps(other))
    assert ran.exit_code == 1 and "no valid signature" in ran.output, ran.output


def test_verify_proof_needs_no_app_and_refuses_another_logs_key(
    world: DispositionWorld, api: Any, tmp_path: Path
) -> None:
    number = world.decided()
    path = tmp_path / "proof.json"
    path.write_text(bundle_of(api, world.prosecutor, f"/api/v1/handovers/{number}/proof"), encoding="utf-8")
    key_file = tmp_path / "log.vkey"
    key_file.write_text(log_key().verifier.text() + "\n")
    alone = CliRunner()  # the bare click command: no app, no database
    ran = alone.invoke(verify_proof, [str(path), "--key", str(key_file)])
    assert ran.exit_code == 0, ran.output
    impostor = SignerKey.generate(log_key().name).verifier.text()
    ran = alone.invoke(verify_proof, [str(path), "--key", impostor])
    assert ran.exit_code == 1 and "no valid signature" in ran.output
    witness = SignerKey.generate("witness.example", 0x04).verifier.text()
    ran = alone.invoke(verify_proof, [str(path), "--key", str(key_file), "--witness", witness])
    assert ran.exit_code == 1 and "witness witness.example: no valid cosignature" in ran.output
    ran = alone.invoke(verify_proof, [str(tmp_path / "missing.json"), "--key", str(key_file)])
    assert ran.exit_code == 1


def test_a_decided_handover_without_receipt_proves_its_decision_and_a_checkpoint_is_made(
    world: DispositionWorld, api: Any
) -> None:
    number = world.checked()
    handovers.reject_handover(world.prosecutor, number, "证据材料不全")
    assert stored_checkpoints() == 0
    bundle = json.loads(bundle_of(api, world.handler, f"/api/v1/handovers/{number}/proof"))
    assert [json.loads(e["body"])["kind"] for e in bundle["entries"]] == ["handover.rejected"]
    assert stored_checkpoints() == 1  # none covered the decision: one was made
    assert check_bundle(json.dumps(bundle), log_key().verifier).ok
    again = json.loads(bundle_of(api, world.prosecutor, f"/api/v1/handovers/{number}/proof"))
    assert again["checkpoint"] == bundle["checkpoint"] and stored_checkpoints() == 1


def test_the_bundle_uses_the_smallest_witnessed_checkpoint_that_covers_the_act(
    world: DispositionWorld, api: Any
) -> None:
    number = world.decided()
    first = checkpoints.make_checkpoint("@cli")
    world.make.case(world.handler)
    second = checkpoints.make_checkpoint("@cli")
    path = f"/api/v1/handovers/{number}/proof"
    unwitnessed = json.loads(bundle_of(api, world.prosecutor, path))
    assert Checkpoint.parse(Note.parse(unwitnessed["checkpoint"]).text).size == second.size > first.size  # latest
    witness = SignerKey.generate("witness.example", COSIGNATURE_V1)
    line = witness.cosign(Checkpoint.parse(Note.parse(first.note).text), 1_800_000_000).line()
    with unit_of_work():
        db.session.add(LedgerCosignature(size=first.size, witness=witness.name, line=line, at=clock.now()))
    text = bundle_of(api, world.prosecutor, path)
    note = Note.parse(json.loads(text)["checkpoint"])
    assert Checkpoint.parse(note.text).size == first.size
    assert note.cosigned_by(witness.verifier) == 1_800_000_000
    assert check_bundle(text, log_key().verifier, [witness.verifier]).ok


def test_handover_proof_errors(world: DispositionWorld, api: Any, make: Any, client: Any) -> None:
    number = world.checked()
    problem(api(world.prosecutor).get(f"/api/v1/handovers/{number}/proof"), 409, "invalid_state")
    handovers.accept_handover(world.prosecutor, number, [])
    stranger = make.user("handler", "approver", kind="police")
    problem(api(stranger).get(f"/api/v1/handovers/{number}/proof"), 404, "not_found")
    problem(api(world.prosecutor).get("/api/v1/handovers/HNOPE/proof"), 404, "not_found")
    problem(client.get(f"/api/v1/handovers/{number}/proof"), 401, "unauthorized")
    assert api(world.auditor).get(f"/api/v1/handovers/{number.lower()}/proof").status_code == 200


def test_an_executed_dispositions_bundle_with_its_record_verifies_offline(
    world: DispositionWorld, api: Any, runner: Any, tmp_path: Path, make: Any
) -> None:
    number = world.approved_disposal()
    problem(api(world.handler).get(f"/api/v1/dispositions/{number}/proof"), 409, "invalid_state")
    _execute(world, number)
    text = bundle_of(api, world.handler, f"/api/v1/dispositions/{number}/proof")
    assert [json.loads(e["body"])["kind"] for e in json.loads(text)["entries"]] == ["disposition.executed"]
    pdf = api(world.handler).get(f"/api/v1/dispositions/{number}/record.pdf").get_data()
    text = bundle_of(api, world.handler, f"/api/v1/dispositions/{number}/proof")
    bundle = json.loads(text)
    assert bundle["subject"] == {"kind": "disposition", "number": number}
    assert [json.loads(e["body"])["kind"] for e in bundle["entries"]] == [
        "disposition.executed",
        "disposition.record_issued",
    ]
    (tmp_path / "record.pdf").write_bytes(pdf)
    ran = verify(runner, tmp_path, text, "--document", str(tmp_path / "record.pdf"))
    assert ran.exit_code == 0, ran.output
    stranger = make.user("handler", "approver", kind="police")
    problem(api(stranger).get(f"/api/v1/dispositions/{number}/proof"), 404, "not_found")
    problem(api(world.handler).get("/api/v1/dispositions/DNOPE/proof"), 404, "not_found")


def _execute(world: DispositionWorld, number: str) -> str:
    from custody.services import dispositions

    for code in dispositions.line_codes(dispositions.get_disposition(world.keeper, number).id):
        dispositions.scan_out(world.keeper, number, code)
    dispositions.execute_disposition(world.keeper, number)
    return number
