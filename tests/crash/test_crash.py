"""Crash safety (issue 8): SIGKILL the served app in the middle of an act; after a restart the act is
wholly there or wholly absent, the ledger verifies, and the service goes on.

Three acts: registering 10,000 items in one request, accepting a handover of 3,000 items, closing a
stocktake. Each is killed three times, on the session's database (SQLite or PostgreSQL), by SIGKILL to
gunicorn's whole process group:

* ``after_commit``: the worker is frozen just after the database committed, before the client heard
  back: the act must be wholly there. This run also times the act's write transaction (T).
* ``open``: the database itself shows the act's write transaction open (PostgreSQL: the app's backend
  holds a transaction id; SQLite: the write lock is taken) and has shown it for T/2: a natural kill in
  the middle. Either outcome is allowed (a commit may slip in between the last look and the kill), and
  printed. When the act ends before T/2 (a loaded machine makes timings vary), its client got the
  answer, so it must be there; the kill is tried again on a new act with a quarter of the wait, the last
  time as soon as the transaction shows.
* ``before_commit``: the worker is frozen with every row of the act written and the ledger head
  advanced, but no COMMIT sent: the act must be wholly absent.

After each kill the server is started again on the same database and files. "Wholly there": every item,
state change and index row of the act, and exactly one new entry that follows the previous head.
"Wholly absent": nothing of it, the head unchanged. Always: head row = last entry, nothing indexed past
it, the Merkle frontier = the root recomputed from the bodies, ``flask custody verify`` exits 0. At the
end the act that was left absent is retried through the API and succeeds, its entry following the head.

Time: about 50 s on PostgreSQL and 80 s on SQLite for the module on a 2-core machine at load average 5-7
(`-s` prints a ``CRASH …`` line per kill with its outcome).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.engine import Connection

from tests.crash.world import (
    ABSENT,
    AFTER_COMMIT,
    BEFORE_COMMIT,
    OPEN,
    PRESENT,
    Centre,
    Head,
    Serving,
    build_centre,
    check_ledger,
    crash,
    entry_after,
    item_rows,
)
from tests.databases import own_database

pytestmark = [pytest.mark.slow, pytest.mark.crash]

REGISTERED, HANDED_OVER, IN_STOCKTAKE, SCANNED = 10_000, 3_000, 200, 30
POINTS = (AFTER_COMMIT, OPEN, BEFORE_COMMIT)


@pytest.fixture(scope="module")
def centre(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    """One centre (database, files, users) for the module's acts; each act uses cases of its own."""
    tmp = tmp_path_factory.mktemp("crash")
    with own_database(database_url, tmp, "crash") as url:
        yield build_centre(url, tmp / "instance")


@pytest.fixture(scope="module")
def serving(centre: Centre) -> Iterator[Serving]:
    """Its server, handed from one test to the next (each start costs seconds); stopped at the module's end."""
    with Serving(centre) as running:
        yield running


@dataclass
class Subject:
    """One act to crash: the request that performs it, and what it is about."""

    path: str
    user: str
    body: Any
    status: int  # what the act answers when it is let through
    facts: dict[str, Any]


@dataclass
class Act:
    name: str
    prepare: Callable[[Serving], Subject]
    # Checks the act is wholly there or wholly absent, returns which (raises on anything half-done).
    outcome: Callable[[Connection, Subject, Head], str]


def one(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).one()


def column(conn: Connection, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(text(sql), params).scalars())


def open_case(serving: Serving, case_no: str) -> None:
    serving.call("POST", "/api/v1/cases", "police.handler", {"case_no": case_no, "title": "Crash test"}, 201)


def register(serving: Serving, case_no: str, n: int) -> list[str]:
    body = {"items": item_rows(n, case_no)}
    answer = serving.call("POST", f"/api/v1/cases/{case_no}/items", "police.handler", body, 201)
    return [item["code"] for item in answer["items"]]


