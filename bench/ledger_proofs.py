"""Merkle proofs at a large ledger: generating inclusion and consistency proofs, and verifying them.

Builds a ledger of ``--n`` entries (bench/_ledger.py, with its tree) and checks the stored tree
against a recomputation from the bodies (``_ledger.check_tree``). Then, ``--count`` times each,
interleaved (inclusion, consistency, inclusion, …), with the head as the tree size:

* ``custody.ledger.proofs.inclusion(session, seq, head)`` for a random ``seq`` (1 ≤ seq ≤ head);
* ``custody.ledger.proofs.consistency(session, old, head)`` for a random ``old`` (1 ≤ old < head);

each call timed alone in a transaction of its own, as a request would run it (the session is
rolled back after each, untimed). Every proof is then checked, and the check timed, with
``custody.ledger.offline.verify_inclusion`` / ``verify_consistency`` against the roots
(``proofs.root`` at ``old``, untimed; the head's root is the recomputed one). With ``--via``
``client`` (default) or ``server`` the same proofs are also asked for over HTTP as the auditor
(``GET /api/v1/ledger/proof/inclusion`` and ``/consistency``; the Flask test client, or werkzeug's
threaded server with one keep-alive connection), when the app has those routes.
Prints p50/p95/p99/max of each (aims: generation p95 ≤ 2 ms, verification ≤ 0.1 ms).

    python bench/ledger_proofs.py                                   # smoke: 20,000 entries, 1,000 each, SQLite
    python bench/ledger_proofs.py --n 1000000 --count 2000
    python bench/ledger_proofs.py --db postgresql --n 1000000 --count 2000
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import time
from collections.abc import Callable
from typing import Any

import _common
import _ledger

ROUTES = {"inclusion": "/api/v1/ledger/proof/inclusion", "consistency": "/api/v1/ledger/proof/consistency"}
POINTS = (0.5, 0.95, 0.99)


def http_getter(
    app: Any, stack: contextlib.ExitStack, via: str, token: str
) -> Callable[[str], tuple[int, bytes]] | None:
    """A GET function over the chosen transport, or None when the proof routes are not there yet."""
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    if via == "none" or not set(ROUTES.values()) <= rules:
        return None
    if via == "client":
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def get(path: str) -> tuple[int, bytes]:
            resp = client.get(path, headers=headers)
            return resp.status_code, resp.get_data()

        return get
    port = stack.enter_context(_common.serving(app, "server"))
    assert port is not None
    conn = _common.Client(port, token)

    def get_server(path: str) -> tuple[int, bytes]:
        status, body, _ = conn.call("GET", path)
        return status, body

    return get_server


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20000, help="entries to build (1000000 for the figure)")
    p.add_argument("--count", type=int, default=1000, help="proofs of each kind")
    p.add_argument("--via", choices=("client", "server", "none"), default="client", help="HTTP transport, or none")
    args = p.parse_args()

    from custody.extensions import db
    from custody.ledger import offline, proofs

    print(f"ledger_proofs: {args.n:,} entries, {args.count:,} proofs of each kind, db={args.db}, via={args.via}")
    print(_common.describe())
    rng = random.Random(5)
    with contextlib.ExitStack() as stack:
        app, url = stack.enter_context(_common.running_app(args.db, CUSTODY_LOG_KEY=_ledger.bench_key().text()))
        if args.db == "postgresql":
            print(f"PostgreSQL {_common.pg_version(url)}; {_common.cpu_model()}")
        actors = _common.setup_actors(app)
        built = _ledger.build(app, actors, args.n, case_items=0)
        print(f"built {built.entries:,} entries ({built.items:,} items) in {built.seconds:.1f} s")
        t = time.perf_counter()
        print(f"{_ledger.check_tree(app)} in {time.perf_counter() - t:.1f} s")
        get = http_getter(app, stack, args.via, actors.auditor_token)
        if get is None and args.via != "none":
            print(f"(no HTTP figures: the app has no {' / '.join(ROUTES.values())} yet)")

        times: dict[str, list[float]] = {
            k: []
            for k in (
                "inclusion",
                "consistency",
                "verify inclusion",
                "verify consistency",
                "HTTP inclusion",
                "HTTP consistency",
            )
        }
        sizes: dict[str, list[int]] = {"inclusion": [], "consistency": []}
        with app.app_context():
            session = db.session
            head = proofs.ledger_size(session)
            root = proofs.root(session, head)
            session.rollback()
            for i in range(args.count + 20):  # the first 20 of each warm the caches and are not counted
                seq, old = rng.randint(1, head), rng.randint(1, head - 1)
                t = time.perf_counter()
                leaf, path = proofs.inclusion(session, seq, head)
                inclusion_s = time.perf_counter() - t
                session.rollback()
                t = time.perf_counter()
                consistency = proofs.consistency(session, old, head)
                consistency_s = time.perf_counter() - t
                old_root = proofs.root(session, old)
                session.rollback()
                t = time.perf_counter()
                offline.verify_inclusion(seq - 1, head, leaf, path, root)
                verify_inclusion_s = time.perf_counter() - t
                t = time.perf_counter()
                offline.verify_consistency(old, head, old_root, root, consistency)
                verify_consistency_s = time.perf_counter() - t
                if i < 20:
                    continue
                times["inclusion"].append(inclusion_s)
                times["consistency"].append(consistency_s)
                times["verify inclusion"].append(verify_inclusion_s)
                times["verify consistency"].append(verify_consistency_s)
                sizes["inclusion"].append(len(path))
                sizes["consistency"].append(len(consistency))
                if get is not None:
                    for kind, query, want in (
                        ("inclusion", f"seq={seq}&size={head}", path),
                        ("consistency", f"from={old}&to={head}", consistency),
                    ):
                        t = time.perf_counter()
                        status, body = get(f"{ROUTES[kind]}?{query}")
                        times[f"HTTP {kind}"].append(time.perf_counter() - t)
                        if status != 200 or json.loads(body)["proof"] != [b64(h) for h in want]:
                            raise SystemExit(f"GET {ROUTES[kind]}?{query}: {status} {body[:300]!r}")
            db.session.remove()
        print(
            f"proof lengths: inclusion {min(sizes['inclusion'])}–{max(sizes['inclusion'])} hashes, "
            f"consistency {min(sizes['consistency'])}–{max(sizes['consistency'])}"
        )
        for name, values in times.items():
            if values:
                unit = "µs" if name.startswith("verify") else "ms"
                print(f"RESULT ledger_proofs db={args.db} n={head} {name}: {_common.quantiles(values, POINTS, unit)}")


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


if __name__ == "__main__":
    main()
