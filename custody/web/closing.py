"""Closing a case from its page (the form is templates/_case_close.html)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody.errors import DomainError, HandoverOpen, InvalidInput, InvalidState, NotFound
from custody.services import closing
from custody.web import kept
from custody.web.kept import KeptForm
from custody.web.messages import describe

bp = Blueprint("closing_pages", __name__)


@bp.app_template_global("close_form_kept")
def close_form_kept(case_no: str) -> KeptForm:
    """What the user typed into the case's close form before a refusal (read once)."""
    return kept.recall("close", case_no)


@bp.route("/cases/<path:case_no>/close", methods=["POST"])
@login_required
def close(case_no: str) -> Response:
    """Close the case; a refusal goes back to its page with the reason and the form as the user left it."""
    back = url_for("web.case", case_no=case_no)
    try:
        closing.close_case(current_user, case_no, request.form.get("reason", ""), request.form.get("note"))
    except NotFound:
        abort(404)
    except InvalidInput as error:
        said = _("Choose why the case is closed.") if "reason" in (error.errors or {}) else describe(error)
        return kept.refused("close", case_no, said, back + "#close")
    except HandoverOpen:
        still_open = _("A handover of this case is still open: it must be decided or cancelled first.")
        return kept.refused("close", case_no, still_open, back + "#close")
    except InvalidState:
        flash(_("The case is already closed."), "error")
        return redirect(back)
    except DomainError as error:
        return kept.refused("close", case_no, describe(error), back)
    kept.forget()
    flash(_("Case closed. Its items still in the centre now await their disposition."), "ok")
    return redirect(back)
