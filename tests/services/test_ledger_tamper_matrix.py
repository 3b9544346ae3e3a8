"""The tamper matrix (issue 7): after a checkpoint was taken, every way of rewriting the stored ledger
is named by ``verify`` — the first bad seq and its reason — on SQLite and on PostgreSQL.

The hardest case is the one a hash chain alone cannot see: a body edited and every hash after it
recomputed (and the tree too). Only the signed checkpoint catches it, and a witness that cosigned
the honest checkpoint refuses the rewritten log's next one.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import text

from custody.extensions import db
from custody.ledger import proofs, tree, verify, verify_fast
from custody.ledger.keys import log_key
from custody.ledger.notes import SignerKey, sign_checkpoint
from custody.ledger.offline import COSIGNATURE_V1, Checkpoint, Note, b64, leaf_hash
from custody.ledger.verify import verify_chain
from custody.services.checkpoints import make_checkpoint
from custody.witness.app import create_witness_app

BATCHES = [3, 10000]  # several batches (a bad one in the middle of the walk), and all in one


def _sql(statement: str, **params: Any) -> Any:
    result = db.session.execute(text(statement), params)
    db.session.commit()
    return result


def _entries() -> list[tuple[int, str, str, str]]:
    rows = db.session.execute(text("SELECT seq, body, prev_hash, hash FROM ledger_entries ORDER BY seq")).all()
    db.session.rollback()
    return [tuple(r) for r in rows]


class Ledger:
    """A police handler's acts: a checkpoint after the first ``checkpoint`` entries, then four more entries."""

    def __init__(self, make: Any) -> None:
        handler = make.user("handler")
        case = make.case(handler, case_no="示范〔2026〕1号")
        for _ in range(5):
            make.items(handler, case, 2)
        self.checkpoint = make_checkpoint("@test").size
        for _ in range(4):
            make.items(handler, case, 1)
        self.head = _entries()[-1][0]
        assert self.checkpoint >= 8 and self.head >= self.checkpoint + 4
        self.registered = [seq for seq, body, _p, _h in _entries() if '"kind":"item.registered"' in body]

    def before(self, nth: int = 2) -> int:
        """The seq of the ``nth`` registration: entries that the checkpoint covers."""
        seq = self.registered[nth]
        assert seq <= self.checkpoint
        return seq


def _rechain(start: int) -> None:
    """Recompute every hash from ``start`` on, and the head's: the chain looks sound again."""
    entries = _entries()
    prev = entries[start - 2][3] if start > 1 else "0" * 64
    for seq, body, _prev, _hash in entries[start - 1 :]:
        digest = hashlib.sha256(bytes.fromhex(prev) + body.encode()).hexdigest()
        db.session.execute(
            text("UPDATE ledger_entries SET prev_hash = :prev, hash = :hash WHERE seq = :seq"),
            {"prev": prev, "hash": digest, "seq": seq},
        )
        prev = digest
    db.session.execute(text("UPDATE ledger_head SET seq = :seq, hash = :hash"), {"seq": entries[-1][0], "hash": prev})
    db.session.commit()


def _retree() -> None:
    """Rebuild the stored tree and the head's frontier from the bodies as they are now."""
    frontier: list[bytes] = []
    rows = []
    for size, (seq, body, _p, _h) in enumerate(_entries()):
        rows += [
            {"seq": seq, "level": level, "hash": h.hex()}
            for level, h in tree.push(frontier, size, leaf_hash(body.encode()))
        ]
    db.session.execute(text("DELETE FROM ledger_nodes"))
    if rows:
        db.session.execute(text("INSERT INTO ledger_nodes (seq, level, hash) VALUES (:seq, :level, :hash)"), rows)
    db.session.execute(text("UPDATE ledger_head SET frontier = :f"), {"f": tree.frontier_text(frontier)})
    db.session.commit()


def _edit_body(seq: int) -> None:
    _sql("UPDATE ledger_entries SET body = replace(body, 'Phone', 'Fhone') WHERE seq = :seq", seq=seq)


