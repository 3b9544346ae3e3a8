"""The known-answer vectors in tests/vectors/rfc6962 (transparency-dev/merkle's testdata, Apache-2.0, copied
from the design's ../shared/vectors/rfc6962 so that a clone alone runs them).

Our offline verifier must accept exactly the probes marked valid, and the tree arithmetic the log
keeps (tree.push / tree.root_of) must reproduce the reference tree's roots for sizes 0 to 8.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from custody.ledger import tree
from custody.ledger.offline import ProofError, leaf_hash, verify_consistency, verify_inclusion

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "rfc6962"

# The reference tree (README.md of the vectors): its 8 leaf inputs and the root of each size.
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _files(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def _id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


def _accepts(check: Any) -> bool:
    try:
        check()
    except ProofError:
        return False
    return True


def test_the_vectors_are_there() -> None:
    assert len(_files("inclusion")) == 98 and len(_files("consistency")) == 98


def test_the_vectors_are_all_there():
    assert len(_files("inclusion")) > 50 and len(_files("consistency")) > 50
    valid = [
        p for kind in ("inclusion", "consistency") for p in _files(kind) if not json.loads(p.read_text())["wantErr"]
    ]
    assert len(valid) >= 10  # every directory's happy path, and the single-entry and equal-size ones


@pytest.mark.parametrize("path", _files("inclusion"), ids=_id)
def test_inclusion_probe(path: Path):
    v = json.loads(path.read_text())
    root, leaf = base64.b64decode(v["root"] or ""), base64.b64decode(v["leafHash"] or "")

    def check() -> None:
        verify_inclusion(v["leafIdx"], v["treeSize"], leaf, _b64(v["proof"]), root)

    assert _accepts(check) is not v["wantErr"], v["desc"]


@pytest.mark.parametrize("path", _files("consistency"), ids=_id)
def test_consistency_probe(path: Path):
    v = json.loads(path.read_text())
    root1, root2 = base64.b64decode(v["root1"] or ""), base64.b64decode(v["root2"] or "")

    def check() -> None:
        verify_consistency(v["size1"], v["size2"], root1, root2, _b64(v["proof"]))

    assert _accepts(check) is not v["wantErr"], v["desc"]


def test_the_tree_reproduces_the_reference_roots():
    frontier: list[bytes] = []
    assert tree.root_of(frontier).hex() == ROOTS[0]
    for size, data in enumerate(LEAVES):
        tree.push(frontier, size, leaf_hash(bytes.fromhex(data)))
        assert tree.root_of(frontier).hex() == ROOTS[size + 1], f"size {size + 1}"


def test_stored_nodes_fold_to_the_reference_roots():
    """What proofs.py reads: the pieces of [0, size) from the subtrees push stored, folded."""
    frontier: list[bytes] = []
    stored: dict[tree.NodeKey, bytes] = {}
    for size, data in enumerate(LEAVES):
        leaf = leaf_hash(bytes.fromhex(data))
        stored[size + 1, 0] = leaf
        for level, node in tree.push(frontier, size, leaf):
            stored[size + 1, level] = node
    for size in range(1, 9):
        assert tree.fold([stored[key] for key in tree.pieces(0, size)]).hex() == ROOTS[size]
