"""Checking the centre's ledger without the centre: RFC 6962 proofs, C2SP signed notes, proof bundles.

This file needs only the Python standard library and ``cryptography``, and imports nothing else from
the app, so that another agency can copy it alone and run ``python offline.py BUNDLE --key VKEY``.
The app uses the same functions (the log's own checks and the tests go through them), so what an
agency runs is exactly what the centre tested.

* Merkle hashing is RFC 6962 / RFC 9162: leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right);
  verification follows RFC 9162 §2.1.3.2 and §2.1.4.2.
* Notes are C2SP signed-note; checkpoints C2SP tlog-checkpoint (origin, size, base64 root); the log
  signs with Ed25519 (key type 0x01), witnesses cosign with C2SP tlog-cosignature ``cosignature/v1``
  (key type 0x04, a timestamp in the signature).
* A bundle (``FORMAT``) is JSON: a checkpoint, and entries each with its body and inclusion proof.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "custody-ledger-proof/v1"
ED25519 = 0x01
COSIGNATURE_V1 = 0x04
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof, note or bundle that does not check out; the message says which part and why."""


# --- RFC 6962 -------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from leaf ``index`` of a tree of ``size`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}")
    _check_hashes([leaf, *proof])
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"leaf {index} is not in the tree of size {size} with that root")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """Raise unless the tree of ``size2`` and ``root2`` extends the one of ``size1`` and ``root1`` (§2.1.4.2)."""
    _check_hashes(proof)
    if not 0 < size1 <= size2:
        # A proof from the empty tree would prove nothing, so it is refused like RFC 9162's clients do.
        raise ProofError(f"sizes {size1} and {size2} are not 0 < size1 <= size2")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if root1 != root2:
            raise ProofError("the two roots of the same size differ")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # an exact power of 2: the old root is a node of the new tree
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != root1:
        raise ProofError(f"the proof does not lead to the root of size {size1}")
    if sr != root2:
        raise ProofError(f"the proof does not lead to the root of size {size2}")


def _check_hashes(hashes: Sequence[bytes]) -> None:
    if any(len(h) != 32 for h in hashes):
        raise ProofError("a hash is not 32 bytes long")


# --- C2SP signed notes ----------------------------------------------------------------------------


def key_id(name: str, key_type: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public).digest()[:4]


