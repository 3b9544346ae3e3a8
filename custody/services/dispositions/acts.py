"""Disposition acts (design §5.6, §4 rule 9): the custodian agency asks, its approver agrees, or it withdraws.

Also what every step shares (the status change, the ledger entry, the party checks); the keeper's
steps are in ``execution``. Every step is a conditional UPDATE on the disposition's status, so two
people acting at once cannot both succeed. "An item in at most one open disposition" is the partial
unique index on the active lines: two requests for the same item cannot both be stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from custody import clock, codes
from custody.errors import Forbidden, InvalidInput, ItemsUnavailable, NotFound, WrongAgency
from custody.extensions import db
from custody.ledger import EntryKind, append
from custody.models import (
    EARLY_SALE_FLAGS,
    OPEN_DISPOSITION,
    Checkout,
    CheckoutItem,
    Disposition,
    DispositionItem,
    DispositionKind,
    DispositionStatus,
    Handover,
    HandoverItem,
    Item,
    ItemStatus,
    LedgerEntry,
    Role,
    User,
)
from custody.services import access
from custody.services.checkouts import normal_codes
from custody.services.conditional import advance, changed_rows
from custody.services.dispositions.reads import MAX_ITEMS, NEEDS_RECIPIENT, line_codes, load
from custody.services.uow import transactional

_CHUNK = 900


def _items_of(actor: User, wanted: Sequence[str]) -> list[Item]:
    """Raises InvalidInput (none, too many), NotFound naming the codes the actor cannot see."""
    if not wanted:
        raise InvalidInput("No items given", errors={"items": ["At least one item"]})
    if len(wanted) > MAX_ITEMS:
        raise InvalidInput("Too many items", errors={"items": [f"At most {MAX_ITEMS} items"]})
    if not all(access.storable(code) for code in wanted):
        raise NotFound("No such item")
    found: dict[str, Item] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        # populate_existing: the session may hold these items as an earlier transaction left them.
        stmt = select(Item).where(Item.code.in_(chunk), access.item_filter(actor))
        found.update((i.code, i) for i in db.session.scalars(stmt.execution_options(populate_existing=True)))
    missing = [code for code in wanted if code not in found]
    if missing:
        raise NotFound(f"No item {', '.join(missing[:20])}")
    return [found[code] for code in wanted]


def _check_fields(
    items: Sequence[Item], kind: str, basis_doc_no: str, recipient: str | None, reason: str | None
) -> tuple[str, str | None, str | None]:
    """(basis, recipient, reason) cleaned; raises InvalidInput naming each bad field (and each non-perishable item)."""
    errors: dict[str, list[str]] = {}
    basis = (basis_doc_no or "").strip()
    recipient = (recipient or "").strip() or None
    reason = (reason or "").strip() or None
    if kind not in set(DispositionKind):
        errors["kind"] = [f"One of {', '.join(DispositionKind)}"]
    if not basis:
        errors["basis_doc_no"] = ["The judgment or decision this disposition rests on is required"]
    if kind in NEEDS_RECIPIENT and recipient is None:
        errors["recipient"] = ["Say to whom the items go"]
    if kind == DispositionKind.EARLY_SALE:
        if reason is None:
            errors["reason"] = ["An early sale needs a reason"]
        lasting = [i.code for i in items if not EARLY_SALE_FLAGS.intersection(i.flags)]
        if lasting:
            errors["items"] = [
                f"{code} is not flagged perishable or depreciating: no early sale" for code in lasting[:50]
            ]
    if errors:
        raise InvalidInput("Invalid disposition request", errors=errors)
    return basis, recipient, reason


def _unavailable(items: Sequence[Item]) -> dict[str, str]:
    """Each item that cannot be disposed of now, with why."""
    ids = [i.id for i in items]
    busy: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        sources: tuple[tuple[str, Any, Any, Any, Any], ...] = (
            ("check-out", CheckoutItem.item_id, CheckoutItem.active, Checkout.number, CheckoutItem.checkout),
            ("handover", HandoverItem.item_id, HandoverItem.active, Handover.number, HandoverItem.handover),
            (
                "disposition",
                DispositionItem.item_id,
                DispositionItem.active,
                Disposition.number,
                DispositionItem.disposition,
            ),
        )
        for what, item_id, active, number, parent in sources:
            rows = db.session.execute(select(item_id, number).join(parent).where(item_id.in_(chunk), active))
            busy.update((i, f"is in open {what} {n}") for i, n in rows if i not in busy)
    refused: dict[str, str] = {}
    for item in items:
        if item.status == ItemStatus.DISPOSED:
            refused[item.code] = "is already disposed"
        elif item.status != ItemStatus.IN_STORAGE:
            refused[item.code] = f"is {item.status}, not in storage"
        elif item.id in busy:
            refused[item.code] = busy[item.id]
    return refused


def _refuse(refused: Mapping[str, str]) -> ItemsUnavailable:
    text = "; ".join(f"{code} {why}" for code, why in list(refused.items())[:50])
    return ItemsUnavailable(f"Not available: {text}", errors={"items": [f"{c} {w}" for c, w in refused.items()]})


def _new_number() -> str:
    while True:
        number = codes.new_code(codes.CodeKind.DISPOSITION)
        if db.session.scalar(select(Disposition.id).where(Disposition.number == number)) is None:
            return number


def record(actor: User, disposition: Disposition, kind: EntryKind, data: Mapping[str, Any]) -> LedgerEntry:
    """One entry for the step, listing every item of the disposition."""
    return append(
        db.session,
        actor=actor,
        kind=kind,
        case_no=disposition.case.case_no,
        items=line_codes(disposition.id),
        data={"number": disposition.number, **data},
    )


def terms(disposition: Disposition) -> dict[str, Any]:
    return {
        "kind": disposition.kind,
        "basis_doc_no": disposition.basis_doc_no,
        "recipient": disposition.recipient,
        "reason": disposition.reason,
    }


def transition(disposition: Disposition, allowed: Sequence[str], **values: object) -> None:
    advance(disposition, allowed, "Disposition", **values)


def _require_requester(actor: User, disposition: Disposition, *roles: Role) -> None:
    access.require_role(actor, *roles)
    if actor.agency_id != disposition.agency_id:
        raise WrongAgency(
            f"Disposition {disposition.number} belongs to {disposition.agency.code}, not {actor.agency.code}"
        )


def require_keeper(actor: User) -> None:
    """Execution is the centre's word that the items left it: a keeper of another agency will not do."""
    if not access.is_centre_keeper(actor):
        raise Forbidden("Only a keeper of the centre executes a disposition")


