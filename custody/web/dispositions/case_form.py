"""The case page's disposition section, and the request form it posts here.

The form is offered to handlers of the agency answering for items of the case (their custodian, which
is not always the agency holding it: items rejected in a handover stay with the sender). It lists the
items that could be disposed of now; an early sale is offered only when some of them are perishable or depreciating,
and the service refuses it for any item that is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from custody.api.schemas.dispositions import DispositionCreateSchema
from custody.errors import DomainError, NotFound
from custody.models import EARLY_SALE_FLAGS, OPEN_DISPOSITION, Case, Disposition, DispositionKind, Item
from custody.services import dispositions
from custody.web import kept
from custody.web.dispositions.blueprint import bp
from custody.web.dispositions.messages import describe_disposition, details
from custody.web.kept import KeptForm

SHOWN_ITEMS = 1000  # like the case page's item list


@dataclass(frozen=True)
class CaseSection:
    """The case's dispositions and, for handlers of the custodian agency, what the request form offers."""

    dispositions: list[Disposition]
    can_request: bool = False
    rows: list[Item] = field(default_factory=list)  # the items that could be disposed of now
    more: bool = False  # more such items than shown
    kinds: list[str] = field(default_factory=list)
    needs_recipient: frozenset[str] = frozenset()
    kept: KeptForm = field(default_factory=KeptForm)  # what the user typed before a refusal

    @property
    def open(self) -> list[Disposition]:
        return [d for d in self.dispositions if d.status in OPEN_DISPOSITION]


def early_sale_allowed(item: Item) -> bool:
    """Perishable or depreciating (design §5.6): the items an early sale may take."""
    return bool(EARLY_SALE_FLAGS.intersection(item.flags))


def case_section(user: Any, case: Case) -> CaseSection:
    """What the case page shows about dispositions; the request form only when the user may ask for one."""
    every = dispositions.case_dispositions(case)
    typed = kept.recall("disposition", case.case_no)  # read even when the form is not shown, so it does not linger
    candidates = dispositions.candidates(user, case)
    if not candidates:
        return CaseSection(every)
    early = any(map(early_sale_allowed, candidates))
    kinds = [k for k in dispositions.KINDS if k != DispositionKind.EARLY_SALE or early]
    return CaseSection(
        every,
        can_request=True,
        rows=candidates[:SHOWN_ITEMS],
        more=len(candidates) > SHOWN_ITEMS,
        kinds=[str(k) for k in kinds],
        needs_recipient=frozenset(str(k) for k in dispositions.NEEDS_RECIPIENT),
        kept=typed,
    )


@bp.route("/dispositions/new", methods=["POST"])
@login_required
def create() -> Response:
    """Ask for a disposition of the ticked items from the case page; a refusal goes back there with the reason."""
    form = request.form
    case_no = form.get("case_no", "").strip()
    if not case_no:
        abort(400)
    back = url_for("web.case", case_no=case_no) + "#disposition"
    chosen = form.getlist("items")
    problems = []
    if not chosen:
        problems.append(_("Tick at least one item to dispose of."))
    if form.get("kind", "") not in set(DispositionKind):
        problems.append(_("Choose the kind of disposition."))
    if problems:
        return kept.refused("disposition", case_no, " ".join(problems), back)
    fields = {name: form.get(name, "") for name in ("kind", "basis_doc_no")}
    optional = {name: form.get(name) or None for name in ("recipient", "reason")}
    try:
        # The API's schema, so that the page and the API refuse the same things (lengths, control characters).
        data = DispositionCreateSchema().load({"items": chosen, **fields, **optional})
        created = dispositions.request_disposition(
            current_user,
            data["items"],
            data["kind"],
            data["basis_doc_no"],
            recipient=data.get("recipient"),
            reason=data.get("reason"),
        )
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"": error.messages}
        said = " ".join([_("Some entries are not valid."), *details(messages)])
        return kept.refused("disposition", case_no, said, back)
    except NotFound:
        said = _("Some ticked items are not ones you may see; reload the page.")
        return kept.refused("disposition", case_no, said, back)
    except DomainError as error:
        return kept.refused("disposition", case_no, describe_disposition(error), back)
    kept.forget()
    flash(
        _("Disposition %(number)s requested; an approver of your agency approves it next.", number=created.number), "ok"
    )
    return redirect(url_for("disposition_pages.detail", number=created.number))
