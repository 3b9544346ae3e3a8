"""Fuzzing the scan-code parser (custody.codes): what a scanner or a keyboard may send it.

The parser stands between a label and the wrong item: arbitrary text must end in one of the domain's
errors (never another exception), every code of the scheme must come back as itself, every single
substitution and adjacent transposition must be refused (ISO 7064 MOD 37-2 promises it, see the
module docstring), and the forms labels and scanners produce (case, whitespace, a label's URL) must
read as the bare code. API.md "Scanning" maps the errors: malformed_code, bad_check_character.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from custody import codes
from custody.errors import BadCheckCharacter, MalformedCode
from tests.properties._settings import NO_DATABASE, examples

pytestmark = NO_DATABASE

KINDS = list(codes.CodeKind)
# The scheme's own symbols (the 37th, "*", only ever as the check character).
SYMBOLS = codes.ALPHABET[:-1]


@st.composite
def valid_codes(draw: st.DrawFn, body_alphabet: str = SYMBOLS) -> tuple[codes.CodeKind, str]:
    """(kind, code): a prefix, a body of the kind's length and its check character, ``*`` included."""
    kind = draw(st.sampled_from(KINDS))
    body = draw(st.text(body_alphabet, min_size=codes.BODY_LENGTH[kind], max_size=codes.BODY_LENGTH[kind]))
    stem = codes.PREFIX[kind] + body
    return kind, stem + codes.check_character(stem)


def parse_scan(raw: str) -> codes.ParsedCode:
    """What the scan endpoint does first (services.scanning.resolve): find the code in the text, parse it."""
    return codes.parse(codes.extract(raw))


@given(st.text(max_size=80))
@examples(1000)
def test_arbitrary_text_raises_only_domain_errors(raw: str) -> None:
    try:
        parsed = parse_scan(raw)
    except (MalformedCode, BadCheckCharacter):
        return
    assert codes.is_valid(parsed.code)
    assert parsed.code == parsed.code.strip().upper()
    assert len(parsed.code) == codes.BODY_LENGTH[parsed.kind] + 2


@given(st.text(alphabet=st.sampled_from(codes.ALPHABET + "*/:?#% \t\r\nabcxyzIOLU-_.~"), max_size=40))
@examples(1000)
def test_code_like_text_raises_only_domain_errors(raw: str) -> None:
    """Text made of the scheme's own symbols and URL punctuation reaches the check-character path far more often."""
    try:
        parsed = parse_scan(raw)
    except (MalformedCode, BadCheckCharacter):
        return
    assert codes.is_valid(parsed.code)


@given(valid_codes())
@examples(500)
def test_every_valid_code_round_trips(case: tuple[codes.CodeKind, str]) -> None:
    kind, code = case
    assert codes.is_valid(code)
    assert codes.parse(code) == codes.ParsedCode(kind, code)
    assert parse_scan(code) == codes.ParsedCode(kind, code)


@given(st.sampled_from(KINDS))
@examples(300)
def test_issued_codes_are_plain_and_round_trip(kind: codes.CodeKind) -> None:
    """What ``new_code`` issues: Crockford body, never ``*``, parses back as itself."""
    code = codes.new_code(kind)
    assert "*" not in code and all(ch in codes.BODY_ALPHABET for ch in code[1:-1])
    assert codes.parse(code) == codes.ParsedCode(kind, code)


@given(valid_codes(), st.data())
@examples(1000)
def test_single_substitution_is_refused(case: tuple[codes.CodeKind, str], data: st.DataObject) -> None:
    _kind, code = case
    at = data.draw(st.integers(0, len(code) - 1), label="position")
    other = data.draw(st.sampled_from(codes.ALPHABET).filter(lambda ch: ch != code[at]), label="symbol")
    typo = code[:at] + other + code[at + 1 :]
    with pytest.raises((MalformedCode, BadCheckCharacter)):
        codes.parse(typo)
    assert not codes.is_valid(typo)