@transactional
def request_disposition(
    actor: User,
    items: Sequence[str],
    kind: str,
    basis_doc_no: str,
    recipient: str | None = None,
    reason: str | None = None,
) -> Disposition:
    """A handler of the agency answering for the items (their custodian) asks to dispose of them; all of one case.

    Raises Forbidden, NotFound, InvalidInput (items, kind, basis_doc_no, recipient, reason; early_sale of an
    item not flagged perishable), WrongAgency (naming items another agency answers for), ItemsUnavailable
    (naming each item not in storage or in an open check-out, handover or disposition).
    """
    access.require_role(actor, Role.HANDLER)
    wanted = _items_of(actor, normal_codes(items))
    if len({i.case_id for i in wanted}) > 1:
        raise InvalidInput("Items of several cases", errors={"items": ["All items must belong to one case"]})
    case = wanted[0].case
    strangers = [i.code for i in wanted if i.custodian_id != actor.agency_id]
    if strangers:
        raise WrongAgency(f"{actor.agency.code} does not answer for {', '.join(strangers[:20])}")
    basis, recipient, reason = _check_fields(wanted, kind, basis_doc_no, recipient, reason)
    refused = _unavailable(wanted)
    if refused:
        raise _refuse(refused)
    disposition = Disposition(
        number=_new_number(),
        case_id=case.id,
        agency_id=actor.agency_id,
        kind=kind,
        basis_doc_no=basis,
        recipient=recipient,
        reason=reason,
        status=DispositionStatus.REQUESTED,
        requested_by_id=actor.id,
        requested_at=clock.now(),
    )
    db.session.add(disposition)
    db.session.flush()
    number, covered = disposition.number, [i.code for i in wanted]  # read now: a failed flush expires them
    # In item order, so two requests naming the same items in another order wait for each other, never deadlock.
    rows = [{"disposition_id": disposition.id, "item_id": i, "active": True} for i in sorted(i.id for i in wanted)]
    try:
        for start in range(0, len(rows), _CHUNK):
            db.session.execute(insert(DispositionItem), rows[start : start + _CHUNK])
    except IntegrityError as exc:  # another request took one of these items a moment ago
        raise ItemsUnavailable(
            "Some items were just put in another disposition: " + ", ".join(covered[:50]),
            errors={"items": ["In another open disposition since a moment ago; reload and try again"]},
        ) from exc
    disposition = load(actor, number)
    record(actor, disposition, EntryKind.DISPOSITION_REQUESTED, terms(disposition))
    return disposition


@transactional
def approve_disposition(actor: User, number: str) -> Disposition:
    """An approver of the requesting agency agrees. Raises NotFound, Forbidden, WrongAgency, InvalidState."""
    disposition = load(actor, number)
    _require_requester(actor, disposition, Role.APPROVER)
    transition(
        disposition,
        (DispositionStatus.REQUESTED,),
        status=DispositionStatus.APPROVED,
        approved_by_id=actor.id,
        approved_at=clock.now(),
    )
    record(actor, disposition, EntryKind.DISPOSITION_APPROVED, terms(disposition))
    return load(actor, number)


@transactional
def cancel_disposition(actor: User, number: str, reason: str | None = None) -> Disposition:
    """A handler or approver of the requesting agency withdraws it before execution; the items are free again.

    Raises NotFound, Forbidden, WrongAgency, InvalidState.
    """
    disposition = load(actor, number)
    _require_requester(actor, disposition, Role.HANDLER, Role.APPROVER)
    was = disposition.status
    transition(
        disposition,
        OPEN_DISPOSITION,
        status=DispositionStatus.CANCELLED,
        cancelled_by_id=actor.id,
        cancelled_at=clock.now(),
    )
    changed_rows(update(DispositionItem).where(DispositionItem.disposition_id == disposition.id).values(active=False))
    record(actor, disposition, EntryKind.DISPOSITION_CANCELLED, {"was": was, "reason": (reason or "").strip() or None})
    return load(actor, number)
