import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody import codes
from custody.errors import BadCheckCharacter, MalformedCode


def test_new_codes_carry_prefix_length_and_valid_check():
    for kind in codes.CodeKind:
        code = codes.new_code(kind)
        assert code[0] == codes.PREFIX[kind]
        assert len(code) == 1 + codes.BODY_LENGTH[kind] + 1
        assert codes.parse(code) == codes.ParsedCode(kind, code)
        assert "*" not in code


def test_every_single_substitution_and_adjacent_transposition_is_refused():
    for _ in range(300):
        code = codes.new_code(codes.CodeKind.ITEM)
        for i in range(len(code)):
            for ch in codes.ALPHABET:
                if ch != code[i]:
                    assert not codes.is_valid(code[:i] + ch + code[i + 1 :])
        for i in range(len(code) - 1):
            if code[i] != code[i + 1]:
                assert not codes.is_valid(code[:i] + code[i + 1] + code[i] + code[i + 2 :])


def test_parse_refuses_foreign_strings_and_mistyped_codes():
    code = codes.new_code(codes.CodeKind.ITEM)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(BadCheckCharacter):
        codes.parse(wrong)
    for foreign in ["", "hello", "12345", "X" + code[1:], code + "A", "https://example.com/"]:
        with pytest.raises(MalformedCode):
            codes.parse(foreign)


def test_parse_is_case_insensitive():
    code = codes.new_code(codes.CodeKind.LOCATION)
    assert codes.parse(code.lower()).code == code


@pytest.mark.parametrize(
    "raw",
    [
        "{c}",
        "  {c}\n",
        "https://centre.example/s/{c}",
        "http://10.0.0.5:8000/s/{c}?src=label",
        "https://centre.example/prefix/s/{c}/",
        "/s/{c}",
        "centre.example/s/{c}#x",
    ],
)
def test_extract_finds_the_code_in_bare_text_and_label_urls(raw):
    code = codes.new_code(codes.CodeKind.ITEM)
    assert codes.extract(raw.format(c=code)) == code


@given(st.text(max_size=60))
def test_parse_never_crashes_on_arbitrary_text(raw):
    try:
        parsed = codes.parse(codes.extract(raw))
    except (MalformedCode, BadCheckCharacter):
        return
    assert codes.is_valid(parsed.code)


def test_extract_survives_text_that_only_looks_like_a_url():
    """``urlsplit`` raises on an unclosed IPv6 bracket; a scan must get a 422, never a 500."""
    code = codes.new_code(codes.CodeKind.ITEM)
    assert codes.extract(f"http://[x/s/{code}") == code


@given(st.text(max_size=40))
def test_extract_never_crashes_on_url_like_text(tail):
    codes.extract("http://" + tail + "/s/" + tail)
