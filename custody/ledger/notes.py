"""Signing C2SP notes: the log's Ed25519 key, and a witness's cosignature/v1 key.

Checking signatures lives in ledger.offline (it must run without the app); this module only
makes them. A signer key is kept as C2SP's text form ``PRIVATE+KEY+<name>+<hex id>+<base64>``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from custody.ledger.offline import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    Note,
    ProofError,
    Signature,
    VerifierKey,
    b64,
    b64decode,
    cosigned_message,
)

PREFIX = "PRIVATE+KEY+"


@dataclass(frozen=True)
class SignerKey:
    name: str
    key_type: int  # ED25519 signs notes (the log); COSIGNATURE_V1 cosigns checkpoints (a witness)
    seed: bytes

    @classmethod
    def generate(cls, name: str, key_type: int = ED25519) -> SignerKey:
        if not name or any(c.isspace() or c == "+" for c in name):
            raise ValueError(f"a key name has no spaces and no '+': {name!r}")
        return cls(name, key_type, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> SignerKey:
        text = text.strip()
        if not text.startswith(PREFIX):
            raise ProofError("a signer key starts with PRIVATE+KEY+")
        name, _, rest = text[len(PREFIX) :].partition("+")  # the base64 may hold "+", the name and id never do
        hex_id, _, rest = rest.partition("+")
        raw = b64decode(rest)
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise ProofError("not an Ed25519 signer key")
        key = cls(name, raw[0], raw[1:])
        if key.verifier.id.hex() != hex_id.lower():
            raise ProofError(f"the key id of {name} does not match its key")
        return key

    @property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def verifier(self) -> VerifierKey:
        public = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return VerifierKey(self.name, self.key_type, public)

    def text(self) -> str:
        return f"{PREFIX}{self.name}+{self.verifier.id.hex()}+{b64(bytes([self.key_type]) + self.seed)}"

    def sign(self, text: str) -> Signature:
        """An Ed25519 signature of a note's text (the log signing its checkpoint)."""
        assert self.key_type == ED25519, "a witness key cosigns, it does not sign notes"
        return Signature(self.name, self.verifier.id + self._private.sign(text.encode()))

    def cosign(self, checkpoint: Checkpoint, timestamp: int) -> Signature:
        """A C2SP tlog-cosignature ``cosignature/v1`` of a checkpoint at ``timestamp`` (UNIX seconds)."""
        assert self.key_type == COSIGNATURE_V1, "only a witness key cosigns"
        signature = self._private.sign(cosigned_message(checkpoint.text(), timestamp))
        return Signature(self.name, self.verifier.id + struct.pack(">Q", timestamp) + signature)


def sign_checkpoint(checkpoint: Checkpoint, key: SignerKey) -> str:
    """The checkpoint as a signed note, with the log's signature only."""
    if checkpoint.origin != key.name:
        raise ValueError(f"the checkpoint's origin {checkpoint.origin!r} is not the key's name {key.name!r}")
    text = checkpoint.text()
    return Note(text, [key.sign(text)]).render()
