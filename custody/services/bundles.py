"""What the verifiable log hands out: its key, checkpoints, Merkle proofs and offline proof bundles.

A bundle (``offline.FORMAT``) lets someone who holds a handover's receipt or a disposition's record
check, with no database and no network, that the act's ledger entries are in the log the centre
signed: each entry's body (whose ``data.sha256`` names the issued PDF), its inclusion proof, and one
checkpoint that covers them all, with the witnesses' cosignatures when there are any. The checkpoint
is the smallest witnessed one that covers the entries (``checkpoints.covering``); when none does yet,
one is made and offered to the witnesses first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from custody.errors import Forbidden, InvalidInput, InvalidState
from custody.extensions import db
from custody.ledger import proofs
from custody.ledger.keys import log_key
from custody.ledger.offline import FORMAT, Checkpoint, Note, ProofError, b64, check_bundle
from custody.models import (
    DECIDED_HANDOVER,
    Disposition,
    DispositionStatus,
    Handover,
    LedgerCheckpoint,
    LedgerEntry,
    Role,
    User,
)
from custody.services import checkpoints, witnessing
from custody.services.dispositions.reads import load as load_disposition
from custody.services.handovers.reads import load as load_handover

ANONYMOUS = "@verify"  # who made a checkpoint that a public verification page needed


def verifier_key() -> str:
    """The log's verifier key, in C2SP signed-note form: what agencies check checkpoints and bundles with."""
    return log_key().verifier.text()


def latest_checkpoint() -> str:
    """The latest checkpoint as published (with cosignatures); the first one is made when there is none yet."""
    row = checkpoints.latest()
    if row is None:
        row = checkpoints.make_checkpoint("@api")
    return checkpoints.published(row)


def checkpoint_at(size: int) -> str:
    """The stored checkpoint of ``size`` entries as published. Raises NotFound."""
    return checkpoints.published(checkpoints.at_size(size))


@dataclass(frozen=True)
class Offered:
    """A checkpoint as published once the witnesses were asked, and what each of them answered."""

    size: int
    root: str  # base64, as in the note
    text: str  # the signed note with the cosignatures stored so far
    outcomes: list[witnessing.Outcome]  # one per configured witness
    cosignatures: int
    quorum: int

    @property
    def witnessed(self) -> bool:
        return self.cosignatures >= self.quorum


def new_checkpoint(actor: User) -> Offered:
    """A checkpoint of the ledger as it is now, offered to the witnesses (auditor or admin). Raises Forbidden."""
    if not actor.has_role(Role.AUDITOR, Role.ADMIN):
        raise Forbidden("Checkpoints are made by auditors and administrators")
    return checkpoint_now(actor.username)


def checkpoint_now(by: str) -> Offered:
    """A checkpoint of the ledger as it is now (the same one again when nothing was appended), offered to the witnesses.

    The witnesses are asked after the checkpoint is committed (network calls never hold a transaction
    open); one that is down leaves the checkpoint unwitnessed, not unmade.
    """
    return _offer(checkpoints.make_checkpoint(by))


def checkpoint_if_grown(by: str) -> Offered | None:
    """The schedule's tick: a checkpoint when the ledger grew since the latest one; else the latest offered
    again when it still lacks the quorum (a witness was down); else None."""
    latest = checkpoints.latest()
    if latest is None or proofs.ledger_size(db.session) > latest.size:
        return checkpoint_now(by)
    if witnessing.quorum() and not witnessing.witnessed(latest.size):
        return _offer(latest)
    return None


def _offer(row: LedgerCheckpoint) -> Offered:
    result = witnessing.submit(row.size)
    return Offered(
        size=row.size,
        root=b64(bytes.fromhex(row.root)),
        text=published(row),
        outcomes=result.outcomes,
        cosignatures=result.cosignatures,
        quorum=result.quorum,
    )


def published(row: LedgerCheckpoint) -> str:
    return checkpoints.published(checkpoints.at_size(row.size))  # read again: cosignatures stored since


# --- proofs ---------------------------------------------------------------------------------------


def inclusion_proof(seq: int, size: int | None = None) -> dict[str, Any]:
    """Entry ``seq``'s leaf hash and audit path in the tree of ``size`` entries (default: the whole ledger).

    Raises InvalidInput unless 1 ≤ seq ≤ size ≤ the ledger's size.
    """
    head = proofs.ledger_size(db.session)
    size = head if size is None else size
    if seq > size:
        raise InvalidInput("seq is past size", errors={"seq": [f"Must be at most size ({size})"]})
    if size > head:
        raise InvalidInput("size is past the ledger", errors={"size": [f"Must be at most the ledger's size ({head})"]})
    leaf, path = proofs.inclusion(db.session, seq, size)
    return {"seq": seq, "size": size, "leaf_hash": b64(leaf), "proof": [b64(h) for h in path]}


def consistency_proof(old: int, new: int | None = None) -> dict[str, Any]:
    """That the tree of ``new`` entries (default: the whole ledger) extends the tree of ``old``.

    Raises InvalidInput unless 0 < old ≤ new ≤ the ledger's size.
    """
    head = proofs.ledger_size(db.session)
    new = head if new is None else new
    if old > new:
        raise InvalidInput("from is past to", errors={"from": [f"Must be at most to ({new})"]})
    if new > head:
        raise InvalidInput("to is past the ledger", errors={"to": [f"Must be at most the ledger's size ({head})"]})
    return {"from": old, "to": new, "proof": [b64(h) for h in proofs.consistency(db.session, old, new)]}


# --- bundles --------------------------------------------------------------------------------------


