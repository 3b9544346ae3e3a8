"""Language and time zone: the user's choice, else the browser's, else Chinese; Asia/Shanghai."""

from __future__ import annotations

from flask import current_app, request, session

LANGUAGES = ("zh", "en")


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="zh") or "zh"


def select_timezone() -> str:
    return current_app.config["CUSTODY_TIMEZONE"]
