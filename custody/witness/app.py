"""The witness's HTTP service: C2SP tlog-witness ``POST /add-checkpoint``, and ``GET /`` for its key.

The checks run in the order the specification lists them, each with its status: a malformed body
400; an origin it does not witness 404; no valid signature by a trusted key of that log 403; an old
size above the checkpoint's 400; an old size that is not the one it holds 409 with that size
(``text/x.tlog.size``); the same size with another root 409 (plain text: no size to retry from, the
log forked); a consistency proof that does not verify 422. Then the store decides the race, and the
answer is one ``cosignature/v1`` line. Verification is the offline module's, so the witness checks
exactly what an agency's verifier checks.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

from flask import Flask, Response, request

from custody.ledger.notes import SignerKey
from custody.ledger.offline import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    Note,
    ProofError,
    VerifierKey,
    b64decode,
    verify_consistency,
)
from custody.witness.store import Cosigned, WitnessStore

SIZE_TYPE = "text/x.tlog.size"
TEXT_TYPE = "text/plain; charset=utf-8"
MAX_PROOF_LINES = 63
MAX_SIZE = 2**63 - 1  # what the store's INTEGER holds; a uint64 size beyond it is refused, not a 500
MAX_BODY = 64 * 1024  # 63 proof lines and a checkpoint with a few dozen signatures fit many times over
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]*)")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class Refusal(Exception):
    """An add-checkpoint request the witness does not cosign: its status, body and content type."""

    def __init__(self, status: int, message: str, content_type: str = TEXT_TYPE) -> None:
        super().__init__(message)
        self.status, self.message, self.content_type = status, message, content_type


class Witness:
    """The protocol without HTTP: parse, check, compare-and-store, cosign."""

    def __init__(self, key: SignerKey, store: WitnessStore, logs: Sequence[VerifierKey]) -> None:
        if key.key_type != COSIGNATURE_V1:
            raise ValueError("a witness key must be a cosignature/v1 key (type 0x04)")
        self.key, self.store = key, store
        # A log is known by its origin, which is its key's name; several keys allow a key rotation.
        self.logs: dict[str, list[VerifierKey]] = {}
        for log in logs:
            self.logs.setdefault(log.name, []).append(log)

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line(s) for a request body, or Refusal."""
        old, proof, signed = _parse_request(body)
        try:
            note = Note.parse(signed)
            checkpoint = Checkpoint.parse(note.text)
        except ProofError as exc:
            raise Refusal(400, f"not a checkpoint: {exc}") from exc
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise Refusal(404, f"this witness does not witness the log {checkpoint.origin!r}")
        if not any(note.signed_by(key) for key in keys):
            raise Refusal(403, f"no valid signature by a known key of {checkpoint.origin}")
        if note.text != checkpoint.text():
            raise Refusal(400, "this witness cosigns checkpoints without extension lines only")
        if checkpoint.size > MAX_SIZE:
            raise Refusal(400, f"a tree size is at most {MAX_SIZE}")
        if old > checkpoint.size:
            raise Refusal(400, f"old size {old} is larger than the checkpoint's size {checkpoint.size}")
        held = self.store.latest(checkpoint.origin)
        self._check(checkpoint, old, proof, held, signed)
        if not self.store.advance(checkpoint.origin, held, checkpoint.size, checkpoint.root, signed):
            raise _conflict(self.store.latest(checkpoint.origin))  # another request advanced the log first
        return self.key.cosign(checkpoint, int(time.time())).line()

    def _check(self, checkpoint: Checkpoint, old: int, proof: list[bytes], held: Cosigned | None, signed: str) -> None:
        if old != (held.size if held else 0):
            raise _conflict(held)
        if held is not None and checkpoint.size == held.size:
            if checkpoint.root != held.root:
                self.store.refuse(checkpoint.origin, "same size, another root", signed)
                raise Refusal(409, f"size {held.size} was cosigned with another root: the log forked")
            if proof:
                raise Refusal(422, "equal sizes need an empty consistency proof")
            return  # the same checkpoint again: cosigned afresh, with a new timestamp
        if old == 0:
            if proof:
                raise Refusal(422, "the consistency proof must be empty when the old size is 0")
            return  # the first checkpoint of this log (or after the empty tree): trusted on first use
        assert held is not None  # old == held.size > 0
        try:
            verify_consistency(old, checkpoint.size, held.root, checkpoint.root, proof)
        except ProofError as exc:
            self.store.refuse(checkpoint.origin, f"inconsistent: {exc}", signed)
            raise Refusal(422, f"the consistency proof does not verify: {exc}") from exc