def shelve(serving: Serving, case_no: str) -> None:
    """Put the case's items on a shelf by SQL, as 3,000 intakes would (only items in storage pass the presence
    check): the acts under test come after, and 3,000 intakes through the API would take most of the test's time.
    Verify still passes: it checks the ledger, which the intakes it skips would only have added to."""
    with serving.centre.db() as conn, conn.begin():
        shelf = conn.execute(text("SELECT min(id) FROM locations")).scalar_one()
        conn.execute(
            text(
                "UPDATE items SET status = 'in_storage', location_id = :shelf, intake_at = registered_at "
                "WHERE case_id = (SELECT id FROM cases WHERE case_no = :c)"
            ),
            {"shelf": shelf, "c": case_no},
        )


# --- registration of 10,000 items in one request ---------------------------------------------------------


@functools.cache
def registration_rows() -> list[dict[str, Any]]:
    return item_rows(REGISTERED, "REG")


def prepare_registration(serving: Serving) -> Subject:
    case_no = f"CRASH-REG-{time.monotonic_ns()}"
    open_case(serving, case_no)
    body = {"items": registration_rows()}
    return Subject(f"/api/v1/cases/{case_no}/items", "police.handler", body, 201, {"case_no": case_no})


def registration_outcome(conn: Connection, subject: Subject, before: Head) -> str:
    case_no = subject.facts["case_no"]
    now = check_ledger(conn)
    rows = one(
        conn,
        "SELECT count(*), min(i.status), max(i.status), min(a.code), max(a.code) FROM items i"
        " JOIN cases c ON c.id = i.case_id JOIN agencies a ON a.id = i.custodian_id WHERE c.case_no = :c",
        c=case_no,
    )
    entries = column(conn, "SELECT seq FROM ledger_entries WHERE kind = 'item.registered' AND case_no = :c", c=case_no)
    if rows[0] == 0:
        assert entries == [] and now == before, (entries, now, before)
        return ABSENT
    assert tuple(rows) == (REGISTERED, "registered", "registered", "PSB", "PSB"), rows
    entry = entry_after(conn, before)
    assert entry["kind"] == "item.registered" and entries == [entry["seq"]], (entry["kind"], entries)
    codes = column(conn, "SELECT i.code FROM items i JOIN cases c ON c.id = i.case_id WHERE c.case_no = :c", c=case_no)
    assert entry["items"] == set(codes)
    return PRESENT


# --- acceptance of a handover of 3,000 items ---------------------------------------------------------------


def prepare_acceptance(serving: Serving) -> Subject:
    case_no = f"CRASH-HO-{time.monotonic_ns()}"
    open_case(serving, case_no)
    codes = register(serving, case_no, HANDED_OVER)
    shelve(serving, case_no)
    number = serving.call("POST", "/api/v1/handovers", "police.handler", {"case_no": case_no, "to_agency": "PRO"}, 201)[
        "number"
    ]
    serving.call("POST", f"/api/v1/handovers/{number}/approve", "police.approver")
    checked = serving.call("POST", f"/api/v1/handovers/{number}/presence-check", "keeper", {"present": codes})
    assert checked["status"] == "checked"
    facts = {"case_no": case_no, "number": number, "codes": set(codes)}
    return Subject(f"/api/v1/handovers/{number}/accept", "pro.handler", {}, 200, facts)


