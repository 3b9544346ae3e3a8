"""The Merkle tree over the ledger, as arithmetic on leaf ranges (RFC 6962 / RFC 9162 §2.1).

Leaf *i* is entry ``seq = i + 1``. The tree is never held in memory: the head row keeps the
*frontier* (the roots of the perfect subtrees that make up the tree, largest first), and every
perfect subtree of two or more leaves is stored once, when the entry that completes it is
appended, under the key ``(seq of its last leaf, level)``. Any tree hash of any size is then a
fold of O(log n) stored nodes, so proofs are a handful of point reads.
"""

from __future__ import annotations

from collections.abc import Iterator

from custody.ledger.offline import EMPTY_ROOT, node_hash

Range = tuple[int, int]  # leaves [start, end)
NodeKey = tuple[int, int]  # (seq of the subtree's last leaf, level); level 0 is the entry's own leaf


def split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` ≥ 2): RFC 6962's k."""
    return 1 << ((size - 1).bit_length() - 1)


def push(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[int, bytes]]:
    """Add leaf number ``size`` to a tree of ``size`` leaves; ``frontier`` is updated in place.

    Returns the perfect subtrees this leaf completes, as (level, hash), level ≥ 1.
    """
    node, level, completed = leaf, 0, []
    while size & 1:
        node = node_hash(frontier.pop(), node)
        level += 1
        size >>= 1
        completed.append((level, node))
    frontier.append(node)
    return completed


def root_of(frontier: list[bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


def pieces(start: int, end: int) -> Iterator[NodeKey]:
    """The perfect subtrees that make up leaves [start, end), left to right, as stored keys.

    Every range a proof asks for starts at a multiple of a power of two at least as large as
    the range, so the pieces follow the bits of its length, largest first.
    """
    length = end - start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            start += 1 << level
            yield start, level


def frontier_keys(size: int) -> list[NodeKey]:
    return list(pieces(0, size))


def fold(hashes: list[bytes]) -> bytes:
    """The tree hash of consecutive pieces (as ``pieces`` lists them)."""
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes make PATH(index, D[0:size]), leaf to root."""
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split(hi - lo)
        if index - lo < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The subtrees whose hashes make PROOF(old, D[0:new]) (RFC 6962 §2.1.2), 0 < old ≤ new."""
    if old == new:
        return []
    lo, size, m, whole = 0, new, old, True
    tail: list[Range] = []
    while m != size:
        k = split(size)
        if m <= k:
            tail.append((lo + k, lo + size))
            size = k
        else:
            tail.append((lo, lo + k))
            lo, size, m, whole = lo + k, size - k, m - k, False
    head = [] if whole else [(lo, lo + size)]
    return head + tail[::-1]


def frontier_text(frontier: list[bytes]) -> str:
    return "".join(h.hex() for h in frontier)


def parse_frontier(text: str, size: int) -> list[bytes]:
    """The head row's frontier, refused when it cannot be the frontier of ``size`` leaves."""
    frontier = [bytes.fromhex(text[i : i + 64]) for i in range(0, len(text), 64)]
    if len(frontier) != size.bit_count() or any(len(h) != 32 for h in frontier):
        raise ValueError(f"the ledger head's frontier does not fit a tree of {size} entries")
    return frontier
