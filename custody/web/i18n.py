"""Language and time zone: the user's choice, else the browser's, else Chinese; Asia/Shanghai.

Source strings are English (``_()`` and ``lazy_gettext`` in code and templates); the
Chinese catalog is ``custody/translations/zh/LC_MESSAGES/messages.po``, which
Flask-Babel finds through its default ``translations`` folder relative to the app's
root path (``custody/``). The compiled ``.mo`` files are build output, not sources:
``pybabel compile -d custody/translations`` (or :func:`compile_catalogs`) makes them.

Updating the catalog after changing strings::

    pybabel extract -F babel.cfg -o /tmp/messages.pot .
    pybabel update -i /tmp/messages.pot -d custody/translations
    # translate the new entries, then
    pybabel compile -d custody/translations
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app, request, session

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    """The language stored by the language switch, else the browser's best match, else Chinese."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def select_timezone() -> str:
    return current_app.config["CUSTODY_TIMEZONE"]


def stale_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """The ``.po`` files whose ``.mo`` is missing or older: pages in that language would show English."""
    stale = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalogs(directory: Path = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Compile stale catalogs (all with ``force``), as ``pybabel compile`` would; return the ``.mo`` written.

    Each file is written to a temporary name and renamed, so parallel test workers
    compiling at once never let a reader see half a file.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    targets = sorted(directory.glob("*/LC_MESSAGES/*.po")) if force else stale_catalogs(directory)
    written = []
    for po in targets:
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        mo = po.with_suffix(".mo")
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog)
            os.replace(tmp, mo)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo)
    return written