def acceptance_outcome(conn: Connection, subject: Subject, before: Head) -> str:
    number, case_no, n = subject.facts["number"], subject.facts["case_no"], HANDED_OVER
    now = check_ledger(conn)
    status, is_open, decided_at, decision_seq, decision_hash, case_id, holder, stage = one(
        conn,
        "SELECT h.status, h.open, h.decided_at, h.decision_seq, h.decision_hash, c.id, a.code, c.stage"
        " FROM handovers h JOIN cases c ON c.id = h.case_id JOIN agencies a ON a.id = c.agency_id"
        " WHERE h.number = :n",
        n=number,
    )
    lines = dict(
        conn.execute(
            text(
                "SELECT hi.state, count(*) FROM handover_items hi JOIN handovers h ON h.id = hi.handover_id"
                " WHERE h.number = :n GROUP BY hi.state"
            ),
            {"n": number},
        ).all()
    )
    active = one(
        conn,
        "SELECT count(*) FROM handover_items hi JOIN handovers h ON h.id = hi.handover_id"
        " WHERE h.number = :n AND hi.active",
        n=number,
    )[0]
    custodians = dict(
        conn.execute(
            text(
                "SELECT a.code, count(*) FROM items i JOIN agencies a ON a.id = i.custodian_id"
                " WHERE i.case_id = :c GROUP BY a.code"
            ),
            {"c": case_id},
        ).all()
    )
    holders = column(
        conn,
        "SELECT a.code FROM case_holders h JOIN agencies a ON a.id = h.agency_id WHERE h.case_id = :c"
        " ORDER BY h.ordinal",
        c=case_id,
    )
    entries = column(
        conn, "SELECT seq FROM ledger_entries WHERE kind = 'handover.accepted' AND case_no = :c", c=case_no
    )
    seen = (status, bool(is_open), decided_at is None, decision_seq, lines, active, custodians, holder, stage, holders)
    if status == "checked":
        assert seen == (status, True, True, None, {"pending": n}, n, {"PSB": n}, "PSB", "investigation", ["PSB"]), seen
        assert entries == [] and now == before, (entries, now, before)
        return ABSENT
    entry = entry_after(conn, before)
    expected = ("accepted", False, False, entry["seq"], {"accepted": n}, 0, {"PRO": n}, "PRO", "prosecution_review")
    assert seen == (*expected, ["PSB", "PRO"]), seen
    assert decision_hash == entry["hash"] and entry["kind"] == "handover.accepted" and entries == [entry["seq"]]
    assert entry["items"] == subject.facts["codes"]
    return PRESENT


# --- closing a stocktake ------------------------------------------------------------------------------------


def stock_shelf(serving: Serving) -> dict[str, Any]:
    """A location of its own with items in storage (intake is one request per item, so this is done once)."""
    case_no = f"CRASH-ST-{time.monotonic_ns()}"
    open_case(serving, case_no)
    codes = register(serving, case_no, IN_STOCKTAKE)
    place = serving.call("POST", "/api/v1/locations", "keeper", {"name": "Crash shelf", "kind": "warehouse"}, 201)

    def intake(code: str) -> None:
        body = {"location": place["code"], "seal_intact": True}
        serving.call("POST", f"/api/v1/items/{code}/intake", "keeper", body)

    with ThreadPoolExecutor(2) as pool:  # one request in the worker while the next is on its way
        list(pool.map(intake, codes))
    return {"location": place["code"], "codes": codes}


def prepare_close(serving: Serving, shelf: dict[str, Any]) -> Subject:
    opened = serving.call("POST", "/api/v1/stocktakes", "keeper", {"location": shelf["location"]}, 201)
    number = opened["number"]
    assert opened["expected"] == IN_STOCKTAKE
    for code in shelf["codes"][:SCANNED]:
        assert serving.call("POST", f"/api/v1/stocktakes/{number}/scans", "keeper", {"code": code})["result"] == (
            "expected"
        )
    facts = {"number": number, "codes": set(shelf["codes"])}
    return Subject(f"/api/v1/stocktakes/{number}/close", "keeper", None, 200, facts)


def close_outcome(conn: Connection, subject: Subject, before: Head) -> str:
    number = subject.facts["number"]
    now = check_ledger(conn)
    status, closed_at, found, close_seq = one(
        conn, "SELECT status, closed_at, found, close_seq FROM stocktakes WHERE number = :n", n=number
    )
    entries = column(
        conn,
        "SELECT seq FROM ledger_entries WHERE kind = 'stocktake.closed' AND body LIKE :b",
        b=f'%"number":"{number}"%',
    )
    if status == "open":
        assert (closed_at, found, close_seq) == (None, None, None), (closed_at, found, close_seq)
        assert entries == [] and now == before, (entries, now, before)
        return ABSENT
    entry = entry_after(conn, before)
    assert (status, closed_at is None, found, close_seq) == ("closed", False, SCANNED, entry["seq"])
    assert entry["kind"] == "stocktake.closed" and entries == [entry["seq"]]
    assert entry["items"] == subject.facts["codes"]
    return PRESENT


