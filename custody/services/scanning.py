"""What a scanned label is, and what the scanning user may do with it now."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from custody import codes
from custody.errors import BadCheckCharacter, MalformedCode, NotFound, UnknownCode
from custody.extensions import db
from custody.models import (
    Checkout,
    CheckoutStatus,
    Disposition,
    Handover,
    HandoverItem,
    Item,
    ItemStatus,
    Location,
    Role,
    User,
)
from custody.services import access, checkouts, dispositions, handovers, locations


@dataclass(frozen=True)
class Scan:
    kind: str
    code: str
    object: Item | Location | Checkout | Handover | Disposition
    actions: list[str] = field(default_factory=list)


def item_actions(user: User, item: Item) -> list[str]:
    actions: list[str] = []
    # An item on the shelf may already be promised to a check-out: released next, not requested again.
    held = checkouts.open_checkout_of(item) if item.status == ItemStatus.IN_STORAGE else None
    if user.has_role(Role.KEEPER):
        if item.status == ItemStatus.REGISTERED:
            actions.append("intake")
        elif item.status == ItemStatus.IN_STORAGE:
            actions.append("move")
            if held is not None and held.status == CheckoutStatus.APPROVED:
                actions.append("release")
        elif item.status == ItemStatus.CHECKED_OUT:
            actions.append("return")
    if (
        user.has_role(Role.HANDLER)
        and item.status == ItemStatus.IN_STORAGE
        and held is None
        and item.case.agency_id == user.agency_id
        and not _promised_elsewhere(item)
    ):
        actions.append("check_out")
    return actions


def _promised_elsewhere(item: Item) -> bool:
    """In an open handover or disposition: it stays on its shelf, so a check-out would be refused.

    Asked last, only for a handler who could otherwise check the item out: the keepers' scans stay one query lighter.
    """
    if dispositions.open_disposition_of(item) is not None:
        return True
    return (
        db.session.scalar(select(HandoverItem.id).where(HandoverItem.item_id == item.id, HandoverItem.active).limit(1))
        is not None
    )


def resolve(user: User, raw: str) -> Scan:
    """Raises MalformedCode, BadCheckCharacter, UnknownCode (also for objects the user may not see)."""
    text = codes.extract(raw or "")
    try:
        parsed = codes.parse(text)
    except (MalformedCode, BadCheckCharacter):
        # A centre's own shelf codes carry no check character.
        custom = locations.find(text) if text else None
        if custom is not None:
            return Scan("location", custom.code, custom, _location_actions(user))
        raise
    if parsed.kind is codes.CodeKind.ITEM:
        try:
            item = access.visible_item(db.session, user, parsed.code)
        except NotFound:
            raise UnknownCode(f"No item {parsed.code}") from None
        return Scan("item", item.code, item, item_actions(user, item))
    if parsed.kind is codes.CodeKind.LOCATION:
        location = locations.find(parsed.code)
        if location is None:
            raise UnknownCode(f"No location {parsed.code}")
        return Scan("location", location.code, location, _location_actions(user))
    if parsed.kind is codes.CodeKind.CHECKOUT:
        try:
            checkout = checkouts.get_checkout(user, parsed.code)
        except NotFound:
            raise UnknownCode(f"No check-out {parsed.code}") from None
        return Scan("checkout", checkout.number, checkout, [])
    if parsed.kind is codes.CodeKind.HANDOVER:
        try:
            handover = handovers.get_handover(user, parsed.code, with_lines=False)
        except NotFound:
            raise UnknownCode(f"No handover {parsed.code}") from None
        return Scan("handover", handover.number, handover, _handover_actions(user, handover))
    if parsed.kind is codes.CodeKind.DISPOSITION:
        try:
            disposition = dispositions.get_disposition(user, parsed.code)
        except NotFound:
            raise UnknownCode(f"No disposition {parsed.code}") from None
        steps = dispositions.steps_for(user, disposition)
        return Scan("disposition", disposition.number, disposition, ["execute"] if "execute" in steps else [])
    raise UnknownCode(f"No {parsed.kind} {parsed.code}")


def _handover_actions(user: User, handover: Handover) -> list[str]:
    """The steps this user may take now: a centre keeper checks presence, the parties approve, cancel, decide."""
    return sorted(handovers.steps_for(user, handover) - {"receipt"})


def _location_actions(user: User) -> list[str]:
    return ["put_away", "stocktake"] if user.has_role(Role.KEEPER) else []
