"""Every alert rule over a large centre on PostgreSQL: 1,000,000 items and 3,000,000 ledger entries.

The centre is written straight into the tables with INSERT … SELECT generate_series (the services
would take hours), in a realistic mix: 5,000 cases of 200 items, 5% of them closed (1 to 100 days
ago) with one item in seven still kept; 1% of items waiting for intake (a tenth of those past the
deadline), 3% taken in late, 2% checked out (5% of those check-outs overdue) and 30,000 check-outs
long returned; 10,000 decided handovers and 300 open ones at every step, some waiting for days;
3,000 executed dispositions, 100 approved (half waiting more than 7 days) and 100 requested; 200
closed stocktakes of 1,000 items with a few missing (half turned up since); 3,000,000 ledger entries
indexing every item three times, and their Merkle tree (``ledger_nodes`` and the head's frontier, computed
in Python by bench/_ledger.py as every append keeps them); 30 verifications, the latest failed. Then VACUUM ANALYZE.

It times all rules together as the page lists them (``alerts.current_alerts``) and as the dashboard
counts them (``alerts.counts``), for an auditor (everything), a police handler (a fifth of the cases)
and a centre keeper, then each rule's listing and count alone (median of --repeat runs), and prints
EXPLAIN (ANALYZE, BUFFERS) of each rule's queries for the auditor. With ``--phase both`` (default) it
does all that without, then with, the indexes in PROPOSED (the ones the lead adds to the migration).

    python bench/alerts_scale.py --items 100000 --entries 300000   # a smoke run, about a minute
    python bench/alerts_scale.py                                     # the figures (about 6 min)
"""

from __future__ import annotations

import time
from typing import Any

import _common
import _ledger

# The indexes the rules want at this scale, as migrations 20261206_0005 and 20261207_0008 create them: the
# "without" phase drops them first, the "with" phase makes them again (see docs/benchmarks.md).
PROPOSED = (
    "CREATE INDEX ix_items_late_intake ON items (intake_at) INCLUDE (case_id, code, seized_at) "
    "WHERE late_intake AND status <> 'disposed' AND late_intake_acknowledged_at IS NULL",
    "CREATE INDEX ix_items_awaiting_intake ON items (seized_at) WHERE status = 'registered'",
    "CREATE INDEX ix_stocktake_items_missing ON stocktake_items (stocktake_id, item_id) WHERE NOT found",
    "CREATE INDEX ix_checkouts_out_due_at ON checkouts (due_at) WHERE status IN ('released', 'partially_returned')",
    "CREATE INDEX ix_items_case_id_status ON items (case_id, status)",
)
STOCKTAKES, PER_STOCKTAKE, OPEN_HANDOVERS = 200, 1000, 300


def setup(app: Any) -> dict[str, int]:
    """Agencies and the users whose views are timed, through the services (so they are ledgered)."""
    from custody.extensions import db
    from custody.ledger import SYSTEM
    from custody.services import people

    with app.app_context():
        ids: dict[str, int] = {}
        for code, kind in (
            ("POL1", "police"),
            ("POL2", "police"),
            ("POL3", "police"),
            ("PRO1", "procuratorate"),
            ("CRT1", "court"),
            ("CTR1", "centre"),
            ("SUP1", "supervision"),
        ):
            ids[code] = people.add_agency(SYSTEM, code, f"{kind} {code}", kind).id
        for name, agency, role in (
            ("handler1", "POL1", "handler"),
            ("approver1", "POL1", "approver"),
            ("keeper1", "CTR1", "keeper"),
            ("auditor1", "SUP1", "auditor"),
        ):
            ids[name] = people.add_user(SYSTEM, name, agency_code=agency, roles=(role,), password="p" * 12).id
        db.session.remove()
    return ids


