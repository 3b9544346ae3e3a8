"""The world of the access-matrix test (tests/api/test_access_matrix.py); its table is tests/access_table.py.

The world: a police agency A holds (or held) two cases with items on a centre shelf; around them
every kind of object the API serves: an accepted handover (receipt issued), an open one, a
requested check-out, an executed disposition (record issued) and a requested one, an open stocktake,
a photo, a checkpoint. The outsiders are the users of a court B that never held either case, one
user per role; B's auditor sees everything by design (DESIGN §4 rule 3), B's admin and keeper do not
(the centre's keepers see the centre's items; a court's keeper is not one of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from custody import clock
from custody.extensions import db
from custody.models import LedgerEntry, LedgerHead, User
from custody.services import bundles, checkouts, dispositions, handovers, photos, stocktakes
from custody.services.auth import issue_token
from tests.factories import Factory, image_bytes

ROLES = ("handler", "approver", "keeper", "auditor", "admin")


@dataclass
class World:
    """What agency A owns, by the names the table uses (``values``), and a bearer token for everyone."""

    values: dict[str, str]
    tokens: dict[str, str]  # by the table's names for people: the ROLES of B, "a_handler", "centre_keeper" …
    user_ids: dict[str, int]
    secrets: list[str]  # identifiers of A's objects: none may appear in an outsider's answer

    def user(self, name: str) -> User:
        user = db.session.get(User, self.user_ids[name])
        assert user is not None
        return user


# The world of each database (a SQLite file, or an xdist worker's PostgreSQL database), as rows.
_SAVED: dict[str, tuple[World, dict[str, list[dict[str, Any]]]]] = {}


def the_world(make: Factory) -> World:
    """The world, built by the services on first use and restored from its rows afterwards.

    conftest empties every table after each test, so a world cannot outlive its test; building it anew
    (about fifty units of work) for each of the seventy operations took a minute, restoring its rows takes
    a fraction of that. Only the test data is copied: every act under test still runs through the services.
    """
    key = db.engine.url.render_as_string(hide_password=False)
    if key not in _SAVED:
        world = build_world(make)
        _SAVED[key] = (world, _dump())
        return world
    world, rows = _SAVED[key]
    _restore(rows)
    return world


def changed_tables(ignore: frozenset[str] = frozenset()) -> list[str]:
    """The tables whose rows differ from the world as saved (call after ``the_world``), but ``ignore``."""
    key = db.engine.url.render_as_string(hide_password=False)
    saved = _SAVED[key][1]
    db.session.rollback()
    now = _dump()
    return [
        name
        for name, rows in now.items()
        if name not in ignore and sorted(map(repr, rows)) != sorted(map(repr, saved[name]))
    ]


def _dump() -> dict[str, list[dict[str, Any]]]:
    with db.engine.connect() as conn:
        return {t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in db.metadata.sorted_tables}


def _restore(rows: Mapping[str, list[dict[str, Any]]]) -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(LedgerHead.__table__.delete())  # conftest re-made it empty
        for table in db.metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), rows[table.name])
        if conn.dialect.name == "postgresql":  # the ids were given: move the sequences past them
            for table in db.metadata.sorted_tables:
                serial = table.autoincrement_column
                if serial is not None and rows[table.name]:
                    top = max(row[serial.name] for row in rows[table.name])
                    conn.execute(
                        text("SELECT setval(pg_get_serial_sequence(:t, :c), :n)"),
                        {"t": table.name, "c": serial.name, "n": top},
                    )


def build_world(make: Factory) -> World:
    """A's cases and everything done to them, through the real services (so the ledger is real)."""
    police = make.agency("police")
    handler = make.user("handler", agency=police)
    approver = make.user("approver", agency=police)
    procuratorate = make.agency("procuratorate")
    prosecutor = make.user("handler", agency=procuratorate)
    keeper = make.keeper()
    auditor = make.user("auditor", kind="supervision")
    admin = make.user("admin", kind="centre")
    shelf = make.location(keeper, name="Shelf A")
    spare = make.location(keeper, name="Spare shelf")
    # Case 1: handed over to the procuratorate and accepted; the receipt issued.
    moved = make.case(handler, case_no="MATRIX-MOVED")
    moved_items = make.stored_items(handler, keeper, shelf, 2, case=moved)
    number = handovers.request_handover(handler, moved.case_no, procuratorate.code).number
    handovers.approve_handover(approver, number)
    handovers.check_presence(keeper, number, [i.code for i in moved_items])
    handovers.accept_handover(prosecutor, number)
    handovers.issue_receipt(prosecutor, number)
    # Case 2: still with A, five items; one in an open handover, one asked out, two under dispositions.
    case = make.case(handler, case_no="MATRIX-HELD")
    items = make.stored_items(handler, keeper, shelf, 5, case=case)
    code = [i.code for i in items]
    open_handover = handovers.request_handover(handler, case.case_no, procuratorate.code, items=[code[0]]).number
    checkout = checkouts.request_checkout(
        handler, [code[1]], "appraisal", clock.now() + timedelta(days=3), handler.username
    ).number
    executed = dispositions.request_disposition(handler, [code[2]], "confiscate", "JUDGMENT-1").number
    dispositions.approve_disposition(approver, executed)
    dispositions.execute_disposition(keeper, executed, [code[2]])
    dispositions.issue_record(handler, executed)
    requested = dispositions.request_disposition(handler, [code[3]], "destroy", "DECISION-2").number
    photo = photos.add_photo(
        handler, code[4], image_bytes(size=(61, 37))
    )  # bytes of its own: no other test touches its files
    stocktake = stocktakes.open_stocktake(keeper, shelf.code).number
    bundles.checkpoint_now("matrix")
    # A's own token (an outsider must not be able to revoke it) and an entry of A's case.
    _token, token_row = issue_token(handler)
    seq = db.session.scalar(
        select(LedgerEntry.seq).where(LedgerEntry.case_no == case.case_no).order_by(LedgerEntry.seq)
    )
    size = db.session.scalar(select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc()).limit(1))
    db.session.commit()  # the test's own session: what the requests see must be committed (it is; this ends the read)

    court = make.agency("court")
    users = {role: make.user(role, agency=court) for role in ROLES}
    users |= {"a_handler": handler, "a_approver": approver, "prosecutor": prosecutor}
    users |= {"centre_keeper": keeper, "sup_auditor": auditor, "centre_admin": admin}
    tokens = {name: issue_token(user)[0] for name, user in users.items()}
    values = {
        "case_no": case.case_no,
        "moved_case": moved.case_no,
        "item": code[4],  # in storage, with a photo, under no workflow
        "handover_item": code[0],
        "checkout_item": code[1],
        "disposed_item": code[2],
        "disposition_item": code[3],
        "handover": number,
        "open_handover": open_handover,
        "checkout": checkout,
        "disposition": executed,
        "open_disposition": requested,
        "stocktake": stocktake,
        "location": shelf.code,
        "spare_location": spare.code,
        "sha256": photo.sha256,
        "token_id": str(token_row.id),
        "seq": str(seq),
        "size": str(size),
        "handler_username": handler.username,
        "court": court.code,
        "procuratorate": procuratorate.code,
        "password": Factory.PASSWORD,
    }
    secrets = [case.case_no, moved.case_no, *code, *(i.code for i in moved_items), number, open_handover]
    secrets += [checkout, executed, requested]
    return World(values, tokens, {name: user.id for name, user in users.items()}, secrets)
