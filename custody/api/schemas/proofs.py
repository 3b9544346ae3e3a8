"""Schemas of the verifiable log's proofs (API.md "Ledger proofs"): hashes are base64, sizes count entries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from custody.api.schemas.common import MAX_SEQ

_B64 = {"type": "string", "format": "byte"}
_SEQ = validate.Range(min=1, max=MAX_SEQ)

# What the text/plain endpoints send, for the OpenAPI document.
TEXT = {"type": "string"}


class InclusionQuerySchema(Schema):
    seq = fields.Integer(
        required=True, validate=_SEQ, metadata={"description": "The entry, whose leaf is number seq - 1"}
    )
    size = fields.Integer(validate=_SEQ, metadata={"description": "The tree's size (default: the ledger's size)"})


class InclusionProofSchema(Schema):
    seq = fields.Integer()
    size = fields.Integer()
    leaf_hash = fields.String(metadata=_B64 | {"description": "SHA-256(0x00 ‖ body), base64"})
    proof = fields.List(fields.String(metadata=_B64), metadata={"description": "RFC 9162 inclusion proof"})


class ConsistencyQuerySchema(Schema):
    old = fields.Integer(required=True, data_key="from", validate=_SEQ, metadata={"description": "The older size"})
    new = fields.Integer(data_key="to", validate=_SEQ, metadata={"description": "The newer size (default: all)"})


class ConsistencyProofSchema(Schema):
    old = fields.Integer(data_key="from", attribute="from")
    new = fields.Integer(data_key="to", attribute="to")
    proof = fields.List(fields.String(metadata=_B64), metadata={"description": "RFC 9162 consistency proof"})
