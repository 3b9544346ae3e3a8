"""Fuzzing the canonical encoder of ledger bodies (custody.ledger.canonical), whose bytes are hashed and stored.

DESIGN §7: sorted keys, UTF-8, no insignificant whitespace, times in UTC, money as decimal strings;
verification re-hashes the stored text, so the encoder must be a function of the value alone: the
same value (in any key order, any time zone) gives the same bytes, different JSON values give
different bytes, the text is valid JSON that parses back to the value, and anything it cannot
represent exactly (floats, sets, bytes, naive times …) is refused with a TypeError or ValueError
rather than written approximately. ``body`` builds an entry's text from pieces for speed; it must
be exactly what encoding the whole entry would give.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.ledger import canonical
from tests.properties._settings import NO_DATABASE, examples

pytestmark = NO_DATABASE

# Aware times in a sane span (converting 9999-12-31 at -05:00 to UTC overflows datetime itself).
OFFSETS = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
)
AWARE = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=OFFSETS)
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=None)
TEXT = st.text(max_size=20)  # hypothesis leaves out lone surrogates; the API refuses them (api/schemas/common.py)
INTS = st.integers(min_value=-(10**30), max_value=10**30)

JSON_SCALARS = st.none() | st.booleans() | INTS | TEXT
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=25,
)
LEDGER_SCALARS = JSON_SCALARS | DECIMALS | AWARE
LEDGER_VALUES = st.recursive(
    LEDGER_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.lists(inner, max_size=5).map(tuple) | st.dictionaries(TEXT, inner, max_size=5)
    ),
    max_leaves=25,
)

PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
UTC_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def same_as_json(value: Any, parsed: Any) -> bool:
    """``parsed`` (from json.loads) is ``value`` as the ledger writes it; checked without the encoder's own helpers."""
    if isinstance(value, bool) or value is None:
        return parsed is value
    if isinstance(value, int):
        return type(parsed) is int and parsed == value
    if isinstance(value, str):
        return parsed == value
    if isinstance(value, Decimal):
        return isinstance(parsed, str) and bool(PLAIN_DECIMAL.fullmatch(parsed)) and Decimal(parsed) == value
    if isinstance(value, datetime):
        if not (isinstance(parsed, str) and UTC_TEXT.fullmatch(parsed)):
            return False
        return datetime.fromisoformat(parsed[:-1]).replace(tzinfo=UTC) == value
    if isinstance(value, dict):
        return (
            isinstance(parsed, dict)
            and set(parsed) == set(value)
            and all(same_as_json(v, parsed[k]) for k, v in value.items())
        )
    return (
        isinstance(parsed, list)
        and len(parsed) == len(value)
        and all(same_as_json(v, p) for v, p in zip(value, parsed, strict=True))
    )


