"""Codes printed on labels: a kind prefix, a random body and an ISO 7064 MOD 37-2 check character.

MOD 37-2 catches every single-character substitution and every adjacent
transposition (the hybrid MOD 37,36 misses some transpositions), so a mistyped
code is refused instead of opening another item. Its 37th check symbol is
``*``; we never issue a body whose check would be ``*``, so every code is
plain 0-9A-Z and easy to type. Bodies use Crockford's alphabet (no I, L, O, U).
"""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from custody.errors import BadCheckCharacter, MalformedCode

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
BODY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class CodeKind(StrEnum):
    ITEM = "item"
    LOCATION = "location"
    HANDOVER = "handover"
    CHECKOUT = "checkout"
    DISPOSITION = "disposition"
    STOCKTAKE = "stocktake"


PREFIX = {
    CodeKind.ITEM: "I",
    CodeKind.LOCATION: "L",
    CodeKind.HANDOVER: "H",
    CodeKind.CHECKOUT: "C",
    CodeKind.DISPOSITION: "D",
    CodeKind.STOCKTAKE: "S",
}
BODY_LENGTH = {kind: (6 if kind is CodeKind.LOCATION else 8) for kind in CodeKind}
_KIND_BY_PREFIX = {prefix: kind for kind, prefix in PREFIX.items()}
_SHAPE = re.compile(r"^([A-Z])([0-9A-Z]+\*?)$")


def _running(chars: str) -> int:
    p = 0
    for ch in chars:
        p = ((p + _VALUE[ch]) * 2) % 37
    return p


def check_character(chars: str) -> str:
    """The MOD 37-2 check character for ``chars`` (0-9A-Z)."""
    return ALPHABET[(38 - _running(chars)) % 37]


def is_valid(code: str) -> bool:
    if len(code) < 2 or any(ch not in _VALUE for ch in code[:-1]) or code[-1] not in _VALUE:
        return False
    return (_running(code[:-1]) + _VALUE[code[-1]]) % 37 == 1


def new_code(kind: CodeKind) -> str:
    while True:
        # 32 symbols: a random byte modulo 32 is uniform, and one urandom call beats one per character.
        body = PREFIX[kind] + "".join(BODY_ALPHABET[b % 32] for b in secrets.token_bytes(BODY_LENGTH[kind]))
        check = check_character(body)
        if check != "*":
            return body + check


@dataclass(frozen=True)
class ParsedCode:
    kind: CodeKind
    code: str


def extract(raw: str) -> str:
    """The code inside a scan: the bare text, or the last path segment after ``/s/`` of a URL."""
    text = raw.strip()
    if "/s/" in text:
        path = text.split("?", 1)[0].split("#", 1)[0]
        if "://" in text:
            with contextlib.suppress(ValueError):  # "http://[x/s/…": not a URL after all; keep the plain split
                path = urlsplit(text).path
        text = unquote(path.rsplit("/s/", 1)[-1]).strip("/").strip()
    return text


def parse(code: str) -> ParsedCode:
    """Classify a code by prefix and length and check its check character.

    Raises MalformedCode for anything that is not shaped like one of our codes,
    BadCheckCharacter for a code of the right shape whose check fails.
    """
    normal = code.strip().upper()
    match = _SHAPE.match(normal)
    kind = _KIND_BY_PREFIX.get(match.group(1)) if match else None
    if kind is None or match is None or len(match.group(2)) != BODY_LENGTH[kind] + 1:
        raise MalformedCode(f"{code[:40]!r} is not a code of this system")
    if not is_valid(normal):
        raise BadCheckCharacter(f"{normal}: check character does not match; was it mistyped?")
    return ParsedCode(kind, normal)