def b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProofError(f"not base64: {text[:20]!r}") from exc


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class VerifierKey:
    """``<name>+<hex key id>+<base64(type ‖ Ed25519 public key)>``."""

    name: str
    key_type: int
    public: bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.key_type, self.public)

    def text(self) -> str:
        return f"{self.name}+{self.id.hex()}+{b64(bytes([self.key_type]) + self.public)}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        name, _, rest = text.strip().partition("+")  # the base64 may hold "+", the name and id never do
        hex_id, _, rest = rest.partition("+")
        raw = b64decode(rest) if name and rest else b""
        if not name or len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1) or not _valid_name(name):
            raise ProofError(f"not a verifier key: {text.strip()[:60]!r}")
        key = cls(name, raw[0], raw[1:])
        if key.id.hex() != hex_id.lower():
            raise ProofError(f"the key id of {name} does not match its key")
        return key

    def _check(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _valid_name(name: str) -> bool:
    return bool(name) and not any(c.isspace() or c == "+" for c in name)


@dataclass(frozen=True)
class Signature:
    name: str
    raw: bytes  # key id (4 bytes) then the signature

    def line(self) -> str:
        return f"\u2014 {self.name} {b64(self.raw)}\n"


@dataclass(frozen=True)
class Note:
    text: str  # ends with a newline
    signatures: list[Signature] = field(default_factory=list)

    @classmethod
    def parse(cls, signed: str) -> Note:
        text, sep, lines = signed.rpartition("\n\n")
        if not sep or not text or "\n\n" in text + "\n" or not lines.endswith("\n"):
            raise ProofError("not a signed note (text, a blank line, signature lines)")
        signatures = []
        for line in lines[:-1].split("\n"):
            dash, _, rest = line.partition(" ")
            name, _, sig = rest.partition(" ")
            if dash != "\u2014" or not _valid_name(name) or not sig:
                raise ProofError(f"not a signature line: {line[:60]!r}")
            raw = b64decode(sig)
            if len(raw) < 5:
                raise ProofError(f"signature of {name} is too short")
            signatures.append(Signature(name, raw))
        return cls(text + "\n", signatures)

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def signed_by(self, key: VerifierKey) -> bool:
        """Whether an Ed25519 signature by ``key`` over the text is among the signatures."""
        return any(
            s.name == key.name and s.raw[:4] == key.id and key._check(s.raw[4:], self.text.encode())
            for s in self.signatures
        )

    def cosigned_by(self, key: VerifierKey) -> int | None:
        """The time (UNIX seconds) of a valid ``cosignature/v1`` by ``key``, or None."""
        for s in self.signatures:
            if s.name == key.name and s.raw[:4] == key.id and len(s.raw) == 4 + 8 + 64:
                (timestamp,) = struct.unpack(">Q", s.raw[4:12])
                if key._check(s.raw[12:], cosigned_message(self.text, timestamp)):
                    return timestamp
        return None


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{b64(self.root)}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise ProofError("a checkpoint is an origin, a size and a root, one per line")
        if not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
            raise ProofError(f"not a tree size: {lines[1][:20]!r}")
        root = b64decode(lines[2])
        _check_hashes([root])
        return cls(lines[0], int(lines[1]), root)


# --- bundles --------------------------------------------------------------------------------------


@dataclass
class Report:
    """What a bundle check found: ``ok`` only when every part that was checked is good."""

    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def good(self, text: str) -> None:
        self.lines.append("OK    " + text)

    def bad(self, text: str) -> None:
        self.ok = False
        self.lines.append("FAIL  " + text)


def check_bundle(
    bundle_text: str, log_key: VerifierKey, witness_keys: Sequence[VerifierKey] = (), document: bytes | None = None
) -> Report:
    """Check a bundle: the log's signature, each entry's leaf and inclusion, the cosignatures asked for,
    and (when given) that a document's SHA-256 is the one an entry records."""
    report = Report()
    try:
        bundle = json.loads(bundle_text)
        if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
            raise ProofError(f"not a {FORMAT} bundle")
        note = Note.parse(bundle["checkpoint"])
        checkpoint = Checkpoint.parse(note.text)
    except (ProofError, ValueError, KeyError, TypeError) as exc:
        report.bad(f"bundle: {exc}")
        return report
    if checkpoint.origin != log_key.name:
        report.bad(f"checkpoint: made by {checkpoint.origin!r}, not by the log {log_key.name!r}")
    elif note.signed_by(log_key):
        report.good(f"checkpoint: signed by {log_key.name}, size {checkpoint.size}")
    else:
        report.bad(f"checkpoint: no valid signature by {log_key.name}")
    for witness in witness_keys:
        when = note.cosigned_by(witness)
        if when is None:
            report.bad(f"witness {witness.name}: no valid cosignature")
        else:
            report.good(f"witness {witness.name}: cosigned (time {when})")
    recorded: set[str] = set()
    for entry in bundle.get("entries") or []:
        _check_entry(entry, checkpoint, report, recorded)
    if not bundle.get("entries"):
        report.bad("bundle: no entries")
    if document is not None:
        digest = hashlib.sha256(document).hexdigest()
        if digest in recorded:
            report.good(f"document: SHA-256 {digest} is recorded in the ledger")
        else:
            report.bad(f"document: SHA-256 {digest} is not the one the ledger records (altered or another file)")
    return report


def _check_entry(entry: dict, checkpoint: Checkpoint, report: Report, recorded: set[str]) -> None:
    try:
        seq, body = int(entry["seq"]), str(entry["body"])
        proof = [b64decode(p) for p in entry["inclusion"]]
        parsed = json.loads(body)
        if parsed.get("seq") != seq:
            raise ProofError(f"the body says seq {parsed.get('seq')}")
        verify_inclusion(seq - 1, checkpoint.size, leaf_hash(body.encode()), proof, checkpoint.root)
    except (ProofError, ValueError, KeyError, TypeError, AttributeError) as exc:
        report.bad(f"entry {entry.get('seq') if isinstance(entry, dict) else '?'}: {exc}")
        return
    data = parsed.get("data") or {}
    if isinstance(data.get("sha256"), str):
        recorded.add(data["sha256"])
    report.good(f"entry {seq} ({parsed.get('kind')}): in the log at size {checkpoint.size}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a custody ledger proof bundle offline.")
    parser.add_argument("bundle", help="the bundle file (JSON)")
    parser.add_argument("--key", required=True, help="the log's verifier key, or a file holding it")
    parser.add_argument("--witness", action="append", default=[], help="a witness's verifier key (or file)")
    parser.add_argument("--document", help="a receipt or record PDF whose SHA-256 the ledger must record")
    args = parser.parse_args(argv)
    try:
        log_key = VerifierKey.parse(_text_or_file(args.key))
        witnesses = [VerifierKey.parse(_text_or_file(w)) for w in args.witness]
        with open(args.bundle, encoding="utf-8") as fh:
            text = fh.read()
        document = None
        if args.document:
            with open(args.document, "rb") as fh:
                document = fh.read()
    except (OSError, ProofError) as exc:
        print(f"FAIL  {exc}")
        return 1
    report = check_bundle(text, log_key, witnesses, document)
    print("\n".join(report.lines))
    print("GENUINE" if report.ok else "NOT VERIFIED")
    return 0 if report.ok else 1


def _text_or_file(value: str) -> str:
    if not os.path.isfile(value):
        return value
    with open(value, encoding="utf-8") as fh:
        return fh.read().strip()


if __name__ == "__main__":
    sys.exit(main())