def _delete_tail(after: int) -> None:
    for table in ("ledger_entry_items", "ledger_nodes", "ledger_entries"):
        _sql(f"DELETE FROM {table} WHERE seq > :seq", seq=after)


def _verify(batch: int) -> tuple[bool, int | None, str | None]:
    result = verify_chain(db.session, batch=batch)
    db.session.rollback()
    return result.ok, result.first_bad_seq, result.reason


def _read(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """Read batches as ``mode`` says, whatever the database ("native": as verify chooses for it)."""
    if mode != "native":
        init = verify_fast.Reader.__init__
        monkeypatch.setattr(
            verify_fast.Reader, "__init__", lambda self, queries, ranges, _mode: init(self, queries, ranges, mode)
        )


@pytest.mark.parametrize("mode", ["native", "inline", "ahead", "beside"])
@pytest.mark.parametrize("batch", [1, 3, 4, 10000])
def test_an_untouched_ledger_passes_on_the_fast_path(make, monkeypatch, batch, mode):
    ledger = Ledger(make)
    make_checkpoint("@test")  # a second checkpoint, at the head
    exact = []
    monkeypatch.setattr(verify._Walk, "exact", lambda self, first, last: exact.append(first))
    _read(monkeypatch, mode)
    result = verify_chain(db.session, batch=batch)
    assert (result.ok, result.checked, result.head_seq) == (True, ledger.head, ledger.head)
    assert exact == []  # no batch needed the entry-by-entry check


@pytest.mark.parametrize("mode", ["inline", "ahead", "beside"])
def test_every_way_of_reading_names_the_same_bad_entry(make, monkeypatch, mode):
    ledger = Ledger(make)
    _read(monkeypatch, mode)
    _sql("UPDATE ledger_nodes SET hash = :zero WHERE seq = 8 AND level = 3", zero="0" * 64)
    _edit_body(ledger.head)
    assert _verify(3) == (False, 8, "hash_mismatch")


@pytest.mark.parametrize("batch", BATCHES)
def test_an_edited_body_is_a_hash_mismatch_at_its_seq(make, batch):
    ledger = Ledger(make)
    target = ledger.before()
    _edit_body(target)
    assert _verify(batch) == (False, target, "hash_mismatch")


@pytest.mark.parametrize("batch", BATCHES)
def test_a_rechained_edit_is_caught_by_the_first_stored_subtree_over_it(make, batch):
    ledger = Ledger(make)
    target = ledger.before()
    _edit_body(target)
    _rechain(target)
    # The chain is sound again; the stored node of level 1 over the edited leaf is not.
    assert _verify(batch) == (False, target + target % 2, "hash_mismatch")


@pytest.mark.parametrize("batch", BATCHES)
def test_a_rechained_and_retreed_edit_is_caught_by_the_checkpoint(make, batch):
    ledger = Ledger(make)
    _edit_body(ledger.before())
    _rechain(ledger.before())
    _retree()
    # Chain, tree and head all agree with the rewritten bodies: only the signed root does not.
    assert _verify(batch) == (False, ledger.checkpoint, "checkpoint_mismatch")


def test_a_deleted_tail_with_a_rewritten_head_is_caught_by_the_checkpoint(make):
    ledger = Ledger(make)
    keep = ledger.checkpoint - 3
    _delete_tail(keep)
    _sql("UPDATE ledger_head SET seq = :seq, hash = :hash", seq=keep, hash=_entries()[-1][3])
    assert _verify(10000) == (False, keep, "hash_mismatch")  # the head's frontier is still the old tree's
    _retree()
    assert _verify(10000) == (False, ledger.checkpoint, "checkpoint_mismatch")  # a checkpoint of entries gone


def test_a_deleted_tail_under_the_old_head_is_missing(make):
    ledger = Ledger(make)
    _delete_tail(ledger.checkpoint - 3)
    assert _verify(4) == (False, ledger.checkpoint - 2, "missing_entry")


@pytest.mark.parametrize(
    ("columns", "reason"), [("body, hash", "hash_mismatch"), ("body, prev_hash, hash", "link_mismatch")]
)
@pytest.mark.parametrize("batch", BATCHES)
def test_two_swapped_entries_are_named_at_the_first(make, batch, columns, reason):
    ledger = Ledger(make)
    first, second = ledger.before(1), ledger.before(3)
    rows = {seq: row for seq, *row in _entries()}
    names = [c.strip() for c in columns.split(",")]
    position = {"body": 0, "prev_hash": 1, "hash": 2}
    for seq, other in ((first, second), (second, first)):
        values = {name: rows[other][position[name]] for name in names}
        assignments = ", ".join(f"{name} = :{name}" for name in names)
        _sql(f"UPDATE ledger_entries SET {assignments} WHERE seq = :seq", seq=seq, **values)
    assert _verify(batch) == (False, first, reason)


@pytest.mark.parametrize("batch", BATCHES)
def test_a_removed_index_row_is_an_index_mismatch(make, batch):
    ledger = Ledger(make)
    target = ledger.before()
    _sql(
        "DELETE FROM ledger_entry_items WHERE seq = :seq AND item_code = "
        "(SELECT max(item_code) FROM ledger_entry_items WHERE seq = :seq)",
        seq=target,
    )
    assert _verify(batch) == (False, target, "index_mismatch")


@pytest.mark.parametrize(
    ("statement", "where"),
    [
        ("UPDATE ledger_nodes SET hash = :zero WHERE seq = :seq AND level = 1", 8),
        ("UPDATE ledger_nodes SET hash = upper(hash) WHERE seq = :seq AND level = 2", 8),
        ("DELETE FROM ledger_nodes WHERE seq = :seq AND level = 3", 8),
        ("INSERT INTO ledger_nodes (seq, level, hash) VALUES (:seq, 1, :zero)", 5),  # no subtree ends at 5
        ("UPDATE ledger_nodes SET level = 2 WHERE seq = :seq AND level = 1", 6),  # 6 ends no subtree of 4
    ],
)
@pytest.mark.parametrize("batch", BATCHES)
def test_a_bad_stored_node_is_a_hash_mismatch_at_its_seq(make, batch, statement, where):
    Ledger(make)
    _sql(statement, seq=where, zero="0" * 64)
    assert _verify(batch) == (False, where, "hash_mismatch")


def test_a_bad_frontier_on_the_head_is_a_hash_mismatch_at_the_head(make):
    ledger = Ledger(make)
    # Change the first hex digit (a fixed replacement would change nothing when the digit is already it).
    _sql(
        "UPDATE ledger_head SET frontier ="
        " CASE WHEN substr(frontier, 1, 1) = '0' THEN '1' ELSE '0' END || substr(frontier, 2)"
    )
    assert _verify(10000) == (False, ledger.head, "hash_mismatch")


def _other_note(size: int, root: bytes) -> str:
    stranger = SignerKey.generate(log_key().name)  # the log's name, another key
    return sign_checkpoint(Checkpoint(stranger.name, size, root), stranger)


@pytest.mark.parametrize(
    "damage", ["root column", "note root", "note size", "unsigned", "another key", "not a note", "another origin"]
)
@pytest.mark.parametrize("batch", BATCHES)
def test_a_bad_stored_checkpoint_is_a_checkpoint_mismatch_at_its_size(make, batch, damage):
    ledger = Ledger(make)
    size = ledger.checkpoint
    root = proofs.root(db.session, size)
    key = log_key()
    db.session.rollback()
    note = {
        "root column": None,
        "note root": sign_checkpoint(Checkpoint(key.name, size, bytes(32)), key),
        "note size": sign_checkpoint(Checkpoint(key.name, size + 1, root), key),
        "unsigned": Checkpoint(key.name, size, root).text() + "\n",
        "another key": _other_note(size, root),
        "not a note": "hello",
        "another origin": Note(
            Checkpoint("other/log", size, root).text(),
            Note.parse(sign_checkpoint(Checkpoint(key.name, size, root), key)).signatures,
        ).render(),
    }[damage]
    if note is None:
        _sql("UPDATE ledger_checkpoints SET root = :zero WHERE size = :size", zero="0" * 64, size=size)
    else:
        _sql("UPDATE ledger_checkpoints SET note = :note WHERE size = :size", note=note, size=size)
    assert _verify(batch) == (False, size, "checkpoint_mismatch")


def test_the_first_bad_seq_along_the_walk_is_reported(make):
    ledger = Ledger(make)
    _sql("UPDATE ledger_checkpoints SET root = :zero WHERE size = :size", zero="0" * 64, size=ledger.checkpoint)
    _edit_body(ledger.head)  # after the checkpoint: the checkpoint is met first
    assert _verify(3) == (False, ledger.checkpoint, "checkpoint_mismatch")
    _sql("UPDATE ledger_nodes SET hash = :zero WHERE seq = 4 AND level = 2", zero="0" * 64)  # before it: named first
    assert _verify(3) == (False, 4, "hash_mismatch")


def _note(size: int) -> str:
    note = db.session.execute(text("SELECT note FROM ledger_checkpoints WHERE size = :s"), {"s": size}).scalar_one()
    db.session.rollback()
    return note


def test_a_witness_refuses_the_rewritten_logs_next_checkpoint(make, tmp_path):
    ledger = Ledger(make)
    handler = make.user("handler")
    case = make.case(handler)
    witness_key = SignerKey.generate("witness.procuratorate.test", COSIGNATURE_V1)
    witness = create_witness_app(witness_key, tmp_path / "witness.sqlite3", [log_key().verifier]).test_client()

    def post(old: int, new: int, note: str) -> Any:
        proof = proofs.consistency(db.session, old, new) if old else []
        db.session.rollback()
        body = "\n".join([f"old {old}", *(b64(p) for p in proof)]) + "\n\n" + note
        return witness.post("/add-checkpoint", data=body.encode(), content_type="text/plain")

    # The witness cosigns the checkpoint taken before, then the honest log's next one.
    first = post(0, ledger.checkpoint, _note(ledger.checkpoint))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert Note.parse(_note(ledger.checkpoint) + first.get_data(as_text=True)).cosigned_by(witness_key.verifier)
    make.items(handler, case, 1)
    honest = make_checkpoint("@test")
    assert post(ledger.checkpoint, honest.size, honest.note).status_code == 200

    # The centre rewrites an entry both checkpoints cover, every hash and the tree after it, and goes on.
    _edit_body(ledger.before())
    _rechain(ledger.before())
    _retree()
    make.items(handler, case, 1)
    rewritten = make_checkpoint("@test")
    assert rewritten.size > honest.size
    refused = post(honest.size, rewritten.size, rewritten.note)
    assert refused.status_code == 422, refused.get_data(as_text=True)  # its proof does not lead to the held root
    assert _verify(10000) == (False, ledger.checkpoint, "checkpoint_mismatch")


@pytest.mark.parametrize("batch", BATCHES)
def test_names_and_codes_that_json_escapes_verify_and_tampering_with_them_is_named(make, monkeypatch, batch):
    """Quotes, backslashes, control characters and CJK in columns and item codes: the database's text
    must agree with the body's JSON (or leave the batch to the exact check), never pass what it should not."""
    from custody.ledger import SYSTEM, EntryKind, append
    from custody.services.uow import unit_of_work

    Ledger(make)
    odd = ['Q"1', "B\\2", "C\x013", "示范4", "plain5"]
    with unit_of_work() as session:
        for i, code in enumerate(odd):
            append(
                session,
                actor=SYSTEM,
                kind=EntryKind.ITEM_MOVED,
                data={"n": i},
                case_no=f'案"{i}\\\t',
                items=[code, "Z9"],
            )
    make_checkpoint("@test")
    exact = []
    original = verify._Walk.exact
    monkeypatch.setattr(
        verify._Walk, "exact", lambda self, first, last: exact.append(first) or original(self, first, last)
    )
    assert _verify(batch) == (True, None, None)
    assert len(exact) == 1  # only the batch with the control character needs the exact check
    target = _entries()[-2][0]  # "示范4"'s entry
    _sql("UPDATE ledger_entry_items SET item_code = 'other' WHERE seq = :seq AND item_code = 'Z9'", seq=target)
    assert _verify(batch) == (False, target, "index_mismatch")
