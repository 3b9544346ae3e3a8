"""Property tests of the Merkle tree arithmetic against RFC 6962's own recursive definitions.

Random trees of up to a few hundred leaves: the frontier kept by ``tree.push`` gives MTH of every
size; proofs built the way ``ledger.proofs`` builds them (ranges → stored pieces → fold) equal the
RFC's PATH and PROOF and verify with ``offline``; any single flipped bit, a wrong index or a wrong
size is refused.
"""

from __future__ import annotations

from functools import lru_cache

from hypothesis import given, settings
from hypothesis import strategies as st

from custody.ledger import tree
from custody.ledger.offline import (
    EMPTY_ROOT,
    ProofError,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 300
# Derandomized and without an example database, so every run (and CI) checks the same trees.
FAST = settings(max_examples=50, deadline=None, derandomize=True, database=None)


class Tree:
    """``n`` leaves (distinct data), with the naive MTH/PATH/PROOF and the stored nodes push made."""

    def __init__(self, n: int, salt: int) -> None:
        self.n = n
        self.data = [f"{salt}:{i}".encode() * (i % 3 + 1) for i in range(n)]
        self.leaves = [leaf_hash(d) for d in self.data]
        self.mth = lru_cache(maxsize=None)(self._mth)
        self.stored: dict[tree.NodeKey, bytes] = {}
        self.roots = [EMPTY_ROOT]  # the frontier's root after each push
        frontier: list[bytes] = []
        for size, leaf in enumerate(self.leaves):
            self.stored[size + 1, 0] = leaf  # leaves are the entries' own (proofs.py hashes the body)
            for level, node in tree.push(frontier, size, leaf):
                self.stored[size + 1, level] = node
            self.roots.append(tree.root_of(frontier))

    def _mth(self, start: int, end: int) -> bytes:
        """RFC 6962 §2.1: MTH(D[start:end])."""
        if end == start:
            return EMPTY_ROOT
        if end - start == 1:
            return self.leaves[start]
        k = tree.split(end - start)
        return node_hash(self.mth(start, start + k), self.mth(start + k, end))

    def path(self, m: int, start: int, end: int) -> list[bytes]:
        """RFC 6962 §2.1.1: PATH(m, D[start:end])."""
        if end - start == 1:
            return []
        k = tree.split(end - start)
        if m < k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m - k, start + k, end), self.mth(start, start + k)]

    def subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        """RFC 6962 §2.1.2: SUBPROOF(m, D[start:end], b)."""
        n = end - start
        if m == n:
            return [] if whole else [self.mth(start, end)]
        k = tree.split(n)
        if m <= k:
            return [*self.subproof(m, start, start + k, whole), self.mth(start + k, end)]
        return [*self.subproof(m - k, start + k, end, False), self.mth(start, start + k)]

    def hashes(self, ranges: list[tree.Range]) -> list[bytes]:
        """What proofs._hashes returns: each range as the fold of its stored pieces."""
        return [tree.fold([self.stored[key] for key in tree.pieces(a, b)]) for a, b in ranges]

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self.hashes(tree.inclusion_ranges(index, size))

    def consistency(self, old: int, new: int) -> list[bytes]:
        return self.hashes(tree.consistency_ranges(old, new))


@st.composite
def trees(draw: st.DrawFn, min_leaves: int = 1) -> Tree:
    return Tree(draw(st.integers(min_leaves, MAX_LEAVES)), draw(st.integers(0, 2**32)))


def _refused(check) -> bool:
    try:
        check()
    except ProofError:
        return True
    return False


