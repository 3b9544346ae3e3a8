"""The log's side: checkpoints of a real ledger sent to witnesses served on loopback, cosignatures kept.

Runs on SQLite and PostgreSQL (the ledger); each witness keeps its own SQLite file, as another agency's would.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from custody.extensions import db
from custody.ledger.keys import log_key
from custody.ledger.notes import SignerKey
from custody.ledger.offline import COSIGNATURE_V1, Note
from custody.models import LedgerCosignature
from custody.services import checkpoints, witnessing
from custody.services.uow import unit_of_work
from custody.witness.app import Witness, create_witness_app
from custody.witness.store import WitnessStore
from tests.witness.toylog import serving


@dataclass
class Served:
    key: SignerKey
    url: str
    store: WitnessStore
    bodies: list[str]  # the add-checkpoint bodies it received

    def entry(self, key: SignerKey | None = None) -> str:
        return f"{(key or self.key).verifier.text()} {self.url}"


@contextmanager
def witness(tmp_path: Path, name: str, signing_key: SignerKey | None = None, logs: Any = None) -> Iterator[Served]:
    """A witness of our log on loopback, that records what it is sent."""
    key = signing_key or SignerKey.generate(name, COSIGNATURE_V1)
    app = create_witness_app(key, tmp_path / f"{name.replace('/', '_')}.sqlite3", logs or [log_key().verifier])
    served: Witness = app.extensions["custody_witness"]
    bodies: list[str] = []
    add = served.add_checkpoint

    def recording(body: bytes) -> str:
        bodies.append(body.decode())
        return add(body)

    served.add_checkpoint = recording  # type: ignore[method-assign]
    with serving(app) as url:
        yield Served(key, url, served.store, bodies)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def grow(make: Any) -> Any:
    """``grow()`` adds a few ledger entries through the real services."""
    handler = make.user("handler")
    case = make.case(handler)

    def more(n: int = 2) -> None:
        make.items(handler, case, n)

    more()
    return more


@pytest.fixture
def configure(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_witnesses(entries: list[Any], quorum: int | None = None) -> None:
        monkeypatch.setitem(app.config, "CUSTODY_WITNESSES", entries)
        monkeypatch.setitem(app.config, "CUSTODY_WITNESS_QUORUM", quorum)
        monkeypatch.setitem(app.config, "CUSTODY_WITNESS_TIMEOUT", 5)

    return set_witnesses


def stored_cosignatures() -> list[tuple[int, str]]:
    rows = db.session.scalars(select(LedgerCosignature).order_by(LedgerCosignature.size, LedgerCosignature.witness))
    return [(row.size, row.witness) for row in rows]


def test_a_checkpoint_is_cosigned_verified_stored_and_published(grow, configure, tmp_path):
    size = checkpoints.make_checkpoint("@test").size
    with witness(tmp_path, "witness.test/a") as w:
        configure([w.entry()])
        result = witnessing.submit()
    assert [(o.witness, o.status, o.http_status) for o in result.outcomes] == [("witness.test/a", "cosigned", 200)]
    assert (result.size, result.cosignatures, result.quorum, result.witnessed) == (size, 1, 1, True)
    assert w.bodies[0].startswith("old 0\n\n")  # the first checkpoint it sees: no proof
    assert stored_cosignatures() == [(size, "witness.test/a")]
    published = Note.parse(checkpoints.published(checkpoints.at_size(size)))
    assert published.signed_by(log_key().verifier)
    assert published.cosigned_by(w.key.verifier) is not None
    assert witnessing.witnessed(size)
    held = w.store.latest(log_key().name)
    assert held is not None and held.size == size


def test_the_next_checkpoint_is_cosigned_with_a_consistency_proof(grow, configure, tmp_path):
    first = checkpoints.make_checkpoint("@test").size
    with witness(tmp_path, "witness.test/a") as w:
        configure([w.entry()])
        assert witnessing.submit().outcomes[0].ok
        grow(3)
        second = checkpoints.make_checkpoint("@test").size
        result = witnessing.submit()
    assert second > first and result.size == second and result.outcomes[0].ok
    old_line, *proof_lines = w.bodies[1].split("\n\n")[0].split("\n")
    assert old_line == f"old {first}" and proof_lines  # sent from what it cosigned, with a proof it accepted
    assert stored_cosignatures() == [(first, "witness.test/a"), (second, "witness.test/a")]
    assert Note.parse(checkpoints.published(checkpoints.at_size(second))).cosigned_by(w.key.verifier)


def test_a_cosigned_checkpoint_is_not_sent_again(grow, configure, tmp_path):
    size = checkpoints.make_checkpoint("@test").size
    with witness(tmp_path, "witness.test/a") as w:
        configure([w.entry()])
        witnessing.submit()
    again = witnessing.submit(size)  # the witness is gone: nothing is asked of it
    assert [(o.status, o.detail) for o in again.outcomes] == [("cosigned", "cosigned before")]
    assert again.witnessed and len(w.bodies) == 1


def test_a_witness_ahead_of_our_records_is_followed_once(grow, configure, tmp_path):
    """A lost answer: the witness holds a checkpoint whose cosignature we never stored (409 → retry)."""
    earlier = checkpoints.make_checkpoint("@test")
    grow(3)
    later = checkpoints.make_checkpoint("@test").size
    with witness(tmp_path, "witness.test/a") as w:
        w.store.advance(log_key().name, None, earlier.size, bytes.fromhex(earlier.root), earlier.note)
        configure([w.entry()])
        result = witnessing.submit()
    assert result.outcomes[0].ok, result.outcomes
    assert [body.split("\n")[0] for body in w.bodies] == ["old 0", f"old {earlier.size}"]
    assert stored_cosignatures() == [(later, "witness.test/a")]


def test_a_witness_holding_another_root_for_our_size_reports_a_fork(grow, configure, tmp_path):
    size = checkpoints.make_checkpoint("@test").size
    with witness(tmp_path, "witness.test/a") as w:
        w.store.advance(log_key().name, None, size, b"\x07" * 32, "another history")
        configure([w.entry()])
        [outcome] = witnessing.submit().outcomes
    assert (outcome.status, outcome.http_status) == ("refused", 409)
    assert "forked" in outcome.detail
    assert stored_cosignatures() == []


def test_quorum_one_witness_down_does_not_stop_the_other(grow, configure, tmp_path):
    size = checkpoints.make_checkpoint("@test").size
    down = SignerKey.generate("witness.test/down", COSIGNATURE_V1)
    with witness(tmp_path, "witness.test/up") as up:
        configure([up.entry(), (down.verifier.text(), closed_port_url())])
        result = witnessing.submit()
    assert [(o.witness, o.status) for o in result.outcomes] == [
        ("witness.test/up", "cosigned"),
        ("witness.test/down", "unreachable"),
    ]
    assert (result.cosignatures, result.quorum, result.witnessed) == (1, 2, False)
    assert not witnessing.witnessed(size)
    status = witnessing.status()
    assert [(s.name, s.last_size) for s in status.witnesses] == [("witness.test/up", size), ("witness.test/down", None)]
    assert (status.quorum, status.latest_size, status.latest_witnessed) == (2, size, False)
    configure([up.entry(), (down.verifier.text(), closed_port_url())], quorum=1)
    assert witnessing.witnessed(size) and witnessing.status().latest_witnessed


def test_an_answer_that_is_not_the_configured_witness_cosignature_is_not_kept(grow, configure, tmp_path):
    checkpoints.make_checkpoint("@test")
    configured = SignerKey.generate("witness.test/a", COSIGNATURE_V1)
    impostor = SignerKey.generate("witness.test/a", COSIGNATURE_V1)  # same name, another key
    with witness(tmp_path, "witness.test/a", signing_key=impostor) as w:
        configure([w.entry(configured)])
        [outcome] = witnessing.submit().outcomes
    assert (outcome.status, outcome.http_status) == ("invalid", 200)
    assert stored_cosignatures() == []


def test_a_witness_that_does_not_know_our_log_refuses_it(grow, configure, tmp_path):
    checkpoints.make_checkpoint("@test")
    stranger = SignerKey.generate("example.test/another-log")
    with witness(tmp_path, "witness.test/a", logs=[stranger.verifier]) as w:
        configure([w.entry()])
        [outcome] = witnessing.submit().outcomes
    assert (outcome.status, outcome.http_status) == ("refused", 404)


def test_without_witnesses_or_checkpoints(grow, configure):
    configure([])
    assert witnessing.submit() == witnessing.SubmitResult(0, [], 0, 0)  # no checkpoint yet
    size = checkpoints.make_checkpoint("@test").size
    result = witnessing.submit()
    assert (result.size, result.outcomes, result.witnessed) == (size, [], True)  # a quorum of 0
    assert witnessing.status() == witnessing.WitnessingStatus(0, [], size, True)


def test_submit_refuses_to_run_inside_a_transaction(grow, configure):
    checkpoints.make_checkpoint("@test")
    configure([])
    with pytest.raises(RuntimeError, match="outside a unit of work"), unit_of_work():
        witnessing.submit()


def test_two_witnesses_cosign_in_parallel(grow, configure, tmp_path):
    size = checkpoints.make_checkpoint("@test").size
    with ExitStack() as stack:
        served = [stack.enter_context(witness(tmp_path, f"witness.test/{n}")) for n in ("a", "b")]
        configure([w.entry() for w in served])
        result = witnessing.submit()
    assert result.witnessed and result.cosignatures == 2
    note = Note.parse(checkpoints.published(checkpoints.at_size(size)))
    assert all(note.cosigned_by(w.key.verifier) for w in served)


@pytest.mark.parametrize(
    "entry",
    [
        "only-a-key",
        "{log} http://127.0.0.1:1",  # a log key (type 0x01) is not a witness key
        "{witness} ftp://127.0.0.1/",
        "{witness} http://a {witness}",
    ],
)
def test_bad_witness_entries_are_refused(configure, entry):
    witness_key = SignerKey.generate("witness.test/a", COSIGNATURE_V1).verifier.text()
    configure([entry.format(log=log_key().verifier.text(), witness=witness_key)])
    with pytest.raises(ValueError):
        witnessing.configured()


def test_configuration_from_the_environment(tmp_path, monkeypatch):
    from custody.config import from_environment

    monkeypatch.setenv("CUSTODY_WITNESSES", "k1 http://a;k2 http://b\n\n k3 http://c ")
    monkeypatch.setenv("CUSTODY_WITNESS_QUORUM", "2")
    config = from_environment(str(tmp_path), {"SECRET_KEY": "x"})
    assert config["CUSTODY_WITNESSES"] == ["k1 http://a", "k2 http://b", "k3 http://c"]
    assert config["CUSTODY_WITNESS_QUORUM"] == 2
    monkeypatch.delenv("CUSTODY_WITNESSES")
    monkeypatch.delenv("CUSTODY_WITNESS_QUORUM")
    config = from_environment(str(tmp_path), {"SECRET_KEY": "x"})
    assert (config["CUSTODY_WITNESSES"], config["CUSTODY_WITNESS_QUORUM"]) == ([], None)
