"""The stateful test's model of a centre: what should be true, kept beside the database and compared after each act.

Plain data and the rules as DESIGN §4-5 states them, written from the design, not read from the
services, so that the two can disagree. The machine (test_custody_machine.py) asks the model whether
an act must succeed, performs it through the services, and updates the model from the act's outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

CASE_HOLDING = ("police", "procuratorate", "court")
# DESIGN §5.4: the kind follows from the two agencies; any other pair is a transfer (of jurisdiction).
KIND_BETWEEN = {
    ("police", "procuratorate"): "prosecution_review",
    ("procuratorate", "police"): "supplementary_investigation",
    ("procuratorate", "court"): "indictment",
    ("court", "court"): "appeal",
}
STAGE_AFTER = {
    "prosecution_review": "prosecution_review",
    "supplementary_investigation": "investigation",
    "indictment": "trial",
    "appeal": "trial",
    "transfer": None,
}
OPEN_CHECKOUT = ("requested", "approved", "released", "partially_returned")
OUT = ("released", "partially_returned")
OPEN_HANDOVER = ("requested", "approved", "checked")
OPEN_DISPOSITION = ("requested", "approved")


@dataclass(frozen=True)
class Person:
    """A user of the world: the id to load them by, their agency's code and kind, their roles."""

    username: str
    id: int
    agency: str
    agency_kind: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def centre_keeper(self) -> bool:
        return self.has("keeper") and self.agency_kind == "centre"


@dataclass
class ItemM:
    code: str
    case_no: str
    custodian: str
    perishable: bool
    status: str = "registered"
    location: str | None = None
    disposed_seq: int | None = None  # the execution's entry: nothing but a stocktake may name the item after it


@dataclass
class CaseM:
    case_no: str
    holder: str
    stage: str = "investigation"


@dataclass
class CheckoutM:
    number: str
    agency: str
    items: list[str]
    status: str = "requested"
    out: set[str] = field(default_factory=set)

    @property
    def active(self) -> set[str]:
        """The items whose lines are active: all until release, then those still out."""
        if self.status in ("requested", "approved"):
            return set(self.items)
        return set(self.out) if self.status in OUT else set()


@dataclass
class HandoverM:
    number: str
    case_no: str
    source: str
    target: str
    items: list[str]
    status: str = "requested"
    missing: set[str] = field(default_factory=set)
    moves: list[str] = field(default_factory=list)  # to move with the case


@dataclass
class DispositionM:
    number: str
    agency: str
    items: list[str]
    status: str = "requested"


@dataclass
class StocktakeM:
    number: str
    location: str
    expected: set[str]
    scanned: set[str] = field(default_factory=set)
    open: bool = True


@dataclass
class Model:
    agency_kinds: dict[str, str]
    subtree: dict[str, set[str]]  # location code → it and everything under it
    seq: int = 0
    cases: list[CaseM] = field(default_factory=list)
    items: dict[str, ItemM] = field(default_factory=dict)
    checkouts: list[CheckoutM] = field(default_factory=list)
    handovers: list[HandoverM] = field(default_factory=list)
    dispositions: list[DispositionM] = field(default_factory=list)
    stocktakes: list[StocktakeM] = field(default_factory=list)

    def case(self, case_no: str) -> CaseM:
        return next(c for c in self.cases if c.case_no == case_no)

    def items_of(self, case_no: str) -> list[ItemM]:
        return [i for i in self.items.values() if i.case_no == case_no]

    def busy(self, code: str) -> bool:
        """In an open check-out (an active line), an open handover or an open disposition."""
        return (
            any(code in c.active for c in self.checkouts)
            or any(code in h.items for h in self.handovers if h.status in OPEN_HANDOVER)
            or any(code in d.items for d in self.dispositions if d.status in OPEN_DISPOSITION)
        )

    def free_in_storage(self, code: str) -> bool:
        return self.items[code].status == "in_storage" and not self.busy(code)

    def open_handover(self, case_no: str) -> HandoverM | None:
        return next((h for h in self.handovers if h.case_no == case_no and h.status in OPEN_HANDOVER), None)

    def handover_kind(self, source: str, target: str) -> str:
        return KIND_BETWEEN.get((self.agency_kinds[source], self.agency_kinds[target]), "transfer")

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items.values():
            counts[item.status] = counts.get(item.status, 0) + 1
        return counts


def pick(choices: list[T], index: int, prefer: object = None) -> T | None:
    """One of ``choices``, newest first; three times in four among those ``prefer`` accepts (when there are any).

    Hypothesis shrinks ``index`` towards 0: the newest preferred choice, the act a person would do next.
    """
    newest_first = list(reversed(choices))
    if callable(prefer) and index % 4 != 3:
        preferred = [c for c in newest_first if prefer(c)]
        newest_first = preferred or newest_first
    return newest_first[(index // 4) % len(newest_first)] if newest_first else None


def subset(choices: list[T], mask: int) -> list[T]:
    """The choices whose bit is set in ``mask``; the first alone when none is (so never empty if there are any)."""
    chosen = [c for i, c in enumerate(choices) if mask >> i & 1]
    return chosen or choices[:1]