def fill_sql(ids: dict[str, int], n_items: int, n_entries: int, n0: int) -> list[tuple[str, str]]:
    """(label, statement) pairs that build the centre. Item ids are 1..n_items and case ids 1..n_items/200."""
    n_cases = n_items // 200
    tail = max(1000, n_entries // 300)
    regular = n_entries - STOCKTAKES - tail
    spread = n_items // (STOCKTAKES + 50)
    h, a, k = ids["handler1"], ids["approver1"], ids["keeper1"]
    agencies = f"ARRAY[{ids['POL1']}, {ids['POL2']}, {ids['POL3']}, {ids['PRO1']}, {ids['CRT1']}]"
    shelf = "(SELECT min(id) FROM locations WHERE kind = 'shelf')"
    return [
        (
            "locations",
            """INSERT INTO locations (code, name, kind, created_at)
            VALUES ('L-WH', 'Warehouse', 'warehouse', now());
            INSERT INTO locations (code, name, kind, parent_id, created_at)
            SELECT 'L-S' || lpad(g::text, 5, '0'), 'Shelf ' || g, 'shelf',
              (SELECT id FROM locations WHERE code = 'L-WH'), now() FROM generate_series(1, 2000) g""",
        ),
        (
            "cases",
            f"""INSERT INTO cases (case_no, title, stage, agency_id, opened_by_id, opened_at, closed_at,
            closed_by_id, closed_reason)
            SELECT 'SC-' || lpad(g::text, 6, '0'), 'Case ' || g, CASE WHEN g % 20 = 0 THEN 'closed' ELSE 'trial' END,
              ({agencies})[1 + (g / 20 + g) % 5], {h}, now() - interval '400 days' + g * interval '1 hour',
              CASE WHEN g % 20 = 0 THEN now() - ((g / 20) % 100 + 1) * interval '1 day' END,
              CASE WHEN g % 20 = 0 THEN {h} END, CASE WHEN g % 20 = 0 THEN 'judgment_executed' END
            FROM generate_series(1, {n_cases}) g;
            INSERT INTO case_holders (case_id, agency_id, ordinal, since)
            SELECT id, agency_id, 1, opened_at FROM cases""",
        ),
        (
            "items",
            f"""INSERT INTO items (code, case_id, name, category, quantity, unit, estimated_value,
              seizure_doc_no, seized_at, seized_by, seal_no, flags, status, location_id, custodian_id, late_intake,
              intake_at, disposed_at, registered_by_id, registered_at)
            SELECT 'I' || lpad(i::text, 8, '0'), c.id, 'Item ' || i, 'electronics', 1, 'pc', 100.00, 'SZ-' || c.id,
              t.seized, 'Officer Wang', 'SEAL-' || i, '', s.status,
              CASE WHEN s.status = 'in_storage' THEN {shelf} + i % 2000 END, c.agency_id,
              i % 33 = 0 AND s.status <> 'registered',
              CASE WHEN s.status <> 'registered' THEN t.seized + CASE WHEN i % 33 = 0 THEN interval '30 hours'
                   ELSE interval '3 hours' END END,
              CASE WHEN s.status = 'disposed' THEN coalesce(c.closed_at, now() - interval '5 days') END,
              {h}, t.seized + interval '1 hour'
            FROM generate_series(1, {n_items}) i
            JOIN cases c ON c.id = (i - 1) / 200 + 1
            CROSS JOIN LATERAL (SELECT CASE
                WHEN c.closed_at IS NOT NULL THEN CASE WHEN i % 7 = 0 THEN 'in_storage' ELSE 'disposed' END
                WHEN i % 100 = 1 THEN 'registered' WHEN i % 50 = 2 THEN 'checked_out'
                WHEN i % 33 = 5 THEN 'disposed' ELSE 'in_storage' END AS status) s
            CROSS JOIN LATERAL (SELECT CASE
                WHEN s.status = 'registered' AND i % 1000 = 1 THEN now() - interval '3 days'
                WHEN s.status = 'registered' THEN now() - interval '2 hours'
                ELSE c.opened_at + (i % 200) * interval '1 hour' END AS seized) t""",
        ),
        (
            "checkouts",
            f"""INSERT INTO checkouts (number, case_id, agency_id, purpose, due_at, taken_by_id, status,
              requested_by_id, requested_at, approved_by_id, approved_at, released_by_id, released_at, closed_at)
            SELECT 'C' || lpad(id::text, 9, '0'), case_id, custodian_id, 'appraisal',
              CASE WHEN (id / 50) % 20 = 0 THEN now() - interval '2 days' ELSE now() + interval '5 days' END,
              {h}, 'released', {h}, now() - interval '7 days', {a}, now() - interval '7 days', {k},
              now() - interval '6 days', NULL FROM items WHERE status = 'checked_out'
            UNION ALL
            SELECT 'CR' || lpad(id::text, 9, '0'), case_id, custodian_id, 'identification', now() - interval '60 days',
              {h}, 'returned', {h}, now() - interval '70 days', {a}, now() - interval '70 days', {k},
              now() - interval '69 days', now() - interval '61 days'
            FROM items WHERE status = 'in_storage' AND id % 30 = 3;
            INSERT INTO checkout_items (checkout_id, item_id, active, returned_at, returned_by_id, seal_intact)
            SELECT co.id, it.id, co.status = 'released', co.closed_at, CASE WHEN co.closed_at IS NOT NULL THEN {k} END,
              CASE WHEN co.closed_at IS NOT NULL THEN true END
            FROM checkouts co JOIN items it ON it.code = 'I' || right(co.number, 8)""",
        ),
        (
            "handovers",
            f"""INSERT INTO handovers (number, case_id, from_agency_id, to_agency_id, kind, status, open,
              requested_by_id, requested_at, approved_by_id, approved_at, checked_by_id, checked_at, decided_by_id,
              decided_at)
            SELECT 'H' || lpad(g::text, 9, '0'), 1 + g % {n_cases}, {ids["POL1"]}, {ids["PRO1"]}, 'prosecution_review',
              'accepted', false, {h}, now() - interval '300 days', {a}, now() - interval '299 days', {k},
              now() - interval '298 days', {h}, now() - interval '297 days'
            FROM generate_series(1, 10000) g;
            INSERT INTO handovers (number, case_id, from_agency_id, to_agency_id, kind, status, open,
              requested_by_id, requested_at, approved_by_id, approved_at, checked_by_id, checked_at)
            SELECT 'HO' || lpad(c.id::text, 8, '0'), c.id, c.agency_id, {ids["CRT1"]}, 'transfer',
              (ARRAY['requested', 'approved', 'checked'])[(1 + c.rn % 3)::int], true, {h}, t.began - interval '1 day',
              CASE WHEN c.rn % 3 > 0 THEN {a} END, CASE WHEN c.rn % 3 > 0 THEN t.began END,
              CASE WHEN c.rn % 3 = 2 THEN {k} END, CASE WHEN c.rn % 3 = 2 THEN t.began END
            FROM (SELECT id, agency_id, row_number() OVER (ORDER BY id) AS rn FROM cases WHERE closed_at IS NULL
                  ORDER BY id LIMIT {OPEN_HANDOVERS}) c
            CROSS JOIN LATERAL (SELECT now() - (c.rn % 10 + 0.5)::float8 * interval '1 day' AS began) t;
            INSERT INTO handover_items (handover_id, item_id, moves, active, state)
            SELECT ho.id, it.id, false, true, 'pending' FROM handovers ho JOIN items it ON it.case_id = ho.case_id
            WHERE ho.open AND it.status = 'in_storage'""",
        ),
        (
            "dispositions",
            f"""INSERT INTO dispositions (number, case_id, agency_id, kind, basis_doc_no, status,
              requested_by_id, requested_at, approved_by_id, approved_at, executed_by_id, executed_at)
            SELECT 'D' || lpad(g::text, 9, '0'), c.id, c.agency_id, 'confiscate', 'JUDG-' || g,
              CASE WHEN g <= 3000 THEN 'executed' WHEN g <= 3100 THEN 'approved' ELSE 'requested' END,
              {h}, now() - (g % 14 + 1) * interval '1 day', CASE WHEN g <= 3100 THEN {a} END,
              CASE WHEN g <= 3100 THEN now() - (g % 14) * interval '1 day' END,
              CASE WHEN g <= 3000 THEN {k} END, CASE WHEN g <= 3000 THEN now() - interval '1 day' END
            FROM generate_series(1, 3200) g JOIN cases c ON c.id = 1 + (g * 7) % {n_cases};
            INSERT INTO disposition_items (disposition_id, item_id, active)
            SELECT d.id, it.id, true FROM dispositions d
            CROSS JOIN LATERAL (SELECT id FROM items WHERE case_id = {n_cases} - d.id % {n_cases // 2}
              AND status = 'in_storage' AND id NOT IN (SELECT item_id FROM handover_items WHERE active)
              ORDER BY id LIMIT 5) it
            WHERE d.status IN ('requested', 'approved') ON CONFLICT DO NOTHING""",
        ),
        (
            "ledger entries",
            f"""INSERT INTO ledger_entries (seq, at, kind, actor, agency, case_no, body, prev_hash, hash)
            SELECT {n0} + s, now() - interval '400 days' + s * interval '10 seconds',
              CASE WHEN s <= {regular} / 3 THEN 'item.registered' WHEN s <= {regular} * 2 / 3 THEN 'item.intake'
                   WHEN s <= {regular} THEN 'item.moved' WHEN s <= {regular + STOCKTAKES} THEN 'stocktake.closed'
                   ELSE 'item.moved' END,
              'handler1', 'POL1', 'SC-' || lpad((((s - 1) % {n_items}) / 200 + 1)::text, 6, '0'),
              '{{"actor":"handler1","agency":"POL1","at":"2026-01-01T00:00:00Z","case_no":"SC-' || s ||
                '","data":{{"from":"L-S00001","to":"L-S00002"}},"items":[{{"code":"I' || lpad(s::text, 8, '0') ||
                '","prev":null}}],"kind":"item.moved","seq":' || ({n0} + s) || '}}',
              md5(s::text) || md5((s + 1)::text), md5((s + 2)::text) || md5((s + 3)::text)
            FROM generate_series(1, {n_entries}) s;
            UPDATE ledger_head SET seq = {n0 + n_entries} WHERE id = 1""",
        ),
        (
            "stocktakes",
            f"""INSERT INTO stocktakes (number, location_id, status, expected, found, opened_by_id,
              opened_at, closed_by_id, closed_at, close_seq)
            SELECT 'S' || lpad(g::text, 9, '0'), {shelf} + g, 'closed', {PER_STOCKTAKE}, {PER_STOCKTAKE - 3}, {k},
              now() - ({STOCKTAKES} - g + 1) * interval '1 hour', {k}, now() - ({STOCKTAKES} - g) * interval '1 hour',
              {n0 + regular} + g FROM generate_series(1, {STOCKTAKES}) g;
            INSERT INTO stocktake_items (stocktake_id, item_id, found)
            SELECT st.id, it.id, it.id % 300 <> 7 FROM stocktakes st
            JOIN items it ON it.id BETWEEN st.id * {spread} AND st.id * {spread} + {PER_STOCKTAKE} - 1
            WHERE it.status = 'in_storage'""",
        ),
        (
            "ledger index",
            f"""INSERT INTO ledger_entry_items (seq, item_code, prev_seq)
            SELECT {n0} + s, 'I' || lpad(((s - 1) % {n_items} + 1)::text, 8, '0'),
              CASE WHEN s > {n_items} THEN {n0} + s - {n_items} END FROM generate_series(1, {regular}) s;
            INSERT INTO ledger_entry_items (seq, item_code)
            SELECT st.close_seq, it.code FROM stocktake_items si JOIN stocktakes st ON st.id = si.stocktake_id
            JOIN items it ON it.id = si.item_id;
            INSERT INTO ledger_entry_items (seq, item_code)
            SELECT {n0 + regular + STOCKTAKES} + row_number() OVER (ORDER BY it.id), it.code
            FROM stocktake_items si JOIN items it ON it.id = si.item_id WHERE NOT si.found AND it.id % 600 = 7""",
        ),
        (
            "ledger checks",
            f"""INSERT INTO ledger_checks (at, "by", ok, checked, first_bad_seq, reason, head_seq)
            SELECT now() - (40 - g) * interval '1 day', 'auditor1', g < 30, CASE WHEN g < 30 THEN {n0 + n_entries}
              ELSE 1234566 END, CASE WHEN g = 30 THEN 1234567 END, CASE WHEN g = 30 THEN 'hash_mismatch' END,
              {n0 + n_entries} FROM generate_series(1, 30) g""",
        ),
    ]


def fill(app: Any, ids: dict[str, int], n_items: int, n_entries: int) -> None:
    from custody.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        conn = raw.driver_connection
        with conn.cursor() as cur:
            cur.execute("SELECT seq, frontier FROM ledger_head WHERE id = 1")
            n0, frontier = cur.fetchone()
            for label, sql in fill_sql(ids, n_items, n_entries, n0):
                t = time.perf_counter()
                cur.execute(sql)
                print(f"  {label}: {time.perf_counter() - t:.1f} s", flush=True)
        conn.commit()
        t = time.perf_counter()
        nodes = _ledger.extend_tree(db.engine, n0, frontier)  # the Merkle tree, as every append keeps it
        print(f"  ledger tree ({nodes:,} nodes): {time.perf_counter() - t:.1f} s", flush=True)
        analyze(conn)
        raw.close()


def analyze(conn: Any) -> None:
    t = time.perf_counter()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.autocommit = False
    print(f"  VACUUM ANALYZE: {time.perf_counter() - t:.1f} s", flush=True)


def drop_indexes(app: Any) -> None:
    """The migration made them; the "without" phase measures the rules as they were before."""
    from custody.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        with raw.driver_connection.cursor() as cur:
            for sql in PROPOSED:
                cur.execute(f"DROP INDEX IF EXISTS {sql.split()[2]}")
        raw.driver_connection.commit()
        analyze(raw.driver_connection)
        raw.close()


def add_indexes(app: Any) -> None:
    from custody.extensions import db

    drop_indexes(app)
    with app.app_context():
        raw = db.engine.raw_connection()
        with raw.driver_connection.cursor() as cur:
            for sql in PROPOSED:
                t = time.perf_counter()
                cur.execute(sql)
                print(f"  {sql}: {time.perf_counter() - t:.1f} s")
        raw.driver_connection.commit()
        analyze(raw.driver_connection)
        raw.close()


def explain(stmt: Any) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement with its parameters bound as the application binds them."""
    from custody.extensions import db

    compiled = stmt.compile(dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
    rows = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params)
    return "\n".join(f"    {r[0]}" for r in rows)


def measure(app: Any, repeat: int, plans: bool, label: str) -> dict[str, float]:
    from sqlalchemy import select

    from custody import clock
    from custody.extensions import db
    from custody.models import User
    from custody.services import alerts

    results: dict[str, float] = {}
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        now = clock.now()
        for name in ("auditor1", "handler1", "keeper1"):
            viewer = users[name]
            listed = _common.timeit(lambda v=viewer: alerts.current_alerts(v), repeat)
            counted = _common.timeit(lambda v=viewer: alerts.counts(v), repeat)
            found = alerts.counts(viewer)
            results[f"{name} list"], results[f"{name} count"] = _common.median(listed), _common.median(counted)
            print(
                f"RESULT alerts {label} viewer={name}: all rules listed median {_common.median(listed):.3f} s "
                f"[{min(listed):.3f}–{max(listed):.3f}], counted {_common.median(counted):.3f} s; "
                f"{found.total:,} alerts {found.by_rule}"
            )
        auditor = users["auditor1"]
        for rule in alerts.RULES.values():
            listed = _common.timeit(lambda r=rule: db.session.execute(r.listing(auditor, now)).all(), repeat)
            counted = _common.timeit(lambda r=rule: db.session.scalar(r.counting(auditor, now)), repeat)
            results[f"{rule.name} list"] = _common.median(listed)
            results[f"{rule.name} count"] = _common.median(counted)
            print(
                f"  {label} {rule.name:<28} list {_common.median(listed) * 1000:8.1f} ms   "
                f"count {_common.median(counted) * 1000:8.1f} ms"
            )
        if plans:
            for rule in alerts.RULES.values():
                print(f"\n--- {label}: {rule.name}, listing (auditor) ---\n{explain(rule.listing(auditor, now))}")
                print(f"--- {label}: {rule.name}, count (auditor) ---\n{explain(rule.counting(auditor, now))}")
            handler = users["handler1"]
            for name in ("late_intake", "closed_case_items"):
                rule = alerts.RULES[name]
                print(f"\n--- {label}: {name}, listing (police handler) ---\n{explain(rule.listing(handler, now))}")
        db.session.remove()
    return results


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.set_defaults(db="postgresql")
    p.add_argument("--items", type=int, default=1_000_000)
    p.add_argument("--entries", type=int, default=3_000_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument(
        "--phase",
        choices=("before", "after", "both"),
        default="both",
        help="time without the PROPOSED indexes, with them, or both (default)",
    )
    p.add_argument("--no-plans", action="store_true", help="skip the EXPLAIN output")
    args = p.parse_args()
    if args.db != "postgresql":
        raise SystemExit("this benchmark is for PostgreSQL (generate_series, VACUUM ANALYZE, EXPLAIN BUFFERS)")
    print(f"alerts at scale: {args.items:,} items, {args.entries:,} ledger entries")
    print(_common.describe())
    with _common.running_app("postgresql") as (app, url):
        print(f"PostgreSQL {_common.pg_version(url)}; {_common.cpu_model()}")
        ids = setup(app)
        t = time.perf_counter()
        fill(app, ids, args.items, args.entries)
        print(f"built in {time.perf_counter() - t:.0f} s")
        before = after = None
        if args.phase in ("before", "both"):
            drop_indexes(app)
            before = measure(app, args.repeat, not args.no_plans, "without proposed indexes")
        if args.phase in ("after", "both"):
            add_indexes(app)
            after = measure(app, args.repeat, not args.no_plans, "with proposed indexes")
        if before and after:
            print("\nRESULT summary (median seconds): without → with the proposed indexes")
            for key in before:
                print(f"  {key:<36} {before[key]:.4f} → {after[key]:.4f}")


if __name__ == "__main__":
    main()
