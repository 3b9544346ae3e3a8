"""The expectations of the access-matrix test (tests/api/test_access_matrix.py), one row per operation.

``OPERATIONS`` names every operation of the OpenAPI document: how to fill its path, query and body
from the world (tests/access_matrix.py), what each role of the court B (which never held A's cases)
must get, and what the party entitled to it gets (the positive control, proving that the outsiders'
404 is not a typo in the path). The test fails when the document and this table disagree, so that a
new endpoint cannot ship without its scoping tested.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.access_matrix import ROLES, World
from tests.factories import api_item

Expect = int | tuple[int, str]  # a status, or a status and the problem's ``code``
Body = Callable[[World], Any] | None


def outsiders(default: Expect, **per_role: Expect) -> dict[str, Expect]:
    """What each role of the court (B) gets: ``default`` unless named."""
    unknown = set(per_role) - set(ROLES)
    assert not unknown, unknown
    return {role: per_role.get(role, default) for role in ROLES}


HIDDEN = 404  # "A case, item or handover the user may not see → 404" (API.md)
NO = 403  # authenticated but not allowed, whatever the object: reveals nothing


def hidden_read() -> dict[str, Expect]:
    """A read of one of A's objects: 404 for all, 200 for the auditor (who sees every case by design)."""
    return outsiders(HIDDEN, auditor=200)


def hidden_act() -> dict[str, Expect]:
    """An act on one of A's objects found first: 404, the auditor (who sees it) refused."""
    return outsiders(HIDDEN, auditor=NO)


def role_then_hidden(*allowed: str) -> dict[str, Expect]:
    """The role is checked first (403 reveals nothing), then the object (404); the auditor lacks the role."""
    return outsiders(NO, **dict.fromkeys(allowed, HIDDEN))


def listing() -> dict[str, Expect]:
    """A list everyone may ask for; for all but the auditor it must name none of A's objects."""
    return outsiders(200)


@dataclass(frozen=True)
class Op:
    """How to call one operation, and what everyone must get.

    ``params`` maps a path parameter to a key of ``World.values`` (by default the parameter's own name);
    ``owner`` is the user entitled to the operation and the status they get (a positive control);
    ``anonymous`` is what a request without credentials gets: 401, unless the operation is public.
    """

    expect: dict[str, Expect]
    owner: tuple[str, Expect]
    params: Mapping[str, str] = field(default_factory=dict)
    query: str = ""
    body: Body = None
    photo: bool = False
    anonymous: Expect = 401

    def path(self, template: str, world: World) -> str:
        filled = template
        for name in _names(template):
            filled = filled.replace("{" + name + "}", world.values[self.params.get(name, name)])
        return "/api/v1" + filled + (("?" + self.query.format(**world.values)) if self.query else "")


def _names(template: str) -> list[str]:
    return [part.split("}")[0] for part in template.split("{")[1:]]


def _json(**fields: Any) -> Callable[[World], dict[str, Any]]:
    """A body whose string values are ``World.values`` keys in braces, e.g. ``items=["{item}"]``."""

    def fill(value: Any, world: World) -> Any:
        if isinstance(value, str):
            return value.format(**world.values)
        if isinstance(value, list):
            return [fill(v, world) for v in value]
        if isinstance(value, dict):
            return {k: fill(v, world) for k, v in value.items()}
        return value

    return lambda world: fill(fields, world)


ITEM_ROW = api_item()

