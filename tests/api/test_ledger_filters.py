"""GET /api/v1/ledger/entries with filters: each filter alone and together, paging, scoping, refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custody.models import LedgerEntry
from tests.audit_world import AuditWorld


@pytest.fixture
def world(make: Any) -> AuditWorld:
    return AuditWorld(make)


def _seqs(client: Any, **query: Any) -> list[int]:
    """Every seq the filters select, following the pages (2 entries a page)."""
    seqs: list[int] = []
    cursor = ""
    while True:
        response = client.get("/api/v1/ledger/entries", query_string={**query, "limit": 2, "cursor": cursor})
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        seqs += [e["seq"] for e in page["items"]]
        if not page["next"]:
            return seqs
        cursor = page["next"]


def _where(world: AuditWorld, keep: Callable[[LedgerEntry], bool]) -> list[int]:
    return [e.seq for e in world.all_entries() if keep(e)]


def test_each_filter_selects_exactly_the_matching_entries(api: Any, world: AuditWorld) -> None:
    client = api(world.auditor)
    item = world.codes_a[0]
    centre = world.keeper.agency.code
    expectations: list[tuple[dict[str, Any], Callable[[LedgerEntry], bool]]] = [
        ({"agency": "PA"}, lambda e: e.agency == "PA"),
        ({"agency": centre}, lambda e: e.agency == centre),
        ({"kind": "item.intake"}, lambda e: e.kind == "item.intake"),
        ({"case_no": "B-2026-1"}, lambda e: e.case_no == "B-2026-1"),
        ({"item": item}, lambda e: item in world.items_of(e)),
        ({"actor": world.keeper.username}, lambda e: e.actor == world.keeper.username),
        ({"case_no": "A-2026-1", "kind": "item.intake"}, lambda e: e.case_no == "A-2026-1" and e.kind == "item.intake"),
        (
            {"item": item, "actor": world.keeper.username},
            lambda e: item in world.items_of(e) and e.actor == world.keeper.username,
        ),
        ({"agency": "PA", "kind": "item.intake"}, lambda e: False),  # the keeper's agency took them in
    ]
    for query, keep in expectations:
        expected = _where(world, keep)
        assert _seqs(client, **query) == expected, query
    assert len(_where(world, lambda e: e.kind == "item.intake")) == 2
    assert _seqs(client, item=item) == [e.seq for e in world.all_entries() if item in world.items_of(e)] != []


def test_time_range_includes_from_and_stops_before_to(api: Any, world: AuditWorld) -> None:
    client = api(world.auditor)
    entries = world.all_entries()
    assert len({e.at for e in entries}) == len(entries), "the ticking clock gives each entry its own time"
    first, last = entries[3], entries[-3]
    shanghai = first.at.astimezone(ZoneInfo("Asia/Shanghai"))  # any offset means the same moment
    got = _seqs(client, **{"from": shanghai.isoformat(), "to": last.at.isoformat()})
    assert got == [e.seq for e in entries if first.at <= e.at < last.at] == list(range(first.seq, last.seq))
    assert _seqs(client, **{"from": last.at.isoformat()}) == [e.seq for e in entries[-3:]]
    assert _seqs(client, **{"to": first.at.isoformat()}) == [e.seq for e in entries[:3]]
    after_all = entries[-1].at + timedelta(seconds=1)
    assert _seqs(client, **{"from": after_all.isoformat()}) == []
    assert _seqs(client, **{"to": entries[0].at.isoformat()}) == []
    both = _seqs(client, **{"from": first.at.isoformat(), "kind": "item.intake"})
    assert both == [e.seq for e in entries if e.kind == "item.intake"]


def test_item_filter_pages_by_the_item_index(api: Any, world: AuditWorld) -> None:
    client = api(world.auditor)
    code = world.codes_a[1]
    page = client.get("/api/v1/ledger/entries", query_string={"item": code, "limit": 1}).get_json()
    assert (
        len(page["items"]) == 1 and page["items"][0]["kind"] == "item.registered" and code in page["items"][0]["items"]
    )
    rest = client.get("/api/v1/ledger/entries", query_string={"item": code, "cursor": page["next"]}).get_json()
    assert [e["kind"] for e in rest["items"]] == ["item.intake"] and rest["next"] is None


def test_a_handler_filters_only_within_its_own_cases(api: Any, world: AuditWorld) -> None:
    client = api(world.handler_a)
    mine = _seqs(client)
    assert mine == _where(world, lambda e: e.case_no == "A-2026-1")
    assert _seqs(client, case_no="B-2026-1") == []  # another agency's case: nothing, not an error
    assert _seqs(client, item=world.codes_b[0]) == []
    assert _seqs(client, agency="PB") == []
    assert _seqs(client, kind="item.intake") == _where(world, lambda e: e.kind == "item.intake")


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "no.such_kind"},
        {"from": "2026-03-01T08:00:00"},  # no offset: which zone?
        {"from": "2026-03-01T09:00:00Z", "to": "2026-03-01T08:00:00Z"},
        {"from": "2026-03-01T08:00:00Z", "to": "2026-03-01T08:00:00Z"},
        {"item": "X" * 17},
        {"case_no": "a\x00b"},
    ],
)
def test_bad_filters_are_refused(api: Any, world: AuditWorld, query: dict[str, str]) -> None:
    response = api(world.auditor).get("/api/v1/ledger/entries", query_string=query)
    assert response.status_code == 422 and response.get_json()["code"] == "invalid_input"


def test_filters_are_in_the_openapi_document(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    names = {p["name"] for p in spec["paths"]["/api/v1/ledger/entries"]["get"]["parameters"]}
    assert {"after", "cursor", "limit", "agency", "kind", "case_no", "item", "actor", "from", "to"} <= names


def test_a_client_keeping_after_and_following_next_moves_on(api: Any, world: AuditWorld) -> None:
    """``after`` starts the walk; ``next`` continues it even when the client sends its first ``after`` again."""
    client = api(world.auditor)
    expected = [e.seq for e in world.all_entries() if e.seq > 3]
    seqs: list[int] = []
    cursor = None
    for _ in range(len(expected) + 2):
        query = {"after": 3, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/ledger/entries", query_string=query).get_json()
        seqs += [e["seq"] for e in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert seqs == expected


def test_after_and_cursor_together_start_after_the_later_one(api: Any, world: AuditWorld) -> None:
    client = api(world.auditor)

    def first_seq(**query: Any) -> int:
        page = client.get("/api/v1/ledger/entries", query_string={**query, "limit": 1}).get_json()
        return int(page["items"][0]["seq"])

    assert first_seq(after=5, cursor="3") == 6 and first_seq(after=3, cursor="5") == 6
