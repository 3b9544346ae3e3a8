"""The tamper-evident ledger: canonical bodies, a SHA-256 chain, serialised appends, verification."""

from custody.ledger.append import SYSTEM, Actor, append
from custody.ledger.kinds import EntryKind
from custody.ledger.verify import VerifyResult, verify_chain

__all__ = ["SYSTEM", "Actor", "EntryKind", "VerifyResult", "append", "verify_chain"]
