"""Uploading and showing item photos on the item page.

The item page (``web.item``) includes ``templates/photos/_section.html``, which asks the
two template globals below for the photos and whether to show the form; the images
themselves are served by the API's photo routes (the session cookie signs them in).
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from custody.errors import DomainError, InvalidInput, NotFound
from custody.models import Item
from custody.services import photos
from custody.web.messages import describe

bp = Blueprint("photo_pages", __name__)

_FILE_MESSAGES = {
    photos.EMPTY: _l("The file is empty."),
    photos.NOT_AN_IMAGE: _l("This file is not a JPEG, PNG or WebP picture."),
    photos.CORRUPT: _l("The picture is damaged or incomplete."),
    photos.TOO_MANY_PIXELS: _l("The picture has too many pixels (more than 50 million)."),
    "This photo is already on the item": _l("This photo is already on the item."),
}
_TOO_LARGE = re.compile(r"^Larger than (\d+) MB$")


@bp.app_template_global()
def item_photos(item: Item) -> list[photos.ItemPhoto]:
    """The photos shown on the item page, oldest first."""
    return photos.list_photos(current_user, item.code)


@bp.app_template_global()
def may_add_photo(item: Item) -> bool:
    return photos.may_add(current_user, item)


@bp.app_template_global()
def photo_max_mb() -> int:
    return int(photos.max_bytes() // (1024 * 1024))


def _message(error: DomainError) -> str:
    """What was wrong with the file, in the user's language."""
    for text in (error.errors or {}).get("file", []):
        known = _FILE_MESSAGES.get(text)
        if known is not None:
            return str(known)
        too_large = _TOO_LARGE.match(text)
        if too_large:
            return _("The picture is larger than %(mb)s MB.", mb=too_large[1])
    return describe(error)


@bp.route("/items/<code>/photos", methods=["POST"])
@login_required
def upload(code: str) -> Response:
    """Add the chosen picture to the item, then go back to its page with what happened."""
    chosen = request.files.get("file")
    if chosen is None or not chosen.filename:
        flash(_("Choose a picture first."), "error")
    else:
        try:
            photos.add_photo(current_user, code, chosen.read())
        except InvalidInput as error:
            flash(_message(error), "error")
        except DomainError as error:
            if isinstance(error, NotFound):
                raise  # the page says "not found" without telling whether the item exists
            flash(_message(error), "error")
        else:
            flash(_("Photo added."), "ok")
    return redirect(url_for("web.item", code=code) + "#photos")
