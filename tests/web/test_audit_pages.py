"""The auditors' workspace pages: the ledger browser (filters, pages both ways, scoping), an entry's page,
the verify button and its history, the CSV buttons and the nav link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select, text

from custody.extensions import db
from custody.models import LedgerCheck
from custody.web import audit
from tests.audit_world import AuditWorld
from tests.web.conftest import local_input


@pytest.fixture
def world(make: Any) -> AuditWorld:
    return AuditWorld(make)


def _seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)">', page)]


def _page(client: Any, **query: Any) -> str:
    response = client.get("/audit/ledger", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_auditor_sees_every_entry_newest_first_with_links(login: Any, client: Any, world: AuditWorld) -> None:
    login(world.auditor)
    page = _page(client)
    entries = world.all_entries()
    assert _seqs(page) == [e.seq for e in entries][::-1]
    assert 'id="nav-ledger"' in page and 'aria-current="page"' in page.split('id="nav-ledger"')[1][:60]
    registered = next(e for e in entries if e.kind == "item.registered" and e.case_no == "A-2026-1")
    row = page.split(f'<tr data-seq="{registered.seq}">')[1].split("</tr>")[0]
    assert f'href="/audit/ledger/{registered.seq}"' in row
    assert 'href="/cases/A-2026-1"' in row
    assert all(f'href="/items/{code}"' in row for code in world.items_of(registered))
    assert registered.hash[:12] in row and f'title="{registered.hash}"' in row
    assert 'id="older-page"' not in page and 'id="newer-page"' not in page
    assert "js/audit.js" in page and "<script>" not in page, "no inline script (CSP)"


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ({"agency": "PB"}, lambda w, e: e.agency == "PB"),
        ({"kind": "item.intake"}, lambda w, e: e.kind == "item.intake"),
        ({"case_no": "A-2026-1"}, lambda w, e: e.case_no == "A-2026-1"),
        ({"actor": "handler_b"}, lambda w, e: e.actor == "handler_b"),
        (
            {"case_no": " A-2026-1 ", "kind": "item.intake"},
            lambda w, e: e.case_no == "A-2026-1" and e.kind == "item.intake",
        ),
    ],
)
def test_each_filter(login: Any, client: Any, world: AuditWorld, query: dict[str, str], keep: Any) -> None:
    login(world.auditor)
    expected = [e.seq for e in world.all_entries() if keep(world, e)][::-1]
    assert expected and _seqs(_page(client, **query)) == expected


def test_item_filter_takes_a_typed_or_scanned_code(login: Any, client: Any, world: AuditWorld) -> None:
    login(world.auditor)
    code = world.codes_a[0]
    expected = [e.seq for e in world.all_entries() if code in world.items_of(e)][::-1]
    assert len(expected) == 2
    assert _seqs(_page(client, item=code.lower())) == expected
    page = _page(client, item=f"http://custody.test/s/{code}")
    assert _seqs(page) == expected and f'name="item" value="{code}"' in page


def test_time_range_in_local_time(login: Any, client: Any, world: AuditWorld) -> None:
    login(world.auditor)
    entries = world.all_entries()
    # datetime-local has minutes; the ticking clock started at 08:00:01 UTC, one entry a second.
    everything = _page(client, **{"from": local_input(entries[0].at.replace(second=0)), "to": "2099-01-01T00:00"})
    assert _seqs(everything) == [e.seq for e in entries][::-1]
    assert _seqs(_page(client, **{"to": local_input(entries[0].at.replace(second=0))})) == []
    assert "2026-03-01T16:00" in everything, "the form shows the range in Asia/Shanghai time"


def test_pages_older_then_newer(login: Any, client: Any, world: AuditWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "PAGE_SIZE", 4)
    login(world.auditor)
    everything = [e.seq for e in world.all_entries()][::-1]
    seen, page = [], _page(client, kind="")
    while True:
        seen += _seqs(page)
        older = re.search(r'id="older-page" rel="next" href="([^"]+)"', page)
        if not older:
            break
        page = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
        assert 'id="newer-page"' in page
    assert seen == everything
    back = _seqs(page)
    while newer := re.search(r'id="newer-page" rel="prev" href="([^"]+)"', page):
        page = client.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)
        back = _seqs(page) + back
    assert back == everything


def test_pages_keep_the_filters(login: Any, client: Any, world: AuditWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "PAGE_SIZE", 1)
    login(world.auditor)
    page = _page(client, case_no="A-2026-1", kind="item.intake")
    older = re.search(r'id="older-page" rel="next" href="([^"]+)"', page)
    assert older and "case_no=A-2026-1" in older.group(1) and "kind=item.intake" in older.group(1)
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    intakes = [e.seq for e in world.all_entries() if e.kind == "item.intake"]
    assert _seqs(page) + _seqs(second) == intakes[::-1] and 'id="older-page"' not in second


def test_a_handler_sees_only_its_cases_entries(login: Any, client: Any, world: AuditWorld) -> None:
    login(world.handler_b)
    page = _page(client)
    assert _seqs(page) == [e.seq for e in world.all_entries() if e.case_no == "B-2026-1"][::-1]
    assert 'id="nav-ledger"' not in page and 'id="verify-form"' not in page and 'id="entries-csv"' not in page
    assert _seqs(_page(client, case_no="A-2026-1")) == []
    other = next(e for e in world.all_entries() if e.case_no == "A-2026-1")
    assert client.get(f"/audit/ledger/{other.seq}").status_code == 404
    assert client.get("/audit/verify").status_code == 403
    assert client.post("/audit/verify").status_code in (400, 403)  # no CSRF token, and no right


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "no.such"},
        {"from": "yesterday"},
        {"from": "2026-03-02T00:00", "to": "2026-03-01T00:00"},
        {"from": "0001-01-01T00:00"},
        {"before": "x"},
        {"after": "99999999999999999999999"},
        {"actor": "a\x00b"},
        {"item": "%00"},
    ],
)
def test_bad_filters_are_explained_not_failed(
    login: Any, client: Any, world: AuditWorld, query: dict[str, str]
) -> None:
    login(world.auditor)
    response = client.get("/audit/ledger", query_string=query)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if set(query) & {"kind", "from", "to"}:
        assert 'class="flash error"' in page and "aria-invalid" in page


def test_a_mistyped_item_code_is_said_to_be_mistyped(login: Any, client: Any, world: AuditWorld) -> None:
    """A code with a wrong check character would match nothing in silence; the auditor is told why."""
    code = world.codes_a[0]
    login(world.auditor)
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    page = client.get("/audit/ledger", query_string={"item": typo}, headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "aria-invalid" in text and "check character does not match" in text
    good = client.get("/audit/ledger", query_string={"item": code}).get_data(as_text=True)
    assert "aria-invalid" not in good


def test_entry_page_shows_the_timeline_items_and_stored_text(login: Any, client: Any, world: AuditWorld) -> None:
    login(world.auditor)
    registered = next(e for e in world.all_entries() if e.kind == "item.registered" and e.case_no == "B-2026-1")
    page = client.get(f"/audit/ledger/{registered.seq}").get_data(as_text=True)
    assert 'class="timeline"' in page and f'data-seq="{registered.seq}"' in page
    assert all(f'href="/items/{c}"' in page for c in world.codes_b)
    assert registered.hash in page and registered.prev_hash in page
    assert 'id="entry-body"' in page and "&#34;kind&#34;:&#34;item.registered&#34;" in page
    assert client.get("/audit/ledger/999999").status_code == 404


def test_verify_button_records_a_check_and_shows_a_failure_after_tampering(
    login: Any, client: Any, post_form: Any, world: AuditWorld
) -> None:
    login(world.auditor)
    assert 'id="never-checked"' in client.get("/audit/verify").get_data(as_text=True)
    response = post_form("/audit/ledger", {}, to="/audit/verify")
    assert response.status_code == 302 and response.headers["Location"] == "/audit/verify"
    page = client.get("/audit/verify").get_data(as_text=True)
    head = world.all_entries()[-1].seq
    assert 'class="flash ok"' in page and 'class="card check-ok"' in page and f">{head}<" in page
    assert db.session.scalar(select(func.count()).select_from(LedgerCheck)) == 1

    target = next(e for e in world.all_entries() if e.kind == "item.registered").seq
    db.session.execute(
        text("UPDATE ledger_entries SET body = replace(body, 'Phone', 'Phony') WHERE seq = :s"), {"s": target}
    )
    db.session.commit()
    post_form("/audit/verify", {})
    page = client.get("/audit/verify").get_data(as_text=True)
    assert 'class="flash error"' in page and 'class="card check-failed"' in page
    assert f'href="/audit/ledger/{target}" id="bad-entry"' in page and "hash_mismatch" in page
    checks = db.session.scalars(select(LedgerCheck).order_by(LedgerCheck.id)).all()
    assert [(c.ok, c.first_bad_seq, c.reason, c.by) for c in checks] == [
        (True, None, None, "auditor1"),
        (False, target, "hash_mismatch", "auditor1"),
    ]
    assert page.count("<tr class=") == 2, "the history lists both verifications"


def test_an_administrator_may_verify_too(login: Any, client: Any, post_form: Any, make: Any) -> None:
    admin = make.user("admin")
    login(admin)
    assert 'id="verify-form"' in client.get("/audit/ledger").get_data(as_text=True)
    assert post_form("/audit/verify", {}).status_code == 302
    assert db.session.scalars(select(LedgerCheck.by)).all() == [admin.username]


def test_csv_buttons_carry_the_filters(login: Any, client: Any, world: AuditWorld) -> None:
    login(world.auditor)
    page = _page(client, case_no="A-2026-1", **{"from": "2026-03-01T16:00"})
    link = re.search(r'id="entries-csv" href="([^"]+)"', page)
    assert link and link.group(1).startswith("/api/v1/ledger/entries.csv?")
    assert "case_no=A-2026-1" in link.group(1) and "from=2026-03-01T08:00:00%2B00:00" in link.group(1)
    assert 'id="holdings-csv" href="/api/v1/holdings.csv"' in page
    download = client.get(link.group(1).replace("&amp;", "&"))
    assert download.status_code == 200 and download.is_streamed
    rows = download.get_data().decode("utf-8-sig").splitlines()[1:]
    assert len(rows) == len([e for e in world.all_entries() if e.case_no == "A-2026-1"])


def test_a_keeper_gets_the_holdings_button_only(login: Any, client: Any, world: AuditWorld) -> None:
    login(world.keeper)
    page = _page(client)
    assert 'id="holdings-csv"' in page and 'id="entries-csv"' not in page and 'id="nav-ledger"' not in page
    assert client.get("/api/v1/holdings.csv").status_code == 200
