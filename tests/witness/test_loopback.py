"""A real witness on loopback (werkzeug's threaded server): racing add-checkpoint posts, exactly one wins.

Two logs' clients posting from the same old size at the same moment must not both be cosigned: the
one that loses would otherwise roll the witness back (tlog-witness's race). The store's conditional
UPDATE decides, whichever request reaches it first.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import requests

from custody.ledger.notes import SignerKey
from custody.ledger.offline import COSIGNATURE_V1, Note
from custody.witness.app import SIZE_TYPE, create_witness_app
from custody.witness.store import WitnessStore
from tests.witness.toylog import ToyLog, serving

WITNESS = SignerKey.generate("witness.test/loopback", COSIGNATURE_V1)
ROUNDS = 5


def post(url: str, body: bytes) -> tuple[int, str, str]:
    """(status, content type, body) of a real HTTP POST to ``url``/add-checkpoint."""
    response = requests.post(url + "/add-checkpoint", data=body, timeout=10)
    return response.status_code, response.headers["Content-Type"].split(";")[0], response.content.decode()


def race(url: str, bodies: list[bytes]) -> list[Any]:
    """Post every body from its own thread, all released at once."""
    barrier = threading.Barrier(len(bodies))
    results: list[Any] = [None] * len(bodies)

    def target(i: int) -> None:
        barrier.wait()
        results[i] = post(url, bodies[i])

    threads = [threading.Thread(target=target, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def check_one_winner(results: list[Any], sizes: list[int], store: WitnessStore, origin: str) -> int:
    statuses = sorted(status for status, _type, _body in results)
    assert statuses == [200, 409], results
    winner = next(i for i, (status, _t, _b) in enumerate(results) if status == 200)
    loser = results[1 - winner]
    assert loser[1] == SIZE_TYPE and loser[2] == f"{sizes[winner]}\n"
    latest = store.latest(origin)
    assert latest is not None and latest.size == sizes[winner]
    return winner


def test_two_racing_posts_from_the_same_old_size_exactly_one_is_cosigned(tmp_path: Path):
    log = ToyLog(4)
    store_path = tmp_path / "witness.sqlite3"
    with serving(create_witness_app(WITNESS, store_path, [log.key.verifier])) as url:
        assert post(url, log.body(0))[0] == 200
        for _ in range(ROUNDS):
            old = log.size
            small, large = old + 1, old + 3
            log.grow(3)
            sizes = [small, large]
            results = race(url, [log.body(old, size=small), log.body(old, size=large)])
            winner = check_one_winner(results, sizes, WitnessStore(store_path), log.key.name)
            note = log.checkpoint(sizes[winner]) + results[winner][2]
            assert Note.parse(note).cosigned_by(WITNESS.verifier) is not None
            # The next round starts from whatever the witness holds now.
            log.leaves = log.leaves[: sizes[winner]]


def test_when_both_pass_the_checks_the_database_refuses_the_second(tmp_path: Path, monkeypatch: Any):
    """Both requests read the same held checkpoint before either stores: only the compare-and-store can decide."""
    log = ToyLog(4)
    store_path = tmp_path / "witness.sqlite3"
    app = create_witness_app(WITNESS, store_path, [log.key.verifier])
    store: WitnessStore = app.extensions["custody_witness"].store
    with serving(app) as url:
        assert post(url, log.body(0))[0] == 200
        log.grow(5)
        both_read = threading.Barrier(2, timeout=20)
        read = store.latest

        reads = itertools.count()

        def latest_then_wait(origin: str) -> Any:
            held = read(origin)
            if next(reads) < 2:  # each request's first read waits for the other's: then both pass the checks
                both_read.wait()
            return held

        advance, stored = store.advance, []

        def advance_and_tell(*args: Any) -> bool:
            stored.append(advance(*args))
            return stored[-1]

        monkeypatch.setattr(store, "latest", latest_then_wait)
        monkeypatch.setattr(store, "advance", advance_and_tell)
        results = race(url, [log.body(4, size=6), log.body(4, size=9)])
        check_one_winner(results, [6, 9], WitnessStore(store_path), log.key.name)
        assert sorted(stored) == [False, True]  # both reached the compare-and-store; it refused one
