"""Server-rendered pages for keepers, handlers and auditors."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale


def register_web(app: Flask) -> None:
    from custody.web import (
        account,
        alerts,
        audit,
        checkouts,
        closing,
        dispositions,
        handovers,
        health,
        i18n,
        labels,
        photos,
        presence,
        printing,
        stats,
        stocktakes,
        tokens,
        verify,
        views,
        warehouse,
    )
    from custody.web import format as formatting

    for module in (
        views,
        warehouse,
        printing,
        photos,
        checkouts,
        closing,
        handovers,
        presence,
        verify,
        dispositions,
        stocktakes,
        alerts,
        audit,
        stats,
        health,
        tokens,
        account,
    ):
        app.register_blueprint(module.bp)
    labels.register(app)
    app.jinja_env.filters["local_time"] = formatting.local_time
    app.jinja_env.filters["iso_time"] = formatting.iso_time
    app.jinja_env.filters["money"] = formatting.money

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {"get_locale": get_locale, "languages": (("zh", "中文"), ("en", "English"))}

    stale = i18n.stale_catalogs()
    if stale:
        # Pages would silently fall back to English; say so once, with the fix.
        app.logger.warning(
            "Translation catalogs not compiled (%s): run `pybabel compile -d custody/translations`",
            ", ".join(str(p.parent.parent.name) for p in stale),
        )
