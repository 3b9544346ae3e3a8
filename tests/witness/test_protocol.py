"""C2SP tlog-witness add-checkpoint, through the witness app's test client (no app database).

Each refusal has the status the specification names: 400 malformed, 403 no trusted signature, 404
unknown origin, 409 with the held size as ``text/x.tlog.size`` for a wrong old size, 409 for the same
size with another root, 422 for a consistency proof that does not verify.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from custody.ledger.notes import SignerKey, sign_checkpoint
from custody.ledger.offline import COSIGNATURE_V1, Checkpoint, Note, b64
from custody.witness.app import SIZE_TYPE, create_witness_app
from custody.witness.store import WitnessStore
from tests.witness.toylog import ToyLog, mth

WITNESS = SignerKey.generate("witness.test/w1", COSIGNATURE_V1)


@pytest.fixture
def log() -> ToyLog:
    return ToyLog(5)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "witness.sqlite3"


@pytest.fixture
def witness(log: ToyLog, store_path: Path) -> Any:
    return create_witness_app(WITNESS, store_path, [log.key.verifier]).test_client()


def post(witness: Any, body: bytes) -> Any:
    return witness.post("/add-checkpoint", data=body, content_type="text/plain")


def cosigned(witness: Any, log: ToyLog, old: int = 0) -> Any:
    response = post(witness, log.body(old))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def held(store_path: Path, log: ToyLog) -> tuple[int, bytes] | None:
    latest = WitnessStore(store_path).latest(log.key.name)
    return None if latest is None else (latest.size, latest.root)


def test_first_checkpoint_is_cosigned_with_one_valid_cosignature_line(witness, log, store_path):
    response = cosigned(witness, log)
    text = response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    assert text.startswith("\u2014 witness.test/w1 ") and text.endswith("\n") and text.count("\n") == 1
    note = Note.parse(log.checkpoint() + text)  # the client concatenates the answer to the checkpoint
    assert note.signed_by(log.key.verifier)
    assert note.cosigned_by(WITNESS.verifier) is not None
    assert held(store_path, log) == (5, mth(log.leaves))


def test_growth_with_a_valid_consistency_proof_is_cosigned(witness, log, store_path):
    cosigned(witness, log)
    for grow in (1, 3, 8, 1):
        old = log.size
        log.grow(grow)
        response = cosigned(witness, log, old)
        assert Note.parse(log.checkpoint() + response.get_data(as_text=True)).cosigned_by(WITNESS.verifier)
    assert held(store_path, log) == (18, mth(log.leaves))


def test_the_same_checkpoint_again_is_cosigned_afresh(witness, log):
    cosigned(witness, log)
    again = post(witness, log.body(5))
    assert again.status_code == 200
    assert Note.parse(log.checkpoint() + again.get_data(as_text=True)).cosigned_by(WITNESS.verifier)


def test_a_stale_checkpoint_is_refused(witness, log, store_path):
    cosigned(witness, log)
    log.grow(4)
    cosigned(witness, log, 5)
    stale = post(witness, log.body(9, size=5, proof=[]))  # old = what it holds: above the checkpoint's size
    assert stale.status_code == 400
    behind = post(witness, log.body(5, size=5))  # old = the stale size: not what it holds
    assert behind.status_code == 409
    assert behind.get_data(as_text=True) == "9\n"
    assert held(store_path, log) == (9, mth(log.leaves))


def test_same_size_with_another_root_is_a_conflict_and_kept_as_evidence(witness, log, store_path):
    cosigned(witness, log)
    forked = log.fork(at=2)
    response = post(witness, forked.body(5))
    assert response.status_code == 409
    assert response.mimetype != SIZE_TYPE  # no size to retry from: the log forked
    assert held(store_path, log) == (5, mth(log.leaves))
    [(_at, reason, request)] = WitnessStore(store_path).refused(log.key.name)
    assert "another root" in reason and forked.checkpoint() in request


def test_an_inconsistent_proof_is_refused_with_422(witness, log, store_path):
    cosigned(witness, log)
    forked = log.fork(at=1).grow(4)  # signed by the same key, a history that rewrote entry 1
    response = post(witness, forked.body(5))  # the fork's own proof from 5 to 9
    assert response.status_code == 422
    log.grow(4)
    proof = log.proof(5)
    flipped = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    assert post(witness, log.body(5, proof=[flipped, *proof[1:]])).status_code == 422
    assert post(witness, log.body(5, proof=proof[:-1])).status_code == 422
    assert held(store_path, log) == (5, mth(log.leaves[:5]))
    assert len(WitnessStore(store_path).refused(log.key.name)) == 3
    assert post(witness, log.body(5)).status_code == 200  # the honest proof still works


def test_a_wrong_old_size_gets_409_with_the_held_size(witness, log):
    first = post(witness, log.body(3, size=5))  # it holds nothing: old must be 0
    assert first.status_code == 409
    assert first.headers["Content-Type"] == SIZE_TYPE
    assert first.get_data(as_text=True) == "0\n"
    cosigned(witness, log)
    log.grow(3)
    response = post(witness, log.body(4))
    assert response.status_code == 409
    assert response.headers["Content-Type"] == SIZE_TYPE
    assert response.get_data(as_text=True) == "5\n"


def test_an_unknown_origin_is_404(witness):
    stranger = ToyLog(3, origin="example.test/another-log")
    assert post(witness, stranger.body(0)).status_code == 404


def test_a_checkpoint_without_a_valid_log_signature_is_403(witness, log, store_path):
    impostor = SignerKey.generate(log.key.name)  # same name, another key: its signatures are ignored
    honest = Note.parse(log.checkpoint())
    both = Note(honest.text, [impostor.sign(honest.text), *honest.signatures]).render()
    assert post(witness, log.body(0, note=both)).status_code == 200
    log.grow(2)
    forged = sign_checkpoint(Checkpoint(log.key.name, log.size, mth(log.leaves)), impostor)
    assert post(witness, log.body(5, note=forged)).status_code == 403
    lines = log.checkpoint().split("\n")
    lines[2] = b64(bytes(32))  # another root under the log's signature
    assert post(witness, log.body(5, note="\n".join(lines))).status_code == 403
    assert held(store_path, log) == (5, mth(log.leaves[:5]))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 0\n",
        b"old 01\n\n{note}",
        b"old -1\n\n{note}",
        b"old five\n\n{note}",
        b"new 0\n\n{note}",
        b"old 0\nnot-base64!\n\n{note}",
        b"old 0\n" + b64(bytes(31)).encode() + b"\n\n{note}",
        b"old 0\n" + (b64(bytes(32)).encode() + b"\n") * 64 + b"\n{note}",
        b"old 0\n\nexample.test/toy-log\nfive\n"
        + b64(bytes(32)).encode()
        + b"\n\n\xe2\x80\x94 x "
        + b64(bytes(68)).encode()
        + b"\n",
        b"old 0\n\n{note}\x01",
        b"old 0\n\n\xff\xfe",
        b"old 9\n\n{note}",  # an old size above the checkpoint's
    ],
)
def test_malformed_requests_are_400(witness, log, body):
    response = post(witness, body.replace(b"{note}", log.checkpoint().encode()))
    assert response.status_code == 400, response.get_data(as_text=True)


def test_a_proof_with_old_size_zero_is_refused(witness, log):
    assert post(witness, log.body(0, proof=[bytes(32)])).status_code == 422


def test_the_witness_serves_its_verifier_key(witness):
    for path in ("/", "/healthz"):
        response = witness.get(path)
        assert response.status_code == 200
        assert response.get_data(as_text=True) == WITNESS.verifier.text() + "\n"
    assert witness.get("/add-checkpoint").status_code == 405


def test_only_a_cosignature_key_can_witness(tmp_path, log):
    with pytest.raises(ValueError, match="cosignature"):
        create_witness_app(SignerKey.generate("witness.test/w2"), tmp_path / "w.sqlite3", [log.key.verifier])


def test_the_store_decides_a_race_from_the_same_old_state(store_path):
    store = WitnessStore(store_path)
    assert store.advance("o", None, 3, bytes(32), "n")
    assert not store.advance("o", None, 4, bytes(32), "n")  # the primary key refuses a second first checkpoint
    first = store.latest("o")
    assert store.advance("o", first, 5, b"\x01" * 32, "n")
    assert not store.advance("o", first, 6, b"\x02" * 32, "n")  # the state it compared against is gone
    assert store.latest("o") is not None and store.latest("o").size == 5  # type: ignore[union-attr]


def test_a_size_beyond_what_the_store_holds_is_400_not_500(witness, log):
    assert post(witness, log.body(0, size=2**64 - 1)).status_code == 400