# --- the driver ---------------------------------------------------------------------------------------------


def verify_api(serving: Serving) -> None:
    """The auditors' verification through the restarted server (the same walk as ``custody verify``)."""
    result = serving.call("POST", "/api/v1/ledger/verify", "auditor")
    assert result["ok"] is True and result["first_bad_seq"] is None, result


def kill_three_times(centre: Centre, serving: Serving, act: Act) -> list[str]:
    """Crash the act at each point, check it after each restart, then retry the absent one; the outcomes."""
    kind = make_url(centre.url).get_backend_name()
    report = []
    serving.ensure()
    subject: Subject | None = None
    hold = 0.0
    tries = {OPEN: 4}
    points = list(POINTS)
    while points:
        point = points.pop(0)
        subject = subject or act.prepare(serving)
        with centre.db() as conn:
            before = check_ledger(conn)
            assert act.outcome(conn, subject, before) == ABSENT
        token = centre.tokens[subject.user]
        kill = crash(centre, serving.server, point, subject.path, token, subject.body, hold)
        serving.restart()
        assert serving.server.request("GET", "/readyz")[0] == 200  # database reachable, ledger head readable
        with centre.db() as conn:
            outcome = act.outcome(conn, subject, before)
        verify_api(serving)
        line = (
            f"CRASH {act.name} on {kind}, kill {point}{f' (hold {hold:.3f} s)' if point == OPEN else ''}: {outcome}"
            " (write transaction seen open"
            f" {kill.open_for:.3f} s, still open at the kill: {kill.still_open}, kill {kill.took:.2f} s after"
            " the request was sent)"
        )
        if kill.answer is not None:
            assert point == OPEN, line
            # Faster than the act it was timed on: it ended before the hold. Its client had the answer, so it must
            # be there; try again with a shorter hold (at the last try: kill as soon as the database shows it open).
            line += f"; the act ended before the kill, answered {kill.answer[0]}"
            assert (outcome, kill.answer[0]) == (PRESENT, subject.status), line
            tries[OPEN] -= 1
            assert tries[OPEN], line
            hold = hold / 4 if tries[OPEN] > 1 else 0.0
            points.insert(0, OPEN)
        elif point == AFTER_COMMIT:  # there, though its client never heard back
            assert (outcome, kill.still_open) == (PRESENT, False), line
            hold = kill.open_for / 2  # the middle of the act's write transaction
        elif point == BEFORE_COMMIT:
            assert (outcome, kill.still_open) == (ABSENT, True), line
        print(line)
        report.append(line)
        if outcome == PRESENT:
            subject = None
    assert subject is not None  # the before-commit kill left its act absent: retry it
    with centre.db() as conn:
        before = check_ledger(conn)
    status, answer = serving.server.request(
        "POST", subject.path, token=centre.tokens[subject.user], body=subject.body, timeout=300
    )
    assert status == subject.status, str(answer)[:500]
    with centre.db() as conn:
        assert act.outcome(conn, subject, before) == PRESENT
    centre.verify_cli()
    return report


REGISTRATION = Act("registration of 10,000 items", prepare_registration, registration_outcome)
ACCEPTANCE = Act("acceptance of a 3,000-item handover", prepare_acceptance, acceptance_outcome)


def test_registration_of_10000_items_is_all_or_nothing_across_kills(centre: Centre, serving: Serving) -> None:
    kill_three_times(centre, serving, REGISTRATION)


def test_handover_acceptance_is_all_or_nothing_across_kills(centre: Centre, serving: Serving) -> None:
    kill_three_times(centre, serving, ACCEPTANCE)


def test_stocktake_close_is_all_or_nothing_across_kills(centre: Centre, serving: Serving) -> None:
    shelf: dict[str, Any] = {}

    def prepare(serving: Serving) -> Subject:
        shelf.update(shelf or stock_shelf(serving))
        return prepare_close(serving, shelf)

    kill_three_times(centre, serving, Act(f"stocktake close ({IN_STOCKTAKE} expected)", prepare, close_outcome))
