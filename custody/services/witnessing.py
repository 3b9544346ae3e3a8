"""The log's side of C2SP tlog-witness: send checkpoints to the witnesses, keep their cosignatures.

Each configured witness is another agency's service that remembers the last checkpoint of ours it
cosigned and cosigns a new one only with a consistency proof from it. ``submit`` sends a stored
checkpoint to every witness at once (``old`` = the largest size that witness cosigned for us, from
``ledger_cosignatures``), follows a 409's size once, checks each cosignature with that witness's
key, and stores the good ones in one short transaction. Network calls happen with no transaction
open: a slow witness must not hold the ledger's locks (or a PostgreSQL connection idle in
transaction), and one witness down or refusing never stops the others. A checkpoint is *witnessed*
when the quorum of configured witnesses cosigned it.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from custody import clock
from custody.extensions import db
from custody.ledger import proofs
from custody.ledger.offline import COSIGNATURE_V1, Note, ProofError, VerifierKey, b64
from custody.models import LedgerCosignature
from custody.services import checkpoints
from custody.services.uow import transactional

log = logging.getLogger(__name__)

SIZE_TYPE = "text/x.tlog.size"
MAX_ANSWER = 64 * 1024


@dataclass(frozen=True)
class Witness:
    """A configured witness: its verifier key (cosignature/v1) and its submission URL prefix."""

    key: VerifierKey
    url: str

    @property
    def name(self) -> str:
        return self.key.name


@dataclass(frozen=True)
class Outcome:
    """What one witness did with one checkpoint: ``cosigned``, ``refused``, ``unreachable`` or ``invalid``."""

    witness: str
    url: str
    status: str
    size: int
    http_status: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "cosigned"


@dataclass(frozen=True)
class SubmitResult:
    size: int
    outcomes: list[Outcome]
    cosignatures: int  # configured witnesses holding a stored cosignature of ``size``
    quorum: int

    @property
    def witnessed(self) -> bool:
        return self.cosignatures >= self.quorum


@dataclass(frozen=True)
class WitnessState:
    name: str
    url: str
    key: str
    last_size: int | None
    last_at: datetime | None


@dataclass(frozen=True)
class WitnessingStatus:
    quorum: int
    witnesses: list[WitnessState]
    latest_size: int | None
    latest_witnessed: bool


def _parse_entry(entry: Any) -> Witness:
    """``"<verifier key> <url>"`` (configuration) or a ``(key, url)`` pair (tests)."""
    parts = entry.split() if isinstance(entry, str) else list(entry)
    if len(parts) != 2:
        raise ValueError(f"a witness is '<verifier key> <url>', not {str(entry)[:80]!r}")
    key = VerifierKey.parse(str(parts[0]))  # ProofError is a ValueError
    url = str(parts[1]).rstrip("/")
    if key.key_type != COSIGNATURE_V1:
        raise ValueError(f"the witness key {key.name} is not a cosignature/v1 key (type 0x04)")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"the witness URL of {key.name} is not http(s): {url!r}")
    return Witness(key, url)


def configured() -> list[Witness]:
    """CUSTODY_WITNESSES parsed; ValueError on a bad entry or a name given twice."""
    witnesses = [_parse_entry(entry) for entry in current_app.config.get("CUSTODY_WITNESSES") or []]
    names = [w.name for w in witnesses]
    if len(set(names)) != len(names):
        raise ValueError("two configured witnesses have the same name (cosignatures are kept by name)")
    return witnesses


def quorum() -> int:
    value = current_app.config.get("CUSTODY_WITNESS_QUORUM")
    return len(configured()) if value is None else int(value)


@dataclass(frozen=True)
class _Request:
    witness: Witness
    old: int
    proof: list[bytes]


@dataclass(frozen=True)
class _Answer:
    status: int | None  # None: no answer (refused connection, timeout)
    content_type: str = ""
    body: str = ""

    @property
    def held_size(self) -> int | None:
        """The size a 409 says the witness holds, when it says one."""
        if self.status != 409 or self.content_type != SIZE_TYPE:
            return None
        text = self.body.strip()
        return int(text) if text.isdigit() else None


def submit(size: int | None = None) -> SubmitResult:
    """Send the latest checkpoint (or the one of ``size``) to every configured witness; store the cosignatures.

    Call it outside a unit of work (it raises RuntimeError inside one). Raises NotFound for a size
    with no checkpoint; a witness's failure is an Outcome, never an exception.
    """
    if db.session().info.get("uow_depth"):
        raise RuntimeError("witnessing.submit makes network calls: call it outside a unit of work")
    witnesses = configured()
    row = checkpoints.latest() if size is None else checkpoints.at_size(size)
    if row is None:
        _end_read()
        return SubmitResult(0, [], 0, quorum())
    size, note = row.size, row.note
    held = _held_sizes(size)
    outcomes: dict[str, Outcome] = {}
    pending = []
    for witness in witnesses:
        if held.get(witness.name) == size:
            outcomes[witness.name] = Outcome(witness.name, witness.url, "cosigned", size, detail="cosigned before")
        else:
            old = held.get(witness.name, 0)
            pending.append(_Request(witness, old, _proof(old, size)))
    _end_read()
    answered = _post_all(pending, note)
    retries, final = [], []
    for request, answer in answered:
        reported = answer.held_size
        if reported is not None and reported != request.old and reported <= size:
            # The witness holds another size than we remembered (a lost answer, say): prove from there, once.
            retries.append(_Request(request.witness, reported, _proof(reported, size)))
        else:
            final.append((request, answer))
    _end_read()
    final += _post_all(retries, note)
    lines = {}
    for request, answer in final:
        outcome, line = _judge(request, answer, size, note)
        outcomes[request.witness.name] = outcome
        if line:
            lines[request.witness.name] = line
    if lines:
        try:
            _store(size, lines)
        except IntegrityError:  # a concurrent submit stored some of them first: store the rest
            _store(size, lines)
    count = _count(size, [w.name for w in witnesses])
    _end_read()
    return SubmitResult(size, [outcomes[w.name] for w in witnesses], count, quorum())


def witnessed(size: int) -> bool:
    """Whether the quorum of configured witnesses cosigned checkpoint ``size`` (always, with a quorum of 0)."""
    return _count(size, [w.name for w in configured()]) >= quorum()


def status() -> WitnessingStatus:
    """Each configured witness and the last checkpoint it cosigned, for pages and the API."""
    states = []
    for witness in configured():
        last = db.session.scalars(
            select(LedgerCosignature)
            .where(LedgerCosignature.witness == witness.name)
            .order_by(LedgerCosignature.size.desc())
            .limit(1)
        ).first()
        states.append(
            WitnessState(
                witness.name,
                witness.url,
                witness.key.text(),
                last.size if last else None,
                last.at if last else None,
            )
        )
    latest = checkpoints.latest()
    return WitnessingStatus(
        quorum(), states, latest.size if latest else None, witnessed(latest.size) if latest else False
    )


def _held_sizes(size: int) -> dict[str, int]:
    """Per witness, the largest size up to ``size`` it cosigned for us: the ``old`` of the next request."""
    rows = db.session.execute(
        select(LedgerCosignature.witness, func.max(LedgerCosignature.size))
        .where(LedgerCosignature.size <= size)
        .group_by(LedgerCosignature.witness)
    )
    return {name: int(largest) for name, largest in rows}


def _count(size: int, names: list[str]) -> int:
    if not names:
        return 0
    return (
        db.session.scalar(
            select(func.count(func.distinct(LedgerCosignature.witness))).where(
                LedgerCosignature.size == size, LedgerCosignature.witness.in_(names)
            )
        )
        or 0
    )


def _proof(old: int, size: int) -> list[bytes]:
    """The consistency proof tlog-witness wants: empty from 0 (trust on first use) and between equal sizes."""
    return [] if old in (0, size) else proofs.consistency(db.session, old, size)


def _end_read() -> None:
    """End the read transaction before talking to witnesses (nothing was written: rolling back loses nothing)."""
    session = db.session()
    if session.in_transaction() and not session.info.get("uow_depth"):
        session.rollback()


def _post_all(requests: list[_Request], note: str) -> list[tuple[_Request, _Answer]]:
    """Post to every witness at once, so that the slowest one, not their sum, bounds the wait."""
    if not requests:
        return []
    timeout = float(current_app.config.get("CUSTODY_WITNESS_TIMEOUT") or 5)
    with ThreadPoolExecutor(max_workers=min(8, len(requests))) as pool:
        answers = list(pool.map(lambda r: _post(r, note, timeout), requests))
    return list(zip(requests, answers, strict=True))


def _post(request: _Request, note: str, timeout: float) -> _Answer:
    body = f"old {request.old}\n" + "".join(b64(h) + "\n" for h in request.proof) + "\n" + note
    http = urllib.request.Request(  # noqa: S310 (the URL is checked to be http(s) in configured())
        request.witness.url + "/add-checkpoint",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(http, timeout=timeout) as response:  # noqa: S310 (http(s) only, checked)
            return _Answer(response.status, response.headers.get_content_type(), _text(response.read(MAX_ANSWER)))
    except urllib.error.HTTPError as error:
        content_type = error.headers.get_content_type() if error.headers else ""
        return _Answer(error.code, content_type, _text(error.read(MAX_ANSWER)))
    except (OSError, ValueError) as error:  # URLError, refused, timeout, a reset connection
        log.warning("witness %s unreachable: %s", request.witness.url, error)
        return _Answer(None, body=str(error))


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


REFUSALS = {
    400: "the witness found the request malformed",
    403: "the witness does not trust this log's key",
    404: "the witness does not witness this log (unknown origin)",
    422: "the witness found the consistency proof invalid",
}


def _judge(request: _Request, answer: _Answer, size: int, note: str) -> tuple[Outcome, str | None]:
    """The outcome of one answer, and the cosignature line to keep when it verifies with the witness's key."""
    witness = request.witness

    def outcome(status: str, detail: str = "") -> Outcome:
        return Outcome(witness.name, witness.url, status, size, answer.status, detail)

    if answer.status is None or answer.status >= 500:
        return outcome("unreachable", answer.body.strip()[:200]), None
    if answer.status == 200:
        line = _verified_line(witness, note, answer.body)
        if line is None:
            log.warning("witness %s answered without a valid cosignature", witness.name)
            return outcome("invalid", "no valid cosignature by this witness in its answer"), None
        return outcome("cosigned"), line
    held = answer.held_size
    if held is not None and held != request.old:  # it holds the old size we sent: only a root mismatch is left
        return outcome("refused", f"the witness holds size {held} (this checkpoint is {size})"), None
    if answer.status == 409:
        log.error("witness %s holds another root for size %s: the log forked or was rewritten", witness.name, size)
        return outcome(
            "refused", "the witness cosigned another root for this size: the log forked or was rewritten"
        ), None
    return outcome("refused", f"{REFUSALS.get(answer.status, 'refused')}: {answer.body.strip()[:200]}"), None


def _verified_line(witness: Witness, note: str, answer: str) -> str | None:
    """The first signature line of ``answer`` that is a valid cosignature/v1 by ``witness`` (others are ignored)."""
    try:
        signatures = Note.parse(note + answer).signatures  # the answer's lines appended to the checkpoint
    except ProofError:
        return None
    text = Note.parse(note).text
    for signature in signatures:
        if signature.name == witness.name and Note(text, [signature]).cosigned_by(witness.key) is not None:
            return signature.line()
    return None


@transactional
def _store(size: int, lines: dict[str, str]) -> None:
    stored = set(db.session.scalars(select(LedgerCosignature.witness).where(LedgerCosignature.size == size)))
    now = clock.now()
    for name, line in lines.items():
        if name not in stored:
            db.session.add(LedgerCosignature(size=size, witness=name, line=line, at=now))
    db.session.flush()