def _conflict(held: Cosigned | None) -> Refusal:
    return Refusal(409, f"{held.size if held else 0}\n", SIZE_TYPE)


def _parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    """(old size, consistency proof, signed checkpoint) of an add-checkpoint body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(400, "the body is not UTF-8") from exc
    if _CONTROL.search(text):
        raise Refusal(400, "the body holds control characters other than newline")
    head, sep, signed = text.partition("\n\n")
    if not sep:
        raise Refusal(400, "the body is an old size line, proof lines, an empty line and a checkpoint")
    old_line, *proof_lines = head.split("\n")
    match = _OLD_LINE.fullmatch(old_line)
    if match is None:
        raise Refusal(400, "the first line must be 'old <size>' (decimal, no leading zeroes)")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise Refusal(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    try:
        proof = [b64decode(line) for line in proof_lines]
    except ProofError as exc:
        raise Refusal(400, f"a proof line is not base64: {exc}") from exc
    if any(len(h) != 32 for h in proof):
        raise Refusal(400, "a proof line is not a 32-byte hash")
    return int(match.group(1)), proof, signed


def create_witness_app(key: SignerKey, store_path: str | Path, logs: list[VerifierKey]) -> Flask:
    """A witness service: no app database, no login; the logs it witnesses are given by their keys."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    witness = Witness(key, WitnessStore(store_path), logs)
    app.extensions["custody_witness"] = witness

    @app.post("/add-checkpoint")
    def add_checkpoint() -> Response:
        """C2SP tlog-witness add-checkpoint: cosign a checkpoint consistent with the last one."""
        try:
            lines = witness.add_checkpoint(request.get_data())
        except Refusal as refusal:
            app.logger.info("add-checkpoint refused (%s): %s", refusal.status, refusal.message.strip())
            return Response(refusal.message, refusal.status, content_type=refusal.content_type)
        return Response(lines, 200, content_type=TEXT_TYPE)

    @app.get("/")
    @app.get("/healthz")
    def verifier_key() -> Response:
        """The witness's verifier key, for the logs and agencies that check its cosignatures."""
        return Response(key.verifier.text() + "\n", 200, content_type=TEXT_TYPE)

    return app


def parse_log_keys(text: str) -> list[VerifierKey]:
    """Log verifier keys, one a line (or ``;``-separated); blank lines and ``#`` comments are skipped."""
    keys = []
    for line in text.replace(";", "\n").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key = VerifierKey.parse(line)
            if key.key_type != ED25519:
                raise ProofError(f"{key.name} is not a log key (type 0x01)")
            keys.append(key)
    return keys


def from_environment() -> Flask:
    """The witness app for a WSGI server: ``gunicorn 'custody.witness.app:from_environment()'``.

    Reads CUSTODY_WITNESS_KEY_FILE, CUSTODY_WITNESS_STORE, and the logs' verifier keys from
    CUSTODY_WITNESS_LOGS (``;`` or newline separated) and/or the file CUSTODY_WITNESS_LOGS_FILE.
    Several worker processes are fine: the store's compare-and-store is decided by SQLite.
    """
    env = os.environ
    key = SignerKey.parse(Path(env["CUSTODY_WITNESS_KEY_FILE"]).read_text())
    logs_file = env.get("CUSTODY_WITNESS_LOGS_FILE")
    text = env.get("CUSTODY_WITNESS_LOGS", "") + "\n" + (Path(logs_file).read_text() if logs_file else "")
    return create_witness_app(key, env["CUSTODY_WITNESS_STORE"], parse_log_keys(text))