@given(valid_codes(), st.data())
@examples(1000)
def test_any_single_character_change_never_reads_as_another_code(
    case: tuple[codes.CodeKind, str], data: st.DataObject
) -> None:
    """Any character at all in any place (a scanner's garbage, a look-alike letter): refused, or the same code.

    The same code can come back only through case folding (``ı``.upper() is ``I``): never a different item.
    """
    _kind, code = case
    at = data.draw(st.integers(0, len(code) - 1), label="position")
    other = data.draw(st.characters(), label="character")
    try:
        parsed = codes.parse(code[:at] + other + code[at + 1 :])
    except (MalformedCode, BadCheckCharacter):
        return
    assert parsed.code == code


@given(valid_codes(), st.data())
@examples(1000)
def test_adjacent_transposition_is_refused(case: tuple[codes.CodeKind, str], data: st.DataObject) -> None:
    _kind, code = case
    at = data.draw(st.integers(0, len(code) - 2), label="position")
    assume(code[at] != code[at + 1])
    swapped = code[:at] + code[at + 1] + code[at] + code[at + 2 :]
    with pytest.raises((MalformedCode, BadCheckCharacter)):
        codes.parse(swapped)


@st.composite
def case_forms(draw: st.DrawFn, code: str) -> str:
    """The code in any mix of upper and lower case."""
    flips = draw(st.lists(st.booleans(), min_size=len(code), max_size=len(code)))
    return "".join(ch.lower() if flip else ch for ch, flip in zip(code, flips, strict=True))


WHITESPACE = st.text(st.sampled_from(" \t\r\n\x0b\x0c\u3000\u00a0"), max_size=4)
HOSTS = st.sampled_from(["centre.example", "custody.test", "10.0.0.5", "localhost", "[::1]", "例子.中国"])
SEGMENT = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_."), min_size=1, max_size=8)
QUERY = st.text(st.sampled_from("abcxyz0123=&%+-_./:"), max_size=20)


@st.composite
def label_urls(draw: st.DrawFn, code: str) -> str:
    """A label's URL ``<base>/s/<code>`` as cameras and scanners hand it over (API.md "Scanning", DESIGN §6)."""
    scheme = draw(st.sampled_from(["http://", "https://", "HTTPS://", ""]))
    host = draw(HOSTS) if scheme else draw(st.sampled_from(["", "centre.example"]))
    port = draw(st.sampled_from(["", ":8000", ":443"])) if host else ""
    prefix = "".join("/" + s for s in draw(st.lists(SEGMENT, max_size=3)))
    written = draw(st.sampled_from([code, code.lower(), quote(code, safe=""), "".join(f"%{ord(c):02X}" for c in code)]))
    slash = draw(st.sampled_from(["", "/"]))
    query = "?" + draw(QUERY) if draw(st.booleans()) else ""
    fragment = "#" + draw(QUERY) if draw(st.booleans()) else ""
    return f"{scheme}{host}{port}{prefix}/s/{written}{slash}{query}{fragment}"


@given(valid_codes(), st.data())
@examples(800)
def test_case_whitespace_and_url_forms_parse_as_the_code(case: tuple[codes.CodeKind, str], data: st.DataObject) -> None:
    kind, code = case
    form = data.draw(st.one_of(case_forms(code), label_urls(code)), label="form")
    raw = data.draw(WHITESPACE, label="before") + form + data.draw(WHITESPACE, label="after")
    assert parse_scan(raw) == codes.ParsedCode(kind, code)


@given(valid_codes(body_alphabet=codes.BODY_ALPHABET), st.text(max_size=30))
@examples(500)
def test_text_after_a_label_url_query_never_changes_the_code(case: tuple[codes.CodeKind, str], junk: str) -> None:
    """Whatever follows ``?`` or ``#`` (tracking tags, a scanner's suffix) is not part of the code."""
    kind, code = case
    for sep in "?#":
        assert parse_scan(f"https://centre.example/s/{code}{sep}{junk}") == codes.ParsedCode(kind, code)