def strictly_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``True`` is not ``1``, and a dict's key order does not matter."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return set(a) == set(b) and all(strictly_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def reordered(value: Any, rng: Any) -> Any:
    """The same value with every dict's keys inserted in another order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: reordered(value[k], rng) for k in keys}
    if isinstance(value, (list, tuple)):
        return type(value)(reordered(v, rng) for v in value)
    return value


def in_other_zone(value: Any, offset: timezone) -> Any:
    """The same value with every time given in another UTC offset (the same instant)."""
    if isinstance(value, datetime):
        return value.astimezone(offset)
    if isinstance(value, dict):
        return {k: in_other_zone(v, offset) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(in_other_zone(v, offset) for v in value)
    return value


@given(LEDGER_VALUES)
@examples(300)
def test_encoding_is_valid_compact_json_that_parses_back_to_the_value(value: Any) -> None:
    text = canonical.encode(value)
    assert text.encode("utf-8").decode("utf-8") == text  # the bytes that are hashed exist
    parsed = json.loads(text)
    assert same_as_json(value, parsed)
    # Canonical: re-encoding what it parses to (sorted keys, no whitespace) changes nothing.
    assert json.dumps(parsed, sort_keys=True, ensure_ascii=False, separators=(",", ":")) == text


@given(LEDGER_VALUES, st.randoms(use_true_random=False), OFFSETS)
@examples(300)
def test_encoding_is_deterministic_and_independent_of_key_order_and_time_zone(
    value: Any, rng: Any, offset: timezone
) -> None:
    text = canonical.encode(value)
    assert canonical.encode(value) == text
    assert canonical.encode(reordered(value, rng)) == text
    assert canonical.encode(in_other_zone(value, offset)) == text


@given(JSON_VALUES, JSON_VALUES)
@examples(300)
def test_distinct_values_give_distinct_bytes(a: Any, b: Any) -> None:
    assert (canonical.encode(a) == canonical.encode(b)) == strictly_equal(a, b)


@given(JSON_VALUES, st.data())
@examples(200)
def test_a_changed_leaf_changes_the_bytes(value: Any, data: st.DataObject) -> None:
    """Tampering with any one scalar anywhere in a body is visible in its bytes (and so in its hash)."""
    paths = list(_leaf_paths(value))
    path = data.draw(st.sampled_from(paths), label="path")
    old = _get(value, path)
    new = data.draw(JSON_SCALARS.filter(lambda v: not strictly_equal(v, old)), label="new")
    assert canonical.encode(_set(value, path, new)) != canonical.encode(value)


def _leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaf_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaf_paths(v, (*prefix, i))
    yield prefix  # containers are leaves too: replacing one by a scalar is a change


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _set(value[path[0]], path[1:], new)
    return copy


REFUSED = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sets(st.integers(), max_size=3),
    st.frozensets(st.integers(), max_size=3),
    st.binary(max_size=8),
    st.binary(max_size=8).map(bytearray),
    st.complex_numbers(max_magnitude=10),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1)),  # naive
    st.dates(),
    st.times(),
    st.just(object()),
)


@st.composite
def with_one_refused(draw: st.DrawFn) -> Any:
    """A ledger value with one value the ledger refuses put somewhere inside it."""
    bad = draw(REFUSED)
    value = draw(LEDGER_VALUES)
    for _ in range(draw(st.integers(0, 3))):
        value = draw(st.sampled_from([[value], (value,), {draw(TEXT): value}]))
    return draw(st.sampled_from([[value, bad], {"x": value, "y": bad}, [[bad]], {"k": [value, {"deep": bad}]}, bad]))


@given(with_one_refused())
@examples(300)
def test_values_the_ledger_cannot_hold_exactly_are_refused_clearly(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)) as refused:
        canonical.encode(value)
    assert str(refused.value)


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_non_finite_decimals_are_refused(amount: str) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical.encode({"estimated_value": Decimal(amount)})


def test_non_text_keys_are_refused_rather_than_merged() -> None:
    with pytest.raises(TypeError):
        canonical.encode({1: "a", "1": "b"})


CODES = st.text(st.sampled_from("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), min_size=10, max_size=10).map(lambda s: "I" + s)


@given(
    seq=st.integers(min_value=1, max_value=10**12),
    at=AWARE,
    kind=TEXT,
    actor=TEXT,
    agency=TEXT,
    case_no=st.none() | TEXT,
    items=st.dictionaries(CODES, st.none() | st.integers(min_value=1, max_value=10**12), max_size=6),
    data=st.dictionaries(TEXT, LEDGER_VALUES, max_size=5),
)
@examples(300)
def test_body_built_from_pieces_is_the_canonical_encoding_of_the_entry(
    seq: int,
    at: datetime,
    kind: str,
    actor: str,
    agency: str,
    case_no: str | None,
    items: dict[str, int | None],
    data: dict[str, Any],
) -> None:
    """The fast path (fixed head and tail around ``data``) that append writes and verify compares
    is byte for byte what encoding the whole entry as one dict gives."""
    pairs = sorted(items.items())
    body = canonical.body(
        seq=seq, at=at, kind=kind, actor=actor, agency=agency, case_no=case_no, items=pairs, data=data
    )
    whole = {
        "actor": actor,
        "agency": agency,
        "at": at,
        "case_no": case_no,
        "data": data,
        "items": [{"code": code, "prev": prev} for code, prev in pairs],
        "kind": kind,
        "seq": seq,
        "v": canonical.BODY_VERSION,
    }
    assert body == canonical.encode(whole)
    parsed = json.loads(body)
    assert parsed["seq"] == seq and parsed["kind"] == kind and parsed["case_no"] == case_no
    assert body.startswith(canonical.head(actor, agency, at, case_no))
    assert body.endswith(canonical.tail(canonical.items_text(pairs), kind, seq))


@given(AWARE, AWARE)
@examples(200)
def test_utc_text_sorts_as_the_times_do(a: datetime, b: datetime) -> None:
    """Fixed width, so comparing the text compares the instants (the ledger's ``at`` is filtered as text)."""
    ta, tb = canonical.utc_text(a), canonical.utc_text(b)
    assert UTC_TEXT.fullmatch(ta) and UTC_TEXT.fullmatch(tb)
    assert (ta < tb) == (a < b) and (ta == tb) == (a == b)


def test_naive_and_date_only_times_are_refused() -> None:
    with pytest.raises(ValueError):
        canonical.utc_text(datetime(2026, 1, 1, 8))  # naive on purpose
    with pytest.raises(TypeError):
        canonical.encode({"at": date(2026, 1, 1)})
    with pytest.raises(TypeError):
        canonical.encode({"at": time(8)})
