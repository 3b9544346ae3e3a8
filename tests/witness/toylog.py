"""A toy log for witness tests: leaves in memory, a naive RFC 6962 tree, checkpoints signed by its own key.

The tree and proofs are computed from the RFC's recursive definitions (MTH, SUBPROOF), not with the
app's tree module, so that the witness is checked against an independent implementation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

from custody.ledger.notes import SignerKey, sign_checkpoint
from custody.ledger.offline import EMPTY_ROOT, Checkpoint, b64, leaf_hash, node_hash
from custody.ledger.tree import split


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = split(n)
    if m <= k:
        return [*subproof(m, leaves[:k], complete), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


class ToyLog:
    def __init__(self, n: int = 0, origin: str = "example.test/toy-log", key: SignerKey | None = None) -> None:
        self.key = key or SignerKey.generate(origin)
        self.leaves = [f"entry {i}".encode() for i in range(n)]

    @property
    def size(self) -> int:
        return len(self.leaves)

    def grow(self, k: int) -> ToyLog:
        self.leaves += [f"entry {len(self.leaves) + i}".encode() for i in range(k)]
        return self

    def fork(self, at: int) -> ToyLog:
        """The same key signing another history: leaf ``at`` rewritten."""
        other = ToyLog(key=self.key)
        other.leaves = list(self.leaves)
        other.leaves[at] = b"rewritten " + other.leaves[at]
        return other

    def checkpoint(self, size: int | None = None) -> str:
        size = self.size if size is None else size
        return sign_checkpoint(Checkpoint(self.key.name, size, mth(self.leaves[:size])), self.key)

    def proof(self, old: int, new: int | None = None) -> list[bytes]:
        new = self.size if new is None else new
        return [] if old in (0, new) else subproof(old, self.leaves[:new], True)

    def body(
        self, old: int, size: int | None = None, proof: list[bytes] | None = None, note: str | None = None
    ) -> bytes:
        """An add-checkpoint request body."""
        size = self.size if size is None else size
        proof = self.proof(old, size) if proof is None else proof
        note = self.checkpoint(size) if note is None else note
        return (f"old {old}\n" + "".join(b64(h) + "\n" for h in proof) + "\n" + note).encode()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve a WSGI app on loopback (a free port) in a thread, with werkzeug's threaded server: its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
