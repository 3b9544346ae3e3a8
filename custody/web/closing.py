"""Closing a case from its page (the form is templates/_case_close.html)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody.errors import DomainError, HandoverOpen, InvalidInput, InvalidState, NotFound
from custody.services import closing
from custody.web.messages import describe

bp = Blueprint("closing_pages", __name__)


@bp.route("/cases/<path:case_no>/close", methods=["POST"])
@login_required
def close(case_no: str) -> Response:
    back = url_for("web.case", case_no=case_no)
    try:
        closing.close_case(current_user, case_no, request.form.get("reason", ""), request.form.get("note"))
    except NotFound:
        abort(404)
    except InvalidInput:
        flash(_("Choose why the case is closed."), "error")
        return redirect(back + "#close")
    except HandoverOpen:
        flash(_("A handover of this case is still open: it must be decided or cancelled first."), "error")
        return redirect(back + "#close")
    except InvalidState:
        flash(_("The case is already closed."), "error")
        return redirect(back)
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(back)
    flash(_("Case closed. Its items still in the centre now await their disposition."), "ok")
    return redirect(back)
