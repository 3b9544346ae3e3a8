"""Callable factories that go through the real services, so test data is ledgered like real data."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

from custody import clock
from custody.ledger import SYSTEM
from custody.models import Agency, Case, Item, Location, User
from custody.services import cases, items, locations, people, warehouse

_counter = itertools.count(1)


class Factory:
    PASSWORD = "correct horse battery"

    def agency(self, kind: str = "police", code: str | None = None, name: str | None = None) -> Agency:
        n = next(_counter)
        code = code or f"{kind[:3].upper()}{n}"
        return people.add_agency(SYSTEM, code, name or f"{kind} agency {n}", kind)

    def user(
        self, *roles: str, agency: Agency | None = None, kind: str = "police", username: str | None = None
    ) -> User:
        agency = agency or self.agency(kind)
        username = username or f"user{next(_counter)}"
        return people.add_user(
            SYSTEM,
            username,
            agency_code=agency.code,
            roles=roles or ("handler",),
            password=self.PASSWORD,
            name=username.title(),
        )

    def case(self, handler: User, case_no: str | None = None, title: str = "A case") -> Case:
        return cases.open_case(handler, case_no or f"CASE-{next(_counter)}", title)

    def item_row(self, **overrides: Any) -> dict[str, Any]:
        row: dict[str, Any] = {
            "name": f"Phone {next(_counter)}",
            "category": "electronics",
            "quantity": Decimal("1"),
            "unit": "pc",
            "seizure_doc_no": "DOC-1",
            "seized_at": clock.now() - timedelta(hours=1),
            "seal_no": "S-1",
            "flags": [],
        }
        row.update(overrides)
        return row

    def items(self, handler: User, case: Case, n: int = 2, **overrides: Any) -> list[Item]:
        return items.register_items(handler, case.case_no, [self.item_row(**overrides) for _ in range(n)])

    def location(
        self, actor: User, kind: str = "warehouse", parent: Location | None = None, name: str = "Place"
    ) -> Location:
        return locations.create_location(actor, name=name, kind=kind, parent=parent.code if parent else None)

    def keeper(self) -> User:
        """A keeper of the centre (who sees every item in it)."""
        return self.user("keeper", kind="centre")

    def stored_items(
        self, handler: User, keeper: User, location: Location, n: int = 2, case: Case | None = None, **overrides: Any
    ) -> list[Item]:
        """``n`` items registered to ``case`` (a new one by default) and taken in onto ``location``."""
        case = case or self.case(handler)
        return [
            warehouse.intake(keeper, item.code, location=location.code, seal_intact=True)
            for item in self.items(handler, case, n, **overrides)
        ]


def api_item(**overrides: Any) -> dict[str, Any]:
    """One item as a JSON client sends it."""
    row: dict[str, Any] = {
        "name": "Phone",
        "category": "electronics",
        "quantity": "1",
        "unit": "pc",
        "seizure_doc_no": "DOC-1",
        "seized_at": "2026-01-02T08:00:00+08:00",
    }
    row.update(overrides)
    return row


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    """A small picture in ``fmt`` (JPEG, PNG, WEBP, GIF …), made with Pillow; ``save`` goes to ``Image.save``."""
    import io

    from PIL import Image

    picture = Image.linear_gradient("L").resize(size).convert("RGBA" if fmt == "PNG" else "RGB")
    out = io.BytesIO()
    picture.save(out, fmt, **save)
    return out.getvalue()
