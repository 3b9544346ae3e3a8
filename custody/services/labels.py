"""Label sheets: what each label prints, for the items the user may see and for locations.

Printing changes nothing (a label only repeats what the records say), so it is a read, not
an act: no transaction of its own and no ledger entry.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from sqlalchemy import select

from custody.documents import labels as documents
from custody.errors import InvalidInput, InvalidState, NotFound
from custody.extensions import db
from custody.models import Item, ItemStatus, Location, User
from custody.services import access

MAX_LABELS = 5000  # about 7 s of rendering (1.5 ms a label) and a 2.5 MB PDF; more is a batch job, not a request
_SHOWN = 20  # codes named in a "not found" message


def _normal(codes: Sequence[str]) -> list[str]:
    return [code.strip().upper() for code in codes]


def _missing(kind: str, missing: list[str]) -> NotFound:
    missing = [code[:40] for code in missing]
    more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
    return NotFound(f"No {kind} {', '.join(missing[:_SHOWN])}{more}")


def _url(code: str) -> str:
    return f"{current_app.config['CUSTODY_BASE_URL']}/s/{code}"


def item_labels(actor: User, codes: Sequence[str]) -> list[documents.ItemLabel]:
    """One label per code, in order (a code given twice prints twice), in one query.

    Raises NotFound naming every code the user may not see (or that does not exist), InvalidState naming the
    disposed of.
    """
    wanted = _normal(codes)
    if not wanted:
        return []
    asked = {code for code in wanted if access.storable(code)}
    found = {
        item.code: item
        for item in db.session.scalars(select(Item).where(Item.code.in_(asked), access.item_filter(actor)))
    }
    missing = list(dict.fromkeys(code for code in wanted if code not in found))
    if missing:
        raise _missing("item", missing)
    # A disposed item has left the centre for good: a fresh label could end up on something else.
    gone = sorted(code for code, item in found.items() if item.status == ItemStatus.DISPOSED)
    if gone:
        raise InvalidState(
            f"Disposed of, no new label: {', '.join(gone[:50])}",
            errors={"items": [f"{code} is disposed" for code in gone[:50]]},
        )
    return [_item_label(found[code]) for code in wanted]


def case_labels(actor: User, case_no: str) -> list[documents.ItemLabel]:
    """Every item of a case the user may see and the centre still keeps (not disposed of), in registration order.

    Raises NotFound, InvalidInput (too many).
    """
    case = access.visible_case(db.session, actor, case_no.strip())
    stmt = select(Item).where(Item.case_id == case.id, access.item_filter(actor), Item.status != ItemStatus.DISPOSED)
    stmt = stmt.order_by(Item.id)
    items = list(db.session.scalars(stmt.limit(MAX_LABELS + 1)))
    if len(items) > MAX_LABELS:
        raise InvalidInput("Too many labels", errors={"case_no": [f"At most {MAX_LABELS} labels at once"]})
    return [_item_label(item) for item in items]


def _item_label(item: Item) -> documents.ItemLabel:
    return documents.ItemLabel(item.code, _url(item.code), item.name, item.case.case_no, item.seal_no)


def location_labels(codes: Sequence[str]) -> list[documents.LocationLabel]:
    """One label per code, in order, each with the names of the locations around it. Raises NotFound."""
    wanted = _normal(codes)
    if not wanted:
        return []
    places = {
        place.code: place
        for place in db.session.scalars(
            select(Location).where(Location.code.in_({c for c in wanted if access.storable(c)}))
        )
    }
    missing = list(dict.fromkeys(code for code in wanted if code not in places))
    if missing:
        raise _missing("location", missing)
    known = {place.id: place for place in places.values()}
    # Parents a level at a time: as many queries as the tree is deep (warehouse › zone › shelf › bin), at most.
    while pending := {p.parent_id for p in known.values() if p.parent_id is not None and p.parent_id not in known}:
        known.update((p.id, p) for p in db.session.scalars(select(Location).where(Location.id.in_(pending))))
    return [_location_label(places[code], known) for code in wanted]


def _location_label(place: Location, known: dict[int, Location]) -> documents.LocationLabel:
    path = [place.name]
    parent_id = place.parent_id
    while parent_id is not None and parent_id in known and len(path) < 16:  # 16: a cycle must not hang printing
        path.insert(0, known[parent_id].name)
        parent_id = known[parent_id].parent_id
    return documents.LocationLabel(place.code, _url(place.code), place.name, place.kind, tuple(path))


def label_sheet(
    actor: User,
    *,
    layout: str,
    items: Sequence[str] = (),
    locations: Sequence[str] = (),
    case_no: str | None = None,
    words: documents.Words | None = None,
) -> bytes:
    """A PDF of labels: the items named, then every item of ``case_no``, then the locations named.

    Raises InvalidInput (unknown layout, nothing to print, more than MAX_LABELS labels) and
    NotFound (naming the items the user may not see, or the locations that do not exist).
    """
    errors: dict[str, list[str]] = {}
    if layout not in documents.LAYOUTS:
        errors["layout"] = [f"One of {', '.join(documents.LAYOUTS)}"]
    if not items and not locations and not case_no:
        errors["items"] = ["At least one item or location"]
    elif len(items) + len(locations) > MAX_LABELS:
        errors["items"] = [f"At most {MAX_LABELS} labels at once"]
    if errors:
        raise InvalidInput("Nothing to print" if "items" in errors else "Unknown layout", errors=errors)
    labels: list[documents.Label] = [*item_labels(actor, items)]
    if case_no:
        labels.extend(case_labels(actor, case_no))
    labels.extend(location_labels(locations))
    if not labels:
        raise InvalidInput("Nothing to print", errors={"case_no": ["The case has no items you may see"]})
    if len(labels) > MAX_LABELS:
        raise InvalidInput("Too many labels", errors={"items": [f"At most {MAX_LABELS} labels at once"]})
    return documents.render(labels, layout, words)