# Keys are "METHOD path" as in the OpenAPI document, less /api/v1. Comments say why a cell is what it is.
OPERATIONS: dict[str, Op] = {
    # Identity: global, or the caller's own.
    "POST /auth/tokens": Op(
        outsiders(201),
        ("a_handler", 201),
        body=_json(username="{handler_username}", password="{password}"),
        anonymous=201,
    ),
    "GET /auth/tokens": Op(listing(), ("a_handler", 200)),  # one's own tokens
    "DELETE /auth/tokens/{token_id}": Op(outsiders(HIDDEN), ("a_handler", 204)),  # B's admin is not the centre's
    "POST /auth/password": Op(
        outsiders(204),  # one's own password
        ("a_handler", 204),
        body=_json(current_password="{password}", new_password="Matrix-new-passphrase-2026"),
    ),
    "GET /me": Op(listing(), ("a_handler", 200)),
    "GET /security/events": Op(outsiders(NO, admin=200), ("centre_admin", 200)),  # B's admin: B's users' events
    "GET /agencies": Op(listing(), ("a_handler", 200)),
    # Cases and items.
    "POST /cases": Op(
        outsiders(NO, handler=201),  # B's handler opens B's own case: legitimately global
        ("a_handler", (409, "case_exists")),  # the same number: B's handler's 201 was real
        body=_json(case_no="MATRIX-NEW-{court}", title="t"),
    ),
    "GET /cases": Op(listing(), ("a_handler", 200)),
    "GET /cases/{case_no}": Op(hidden_read(), ("a_handler", 200)),
    "POST /cases/{case_no}/items": Op(
        outsiders(HIDDEN, auditor=(403, "wrong_agency")),  # the auditor sees the case, so may learn its holder
        ("a_handler", 201),
        body=_json(items=[ITEM_ROW]),
    ),
    "POST /cases/{case_no}/close": Op(
        role_then_hidden("handler", "approver"), ("a_approver", (409, "handover_open")), body=_json(reason="other")
    ),
    "GET /items": Op(listing(), ("a_handler", 200)),
    "GET /items/{code}": Op(hidden_read(), ("a_handler", 200), params={"code": "item"}),
    "GET /items/{code}/history": Op(hidden_read(), ("a_handler", 200), params={"code": "item"}),
    # Locations: the centre's furniture, not a case's: global for reads, keepers' and admins' to make.
    "POST /locations": Op(
        outsiders(NO, keeper=201, admin=201), ("centre_keeper", 201), body=_json(name="New", kind="warehouse")
    ),
    "GET /locations": Op(listing(), ("centre_keeper", 200)),
    "GET /locations/{code}": Op(listing(), ("centre_keeper", 200), params={"code": "location"}),
    "GET /locations/{code}/label.pdf": Op(listing(), ("centre_keeper", 200), params={"code": "location"}),
    "GET /scan": Op(outsiders((404, "unknown_code"), auditor=200), ("centre_keeper", 200), query="code={item}"),
    # Warehouse: a keeper's acts on an item the keeper must see.
    "POST /items/{code}/intake": Op(
        role_then_hidden("keeper"),
        ("centre_keeper", (409, "invalid_state")),  # it is in storage already
        params={"code": "item"},
        body=_json(location="{location}", seal_intact=True),
    ),
    "POST /items/{code}/move": Op(
        role_then_hidden("keeper"),
        ("centre_keeper", 200),
        params={"code": "item"},
        body=_json(location="{spare_location}"),
    ),
    "POST /labels": Op(hidden_read(), ("a_handler", 200), body=_json(items=["{item}"], layout="a4-3x8")),
    # Photos.
    "POST /items/{code}/photos": Op(hidden_act(), ("a_handler", 201), params={"code": "item"}, photo=True),
    "GET /items/{code}/photos": Op(hidden_read(), ("a_handler", 200), params={"code": "item"}),
    "GET /items/{code}/photos/{sha256}": Op(hidden_read(), ("a_handler", 200), params={"code": "item"}),
    "GET /items/{code}/photos/{sha256}/thumbnail": Op(hidden_read(), ("a_handler", 200), params={"code": "item"}),
    # Check-outs.
    "POST /checkouts": Op(
        role_then_hidden("handler"),
        ("a_handler", 201),
        body=_json(items=["{item}"], purpose="appraisal", due_at="2099-01-01T00:00:00Z", taken_by="{handler_username}"),
    ),
    "GET /checkouts": Op(listing(), ("a_handler", 200)),
    "GET /checkouts/{number}": Op(hidden_read(), ("a_handler", 200), params={"number": "checkout"}),
    "POST /checkouts/{number}/approve": Op(hidden_act(), ("a_approver", 200), params={"number": "checkout"}),
    "POST /checkouts/{number}/release": Op(
        hidden_act(), ("centre_keeper", (409, "invalid_state")), params={"number": "checkout"}, body=_json()
    ),  # not approved yet
    "POST /checkouts/{number}/return": Op(
        hidden_act(),
        ("centre_keeper", (409, "invalid_state")),
        params={"number": "checkout"},
        body=_json(seal_intact=True),
    ),
    "POST /checkouts/{number}/cancel": Op(hidden_act(), ("a_handler", 200), params={"number": "checkout"}),
    # Handovers.
    "POST /handovers": Op(
        role_then_hidden("handler"),
        ("a_handler", (409, "handover_open")),
        body=_json(case_no="{case_no}", to_agency="{court}"),
    ),
    "GET /handovers": Op(listing(), ("a_handler", 200)),
    "GET /handovers/{number}": Op(hidden_read(), ("a_handler", 200), params={"number": "handover"}),
    "POST /handovers/{number}/approve": Op(hidden_act(), ("a_approver", 200), params={"number": "open_handover"}),
    "POST /handovers/{number}/scans": Op(
        hidden_act(),
        ("centre_keeper", (409, "invalid_state")),  # not approved yet
        params={"number": "open_handover"},
        body=_json(code="{handover_item}"),
    ),
    "POST /handovers/{number}/presence-check": Op(
        hidden_act(),
        ("centre_keeper", (409, "invalid_state")),
        params={"number": "open_handover"},
        body=_json(present=["{handover_item}"]),
    ),
    "POST /handovers/{number}/accept": Op(
        hidden_act(), ("prosecutor", (409, "invalid_state")), params={"number": "open_handover"}, body=_json()
    ),
    "POST /handovers/{number}/reject": Op(
        hidden_act(),
        ("prosecutor", (409, "invalid_state")),
        params={"number": "open_handover"},
        body=_json(reason="no"),
    ),
    "POST /handovers/{number}/cancel": Op(
        hidden_act(), ("a_handler", 200), params={"number": "open_handover"}, body=_json()
    ),
    "GET /handovers/{number}/receipt.pdf": Op(hidden_read(), ("a_handler", 200), params={"number": "handover"}),
    "GET /handovers/{number}/proof": Op(hidden_read(), ("a_handler", 200), params={"number": "handover"}),
    # Dispositions.
    "POST /dispositions": Op(
        role_then_hidden("handler"),
        ("a_handler", 201),
        body=_json(items=["{item}"], kind="destroy", basis_doc_no="D-9"),
    ),
    "GET /dispositions": Op(listing(), ("a_handler", 200)),
    "GET /dispositions/{number}": Op(hidden_read(), ("a_handler", 200), params={"number": "disposition"}),
    "POST /dispositions/{number}/approve": Op(hidden_act(), ("a_approver", 200), params={"number": "open_disposition"}),
    "POST /dispositions/{number}/scans": Op(
        hidden_act(),
        ("centre_keeper", (409, "invalid_state")),  # not approved yet
        params={"number": "open_disposition"},
        body=_json(code="{disposition_item}"),
    ),
    "POST /dispositions/{number}/execute": Op(
        hidden_act(), ("centre_keeper", (409, "invalid_state")), params={"number": "open_disposition"}, body=_json()
    ),
    "POST /dispositions/{number}/cancel": Op(
        hidden_act(), ("a_handler", 200), params={"number": "open_disposition"}, body=_json()
    ),
    "GET /dispositions/{number}/record.pdf": Op(hidden_read(), ("a_handler", 200), params={"number": "disposition"}),
    "GET /dispositions/{number}/proof": Op(hidden_read(), ("a_handler", 200), params={"number": "disposition"}),
    # Stocktakes: the centre's count of its shelves, the centre's keepers' work (auditors read them).
    "POST /stocktakes": Op(
        outsiders(NO, keeper=201),  # B's keeper counts what B may see (the snapshot is scoped): nothing of A's
        ("centre_keeper", (409, "invalid_state")),  # B's keeper's count of that shelf is open: its 201 was real
        body=_json(location="{spare_location}"),
    ),
    "GET /stocktakes": Op(outsiders(NO, keeper=200, auditor=200), ("centre_keeper", 200)),
    "GET /stocktakes/{number}": Op(
        outsiders(NO, keeper=HIDDEN, auditor=200), ("centre_keeper", 200), params={"number": "stocktake"}
    ),
    "POST /stocktakes/{number}/scans": Op(
        outsiders(NO, keeper=HIDDEN),
        ("centre_keeper", 200),
        params={"number": "stocktake"},
        body=_json(code="{item}"),
    ),
    "POST /stocktakes/{number}/close": Op(
        outsiders(NO, keeper=HIDDEN), ("centre_keeper", 200), params={"number": "stocktake"}
    ),
    "GET /stocktakes/{number}/report.csv": Op(
        outsiders(NO, keeper=HIDDEN, auditor=200), ("centre_keeper", 200), params={"number": "stocktake"}
    ),
    # The ledger: everyone sees the entries of what they may see; the head and proofs are hashes only.
    "GET /ledger/entries": Op(listing(), ("a_handler", 200)),
    "GET /ledger/entries/{seq}": Op(hidden_read(), ("a_handler", 200)),
    "GET /ledger/head": Op(listing(), ("a_handler", 200)),
    "POST /ledger/verify": Op(outsiders(NO, auditor=200, admin=200), ("sup_auditor", 200)),
    "GET /ledger/key": Op(listing(), ("a_handler", 200), anonymous=200),
    "GET /ledger/checkpoint": Op(listing(), ("a_handler", 200), anonymous=200),
    "POST /ledger/checkpoints": Op(outsiders(NO, auditor=201, admin=201), ("sup_auditor", 201)),
    "GET /ledger/checkpoints/{size}": Op(listing(), ("a_handler", 200), anonymous=200),
    "GET /ledger/proof/inclusion": Op(listing(), ("a_handler", 200), query="seq={seq}"),
    "GET /ledger/proof/consistency": Op(listing(), ("a_handler", 200), query="from=1"),
    "GET /ledger/entries.csv": Op(outsiders(NO, auditor=200), ("sup_auditor", 200)),
    "GET /holdings.csv": Op(outsiders(NO, keeper=200, auditor=200), ("centre_keeper", 200)),
    "GET /alerts": Op(listing(), ("a_handler", 200)),
    "POST /items/{code}/late-intake/acknowledge": Op(
        outsiders(NO, auditor=(409, "invalid_state")),  # auditors only; B's auditor sees the item, taken in on time
        ("sup_auditor", (409, "invalid_state")),
        params={"code": "item"},
        body=_json(note="Reviewed"),
    ),
}

# The centre's keeper never held a case either, but by design sees every item in the centre and the
# handovers, check-outs and dispositions it works on, not the cases' files (DESIGN §4 rule 3): what it
# gets from each read, where that is not 200.
CENTRE_KEEPER_READS: dict[str, Expect] = {
    "GET /cases/{case_no}": HIDDEN,
    "GET /ledger/entries/{seq}": HIDDEN,  # the case's opening: no item in it
    "GET /ledger/entries.csv": NO,
    "GET /security/events": NO,
}

# Roles that see every case by design: their answers may name A's objects.
SEES_ALL = frozenset({"auditor"})

# Cells where the product is known to differ from the table: (operation, role) → what happens and why it is wrong.
# The test reports them as expected failures while they last, and fails once one is fixed, so that the entry goes.
# (The matrix found one when it was written: a stocktake was found by its number alone, so any agency's keeper
# read and closed the centre's count of a shelf. services/stocktakes/records.py scope() fixed it.)
KNOWN_LEAKS: dict[tuple[str, str], str] = {}
