"""Checkpoints offered to real witnesses on loopback: the CLI, the API, bundles and the /verify page carry and check
their cosignatures (the witness protocol itself: tests/witness/)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from custody.ledger.keys import log_key
from custody.ledger.notes import SignerKey
from custody.ledger.offline import COSIGNATURE_V1, Note
from tests.services.test_dispositions import DispositionWorld
from tests.web.test_presence_page import EN
from tests.witness.test_log_side import closed_port_url, configure, witness

__all__ = ["configure"]  # a fixture: CUSTODY_WITNESSES and the quorum for one test


@pytest.fixture
def world(make: Any) -> DispositionWorld:
    return DispositionWorld(make)


def test_checkpoint_command_reports_each_witness_and_exits_1_below_quorum(
    world: DispositionWorld, runner: Any, configure: Any, tmp_path: Path
) -> None:
    down = SignerKey.generate("down.example", COSIGNATURE_V1)
    with witness(tmp_path, "up.example") as up:
        configure([up.entry(), f"{down.verifier.text()} {closed_port_url()}"], quorum=1)
        result = runner.invoke(args=["custody", "checkpoint"])
        assert result.exit_code == 0, result.output
        note = Note.parse(result.stdout)
        assert note.signed_by(log_key().verifier) and note.cosigned_by(up.key.verifier) is not None
        assert "witness up.example: cosigned" in result.stderr
        assert "witness down.example: unreachable" in result.stderr
        assert "cosigned by 1 of 1 required" in result.stderr

        configure([up.entry(), f"{down.verifier.text()} {closed_port_url()}"], quorum=2)
        world.make.case(world.handler)
        result = runner.invoke(args=["custody", "checkpoint"])
        assert result.exit_code == 1, result.output
        assert "cosigned by 1 of 2 required" in result.stderr


def test_the_api_bundle_and_page_carry_the_cosignatures(
    world: DispositionWorld, api: Any, runner: Any, client: Any, configure: Any, tmp_path: Path
) -> None:
    number = world.decided()
    with witness(tmp_path, "procuratorate.example") as up:
        configure([up.entry()])
        made = api(world.auditor).post("/api/v1/ledger/checkpoints")
        assert made.status_code == 201, made.get_data(as_text=True)
        assert Note.parse(made.get_data(as_text=True)).cosigned_by(up.key.verifier) is not None
        assert client.get("/api/v1/ledger/checkpoint").get_data(as_text=True) == made.get_data(as_text=True)

        text = api(world.prosecutor).get(f"/api/v1/handovers/{number}/proof").get_data(as_text=True)
        assert json.loads(text)["checkpoint"] == made.get_data(as_text=True)
        (tmp_path / "proof.json").write_text(text, encoding="utf-8")
        args = ["custody", "verify-proof", str(tmp_path / "proof.json"), "--key", log_key().verifier.text()]
        ran = runner.invoke(args=[*args, "--witness", up.key.verifier.text()])
        assert ran.exit_code == 0 and "witness procuratorate.example: cosigned" in ran.output, ran.output

        page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
        shown = re.search(r'id="proof-witnessed" data-ok="(\w+)">\s*([^<]*)<', page)
        assert shown and shown[1] == "true"
        assert shown[2].strip() == "Cosigned by 1 of the 1 required (procuratorate.example)"
        assert 'id="proof" data-ok="true"' in page


def test_a_bundle_made_for_an_unwitnessed_act_offers_its_checkpoint_first(
    world: DispositionWorld, api: Any, configure: Any, tmp_path: Path
) -> None:
    number = world.decided()
    with witness(tmp_path, "court.example") as up:
        configure([up.entry()])
        text = api(world.prosecutor).get(f"/api/v1/handovers/{number}/proof").get_data(as_text=True)
        assert Note.parse(json.loads(text)["checkpoint"]).cosigned_by(up.key.verifier) is not None
        assert len(up.bodies) == 1


def test_the_page_tells_a_proof_in_the_log_but_not_witnessed(
    world: DispositionWorld, client: Any, configure: Any
) -> None:
    number = world.decided()
    down = SignerKey.generate("down.example", COSIGNATURE_V1)
    configure([f"{down.verifier.text()} {closed_port_url()}"])
    page = client.get(f"/verify/{number}", headers=EN).get_data(as_text=True)
    assert 'id="proof" data-ok="false"' in page
    assert "In the signed log, but not yet cosigned by enough witnesses" in page
    assert re.search(r'id="proof-witnessed" data-ok="false">\s*Cosigned by 0 of the 1 required\s*<', page)
    assert 'id="proof-signed" data-ok="true"' in page and 'id="proof-included" data-ok="true"' in page
