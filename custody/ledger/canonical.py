"""The canonical text of an entry body: the exact bytes that are hashed and stored.

Sorted keys, UTF-8, no insignificant whitespace, times in UTC with ``Z``,
decimals as strings. Floats are refused: their text is not stable across encoders.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

BODY_VERSION = 1


def utc_text(value: datetime) -> str:
    """``2026-11-23T08:00:00.000000Z``: fixed width, so the text sorts as the time does."""
    if value.tzinfo is None:
        raise ValueError("naive datetime in a ledger body")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _normal(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not allowed in ledger bodies; use Decimal")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not an amount: ledger bodies hold finite numbers only")
        return format(value, "f")
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            # str() would merge {1: …, "1": …} into one key and silently drop a value from a hashed body.
            raise TypeError("ledger body keys must be text")
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [_normal(v) for v in value]
    raise TypeError(f"cannot put {type(value).__name__} in a ledger body")


def encode(value: Any) -> str:
    return json.dumps(_normal(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@lru_cache(maxsize=65536)
def text(value: str | None) -> str:
    """One JSON scalar exactly as ``encode`` writes it (cached: actors, agencies and kinds repeat)."""
    return json.dumps(value, ensure_ascii=False)


def items_text(items: Sequence[tuple[str, int | None]]) -> str:
    """The body's ``items`` array for (code, prev_seq) pairs already sorted by code."""
    return "[" + ",".join(f'{{"code":{text(c)},"prev":{"null" if p is None else p}}}' for c, p in items) + "]"


def body(
    *,
    seq: int,
    at: datetime,
    kind: str,
    actor: str,
    agency: str,
    case_no: str | None,
    items: Sequence[tuple[str, int | None]],
    data: Mapping[str, Any],
) -> str:
    """The entry body. Keys sort as actor, agency, at, case_no, data, items, kind, seq, v:
    everything but ``data`` is a fixed head and tail that verification can compare with
    the row's columns and the index without parsing the JSON (see ``head``/``tail``)."""
    return head(actor, agency, at, case_no) + encode(data) + tail(items_text(items), kind, seq)


def head(actor: str, agency: str, at: datetime | str, case_no: str | None) -> str:
    at_text = at if isinstance(at, str) else utc_text(at)
    return f'{{"actor":{text(actor)},"agency":{text(agency)},"at":"{at_text}","case_no":{text(case_no)},"data":'


def tail(items_json: str, kind: str, seq: int) -> str:
    return f',"items":{items_json}' + kind_tail(kind, seq)


def kind_tail(kind: str, seq: int) -> str:
    return f',"kind":{text(kind)},"seq":{seq},"v":{BODY_VERSION}}}'