def handover_seqs(handover: Handover) -> list[int]:
    """The decision's entry, and the receipt's once issued. Raises InvalidState before the decision."""
    if handover.status not in DECIDED_HANDOVER or handover.decision_seq is None:
        raise InvalidState(f"Handover {handover.number} is {handover.status}; its proof exists once it is decided")
    return [handover.decision_seq, *([handover.receipt_seq] if handover.receipt_seq else [])]


def disposition_seqs(disposition: Disposition) -> list[int]:
    """The execution's entry, and the record's once issued. Raises InvalidState before the execution."""
    if disposition.status != DispositionStatus.EXECUTED or disposition.execution_seq is None:
        raise InvalidState(
            f"Disposition {disposition.number} is {disposition.status}; its proof exists once it is executed"
        )
    return [disposition.execution_seq, *([disposition.record_seq] if disposition.record_seq else [])]


def handover_bundle(actor: User, number: str) -> str:
    """The offline bundle of a decided handover the actor may see. Raises NotFound, InvalidState."""
    handover = load_handover(actor, number, with_lines=False)
    return make_bundle("handover", handover.number, handover_seqs(handover), actor.username)


def disposition_bundle(actor: User, number: str) -> str:
    """The offline bundle of an executed disposition the actor may see. Raises NotFound, InvalidState."""
    disposition = load_disposition(actor, number)
    return make_bundle("disposition", disposition.number, disposition_seqs(disposition), actor.username)


def covering_checkpoint(seq: int, by: str) -> LedgerCheckpoint:
    """A checkpoint that covers entry ``seq``: a stored one, or one made now and offered to the witnesses."""
    row = checkpoints.covering(seq)
    if row is None:
        # Made in its own transaction, after ``seq`` committed, so it covers it; take() makes one per size,
        # so two requests racing here sign the same checkpoint.
        row = checkpoints.make_checkpoint(by)
        if witnessing.configured():
            witnessing.submit(row.size)
    return row


def make_bundle(kind: str, number: str, seqs: list[int], by: str) -> str:
    """The bundle of entries ``seqs`` (the subject's acts), proved against one checkpoint, as UTF-8 JSON text."""
    row = covering_checkpoint(max(seqs), by)
    bodies = dict(db.session.execute(select(LedgerEntry.seq, LedgerEntry.body).where(LedgerEntry.seq.in_(seqs))).all())
    if len(bodies) != len(set(seqs)):
        missing = sorted(set(seqs) - bodies.keys())
        raise LookupError(f"ledger entries are missing: {missing} (run `flask custody verify`)")
    entries = []
    for seq in seqs:
        leaf, path = proofs.inclusion(db.session, seq, row.size)
        entries.append({"seq": seq, "body": bodies[seq], "leaf_hash": b64(leaf), "inclusion": [b64(h) for h in path]})
    bundle = {
        "format": FORMAT,
        "origin": log_key().name,
        "subject": {"kind": kind, "number": number},
        "checkpoint": published(row),
        "entries": entries,
    }
    return json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"


# --- the public check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProofCheck:
    """A bundle checked as an agency would check it offline, with the log's key and the configured witnesses'."""

    size: int  # of the checkpoint the entries are proved against
    signed: bool  # the log's signature is good
    included: bool  # every entry's body hashes to a leaf of that checkpoint's tree
    cosigned: list[str]  # configured witnesses whose cosignature is good
    quorum: int
    lines: list[str] = field(default_factory=list)  # what `custody verify-proof` would print

    @property
    def witnessed(self) -> bool:
        return len(self.cosigned) >= self.quorum

    @property
    def in_log(self) -> bool:
        """Signed by the log and every entry included: all but the witnesses' word."""
        return self.signed and self.included

    @property
    def ok(self) -> bool:
        return self.in_log and self.witnessed


def check(bundle_text: str) -> ProofCheck:
    """Check a bundle with the log's own verifier key and the configured witnesses' keys."""
    key = log_key().verifier
    witnesses = [w.key for w in witnessing.configured()]
    report = check_bundle(bundle_text, key, witnesses)
    try:
        note = Note.parse(json.loads(bundle_text)["checkpoint"])
        size = Checkpoint.parse(note.text).size
    except (ProofError, ValueError, KeyError, IndexError, TypeError):
        return ProofCheck(0, False, False, [], witnessing.quorum(), report.lines)
    failed_entry = any(line.startswith(("FAIL  entry", "FAIL  bundle")) for line in report.lines)
    return ProofCheck(
        size=size,
        signed=note.signed_by(key),
        included=not failed_entry,
        cosigned=[w.name for w in witnesses if note.cosigned_by(w) is not None],
        quorum=witnessing.quorum(),
        lines=report.lines,
    )


def check_handover(handover: Handover, viewer: User | None) -> ProofCheck:
    """The decided handover's bundle checked for the public verification page (anyone may ask)."""
    return _checked("handover", handover.number, handover_seqs(handover), viewer)


def check_disposition(disposition: Disposition, viewer: User | None) -> ProofCheck:
    """The executed disposition's bundle checked for the public verification page (anyone may ask)."""
    return _checked("disposition", disposition.number, disposition_seqs(disposition), viewer)


def _checked(kind: str, number: str, seqs: list[int], viewer: User | None) -> ProofCheck:
    try:
        text = make_bundle(kind, number, seqs, viewer.username if viewer is not None else ANONYMOUS)
    except LookupError as exc:  # stored tree nodes are gone: the page must say the proof fails, not crash
        return ProofCheck(0, False, False, [], witnessing.quorum(), [f"FAIL  {exc}"])
    return check(text)
