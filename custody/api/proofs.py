"""The verifiable log (API.md "Ledger proofs"): the log's key, checkpoints, Merkle proofs and offline bundles.

The key and the checkpoints are public (agencies that hold the log's state fetch them without an
account; see ``PUBLIC`` in custody/api/__init__.py); proofs and bundles need a signed-in user,
and a bundle only for a handover or disposition the user may see, since it carries entry bodies.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from custody.api.schemas.common import MAX_SEQ
from custody.api.schemas.proofs import (
    TEXT,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    InclusionProofSchema,
    InclusionQuerySchema,
)
from custody.services import bundles

blp = Blueprint("proofs", __name__, description="The verifiable log: checkpoints, Merkle proofs, offline bundles")

_NOTE = "A C2SP signed note: origin, size, base64 root, a blank line, then `— <name> <signature>` lines"
_BUNDLE = {"type": "object", "description": "custody-ledger-proof/v1: checkpoint, entries with bodies and proofs"}


def _text(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/plain")  # Flask adds "; charset=utf-8"


def _bundle(text: str) -> Response:
    return Response(text, mimetype="application/json")


@blp.route("/ledger/key")
@blp.response(200, TEXT, content_type="text/plain", description="`<name>+<hex key id>+<base64(0x01 ‖ key)>`")
@blp.doc(security=[])
def key() -> Response:
    """The log's verifier key (anyone)."""
    return _text(bundles.verifier_key() + "\n")


@blp.route("/ledger/checkpoint")
@blp.response(200, TEXT, content_type="text/plain", description=_NOTE)
@blp.doc(security=[])
def checkpoint() -> Response:
    """The latest checkpoint with the witnesses' cosignatures (anyone)."""
    return _text(bundles.latest_checkpoint())


@blp.route("/ledger/checkpoints", methods=["POST"])
@blp.response(201, TEXT, content_type="text/plain", description=_NOTE)
def make_checkpoint() -> Response:
    """Make a checkpoint of the ledger as it is now and offer it to the witnesses (auditor or admin)."""
    return _text(bundles.new_checkpoint(current_user).text, 201)


@blp.route(f"/ledger/checkpoints/<int(max={MAX_SEQ}):size>")
@blp.response(200, TEXT, content_type="text/plain", description=_NOTE)
@blp.doc(security=[])
def stored_checkpoint(size: int) -> Response:
    """The stored checkpoint of ``size`` entries (anyone); 404 when none was made at that size."""
    return _text(bundles.checkpoint_at(size))


@blp.route("/ledger/proof/inclusion")
@blp.arguments(InclusionQuerySchema, location="query")
@blp.response(200, InclusionProofSchema)
def inclusion(query: dict[str, Any]) -> dict[str, Any]:
    """Entry ``seq``'s inclusion proof in the tree of ``size`` entries; 422 unless seq ≤ size ≤ the ledger's size."""
    return bundles.inclusion_proof(query["seq"], query.get("size"))


@blp.route("/ledger/proof/consistency")
@blp.arguments(ConsistencyQuerySchema, location="query")
@blp.response(200, ConsistencyProofSchema)
def consistency(query: dict[str, Any]) -> dict[str, Any]:
    """That the tree of ``to`` entries extends the one of ``from``; 422 unless 0 < from ≤ to ≤ the ledger's size."""
    return bundles.consistency_proof(query["old"], query.get("new"))


@blp.route("/handovers/<number>/proof")
@blp.response(200, _BUNDLE, content_type="application/json", description="The offline proof bundle")
def handover_proof(number: str) -> Response:
    """The decided handover's offline bundle: its decision and receipt entries, proved against a checkpoint."""
    return _bundle(bundles.handover_bundle(current_user, number))


@blp.route("/dispositions/<number>/proof")
@blp.response(200, _BUNDLE, content_type="application/json", description="The offline proof bundle")
def disposition_proof(number: str) -> Response:
    """The executed disposition's offline bundle: its execution and record entries, proved against a checkpoint."""
    return _bundle(bundles.disposition_bundle(current_user, number))
