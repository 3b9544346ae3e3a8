"""The "API tokens" page: a user sees and revokes their own tokens; an administrator, a user's.

Revoking is a CSRF-protected POST (the app's CSRFProtect covers every form), so another site cannot
revoke a keeper's scanner token. The listing never shows a secret: only the prefix and the dates.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody.errors import DomainError
from custody.services import tokens
from custody.web.messages import describe

bp = Blueprint("token_pages", __name__)


@bp.route("/account/tokens")
@login_required
def index() -> str:
    """Own tokens, or with ``?user=NAME`` (administrators) that user's; NotFound shows as 404."""
    username = request.args.get("user", "").strip() or current_user.username
    views = tokens.tokens_of(current_user, username)
    return render_template("tokens/index.html", tokens=views, username=username)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int) -> Response:
    username = request.form.get("user", "").strip()
    try:
        row = tokens.revoke(current_user, token_id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("Token %(prefix)s… revoked.", prefix=row.prefix), "ok")
    own = not username or username == current_user.username
    return redirect(url_for("token_pages.index") if own else url_for("token_pages.index", user=username))
