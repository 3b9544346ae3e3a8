"""A whole handover of one case with N items, through the API: request, approve, presence check, accept.

For each size (default 1,000 and 10,000) the benchmark builds a fresh database through the services:
police (handler, approver), a procuratorate (handler), a centre keeper, one case with N items
registered in one call and shelved (a direct UPDATE, not N intakes: the handover reads only where
items are and their status). It then drives the four steps with Flask's test client and bearer
tokens, so each figure includes routing, auth, validation, the service, the ledger entry (one per
step, naming all N items) and the JSON answer (all N lines), but no network. The presence check
sends every code in one call, as a handheld that scanned offline would.

Prints each step's wall time, the total per size, and the ratio of the largest size to the smallest
(aim: ≤ 5 s for 10,000 items; ratio 10,000 : 1,000 ≤ 12, i.e. linear).

    python bench/handover_flow.py                    # SQLite, 1,000 and 10,000 items
    python bench/handover_flow.py --db postgresql
    python bench/handover_flow.py --sizes 1000 10000 20000 --repeat 3
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import _common

STEPS = ("request", "approve", "presence check", "accept")


def build(app: Any, n: int) -> tuple[str, list[str], dict[str, str]]:
    """(case number, item codes, bearer token per role)."""
    from sqlalchemy import update

    from custody import clock
    from custody.extensions import db
    from custody.ledger import SYSTEM
    from custody.models import Item, User
    from custody.services import auth, items, locations, people
    from custody.services.uow import unit_of_work

    actors = _common.setup_actors(app)
    with app.app_context():
        password = "p" * 12
        people.add_agency(SYSTEM, "CTR1", "Custody centre", "centre")
        people.add_agency(SYSTEM, "PRO1", "Procuratorate", "procuratorate")
        people.add_user(SYSTEM, "keeper1", agency_code="CTR1", roles=("keeper",), password=password, name="K")
        people.add_user(SYSTEM, "approver1", agency_code="POL1", roles=("approver",), password=password, name="Ap")
        people.add_user(SYSTEM, "pro1", agency_code="PRO1", roles=("handler",), password=password, name="P")
        handler = db.session.get(User, actors.handler_id)
        keeper = db.session.scalars(db.select(User).where(User.username == "keeper1")).one()
        seized = clock.now() - timedelta(hours=1)
        rows = [
            {
                "name": f"涉案手机 {i}",
                "category": "electronics",
                "quantity": Decimal(1),
                "unit": "部",
                "description": f"黑色，屏幕碎裂；bag {i // 50 + 1}",
                "seizure_doc_no": "DOC-1",
                "seized_at": seized,
                "seal_no": f"S-{i:07d}",
                "flags": [],
            }
            for i in range(n)
        ]
        codes = [item.code for item in items.register_items(handler, actors.case_no, rows)]
        store = locations.create_location(keeper, name="一号库", kind="warehouse")
        shelf = locations.create_location(keeper, name="A-01", kind="shelf", parent=store.code)
        with unit_of_work():
            db.session.execute(
                update(Item).where(Item.code.in_(codes)).values(status="in_storage", location_id=shelf.id)
            )
        tokens = {
            role: auth.issue_token(db.session.scalars(db.select(User).where(User.username == name)).one())[0]
            for role, name in (
                ("handler", "handler1"),
                ("approver", "approver1"),
                ("keeper", "keeper1"),
                ("receiver", "pro1"),
            )
        }
        return actors.case_no, codes, tokens


def run_once(app: Any, case_no: str, codes: list[str], tokens: dict[str, str]) -> dict[str, float]:
    client = app.test_client()

    def post(role: str, path: str, body: dict[str, Any] | None = None) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        response = client.post(
            path,
            data=json.dumps(body or {}),
            headers={"Authorization": f"Bearer {tokens[role]}", "Content-Type": "application/json"},
        )
        seconds = time.perf_counter() - start
        if response.status_code >= 300:
            raise SystemExit(f"{path}: {response.status_code} {response.get_data(as_text=True)[:500]}")
        return response.get_json(), seconds

    times: dict[str, float] = {}
    made, times["request"] = post("handler", "/api/v1/handovers", {"case_no": case_no, "to_agency": "PRO1"})
    number = made["number"]
    assert len(made["items"]) == len(codes)
    _, times["approve"] = post("approver", f"/api/v1/handovers/{number}/approve")
    _, times["presence check"] = post("keeper", f"/api/v1/handovers/{number}/presence-check", {"present": codes})
    done, times["accept"] = post("receiver", f"/api/v1/handovers/{number}/accept", {})
    assert done["status"] == "accepted", done["status"]
    return times


def measure(db_kind: str, n: int) -> dict[str, float]:
    with _common.running_app(db_kind) as (app, _url):
        case_no, codes, tokens = build(app, n)
        return run_once(app, case_no, codes, tokens)


def main() -> None:
    p = _common.parser(__doc__ or "")
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--repeat", type=int, default=1, help="fresh database each time; the best total is kept")
    args = p.parse_args()
    print(_common.describe())
    print(f"database: {args.db}")
    totals: dict[int, float] = {}
    for n in args.sizes:
        best: dict[str, float] | None = None
        for _ in range(args.repeat):
            times = measure(args.db, n)
            if best is None or sum(times.values()) < sum(best.values()):
                best = times
        assert best is not None
        totals[n] = sum(best.values())
        steps = "  ".join(f"{step} {best[step]:.3f}s" for step in STEPS)
        print(f"{n:>7} items: total {totals[n]:.3f} s  ({steps})")
    small, large = min(totals), max(totals)
    if small != large:
        print(
            f"ratio {large}:{small} items = {totals[large] / totals[small]:.2f} (linear would be {large / small:.0f})"
        )


if __name__ == "__main__":
    main()