def _flip(proof: list[bytes], which: int, bit: int) -> list[bytes]:
    flipped = list(proof)
    h = bytearray(flipped[which])
    h[bit // 8] ^= 1 << (bit % 8)
    flipped[which] = bytes(h)
    return flipped


@FAST
@given(trees())
def test_the_frontier_and_the_stored_nodes_give_the_naive_root_of_every_size(t: Tree):
    for size in range(t.n + 1):
        assert t.roots[size] == t.mth(0, size)
    for size in range(1, t.n + 1):
        assert t.hashes([(0, size)]) == [t.mth(0, size)]
    # Every stored node is the naive hash of its leaves: (seq, level) covers [seq - 2**level, seq).
    assert all(h == t.mth(seq - (1 << level), seq) for (seq, level), h in t.stored.items())
    assert len(t.stored) == 2 * t.n - t.n.bit_count()  # n leaves, n - popcount(n) completed subtrees


@FAST
@given(trees(), st.data())
def test_every_inclusion_proof_is_the_rfc_path_and_verifies(t: Tree, data: st.DataObject):
    size = data.draw(st.integers(1, t.n), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = t.inclusion(index, size)
    assert proof == t.path(index, 0, size)
    verify_inclusion(index, size, t.leaves[index], proof, t.mth(0, size))


@FAST
@given(trees(), st.data())
def test_every_consistency_proof_is_the_rfc_proof_and_verifies(t: Tree, data: st.DataObject):
    new = data.draw(st.integers(1, t.n), label="new")
    old = data.draw(st.integers(1, new), label="old")
    proof = t.consistency(old, new)
    assert proof == t.subproof(old, 0, new, True)
    verify_consistency(old, new, t.mth(0, old), t.mth(0, new), proof)


@FAST
@given(trees(min_leaves=2), st.data())
def test_a_flipped_bit_in_an_inclusion_proof_leaf_or_root_is_refused(t: Tree, data: st.DataObject):
    size = data.draw(st.integers(2, t.n), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof, leaf, root = t.inclusion(index, size), t.leaves[index], t.mth(0, size)
    which = data.draw(st.integers(0, len(proof) + 1), label="which")  # a proof hash, the leaf or the root
    bit = data.draw(st.integers(0, 255), label="bit")
    if which < len(proof):
        assert _refused(lambda: verify_inclusion(index, size, leaf, _flip(proof, which, bit), root))
    elif which == len(proof):
        assert _refused(lambda: verify_inclusion(index, size, _flip([leaf], 0, bit)[0], proof, root))
    else:
        assert _refused(lambda: verify_inclusion(index, size, leaf, proof, _flip([root], 0, bit)[0]))


@FAST
@given(trees(min_leaves=2), st.data())
def test_an_inclusion_proof_with_a_wrong_index_or_size_is_refused(t: Tree, data: st.DataObject):
    size = data.draw(st.integers(2, t.n), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof, leaf = t.inclusion(index, size), t.leaves[index]
    other = data.draw(st.integers(-1, size).filter(lambda i: i != index), label="other index")
    assert _refused(lambda: verify_inclusion(other, size, leaf, proof, t.mth(0, size)))
    # Another size, checked against that size's real root (a signed checkpoint binds size and root).
    wrong = data.draw(st.integers(0, t.n + 1).filter(lambda s: s != size), label="other size")
    assert _refused(lambda: verify_inclusion(index, wrong, leaf, proof, t.mth(0, min(wrong, t.n))))
    # A proof is never shorter or longer than the path it claims to be.
    assert _refused(lambda: root_from_inclusion(index, size, leaf, [*proof, proof[0]]))
    if proof:
        assert _refused(lambda: root_from_inclusion(index, size, leaf, proof[:-1]))


@FAST
@given(trees(min_leaves=2), st.data())
def test_a_flipped_bit_in_a_consistency_proof_or_root_is_refused(t: Tree, data: st.DataObject):
    new = data.draw(st.integers(2, t.n), label="new")
    old = data.draw(st.integers(1, new - 1), label="old")
    proof, root1, root2 = t.consistency(old, new), t.mth(0, old), t.mth(0, new)
    which = data.draw(st.integers(0, len(proof) + 1), label="which")
    bit = data.draw(st.integers(0, 255), label="bit")
    if which < len(proof):
        assert _refused(lambda: verify_consistency(old, new, root1, root2, _flip(proof, which, bit)))
    elif which == len(proof):
        assert _refused(lambda: verify_consistency(old, new, _flip([root1], 0, bit)[0], root2, proof))
    else:
        assert _refused(lambda: verify_consistency(old, new, root1, _flip([root2], 0, bit)[0], proof))


@FAST
@given(trees(min_leaves=2), st.data())
def test_a_consistency_proof_with_wrong_sizes_is_refused(t: Tree, data: st.DataObject):
    new = data.draw(st.integers(2, t.n), label="new")
    old = data.draw(st.integers(1, new - 1), label="old")
    proof = t.consistency(old, new)
    other_old = data.draw(st.integers(0, new).filter(lambda s: s != old), label="other old")
    assert _refused(lambda: verify_consistency(other_old, new, t.mth(0, other_old), t.mth(0, new), proof))
    other_new = data.draw(st.integers(old, t.n + 1).filter(lambda s: s != new), label="other new")
    assert _refused(lambda: verify_consistency(old, other_new, t.mth(0, old), t.mth(0, min(other_new, t.n)), proof))
    # The new tree's root with a proof one hash short or long.
    assert _refused(lambda: verify_consistency(old, new, t.mth(0, old), t.mth(0, new), proof[:-1]))
    assert _refused(lambda: verify_consistency(old, new, t.mth(0, old), t.mth(0, new), [*proof, proof[0]]))
