"""What the user typed into a refused form, kept for the one page that shows the form again.

A form is posted, refused (a validation error or the service's refusal) and the view redirects back
to the page holding it with a flashed message (post/redirect/get). So that the user does not type it
all again, the view calls ``keep(form_id, subject)`` before redirecting; the next render of that form
for that subject (the case or handover number) calls ``recall`` and gets the posted values once.
A success calls ``forget`` so that nothing stale comes back.

The session is a signed cookie: it holds one kept form at a time, and only while the cookie stays
under what browsers accept. A form too large for it keeps its single-valued fields (texts, choices)
and lets its ticks fall back to the page's defaults; a text too large even for that is not kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, flash, redirect, request, session
from werkzeug.wrappers import Response

SESSION_KEY = "kept_form"
COOKIE_BUDGET = 3600  # bytes of the session cookie's value; browsers drop cookies past about 4 KB
_NOT_KEPT = ("csrf_token",)


@dataclass(frozen=True)
class KeptForm:
    """The values of one form as posted; empty when nothing was kept (the page shows its defaults)."""

    values: dict[str, list[str]] = field(default_factory=dict)
    kept: bool = False
    whole: bool = False  # False: the multi-valued fields (ticks) were too large to keep

    def __bool__(self) -> bool:
        return self.kept

    def value(self, name: str, default: str = "") -> str:
        """The text or choice posted as ``name``, else ``default``."""
        if not self.kept or name not in self.values:
            return default
        return self.values[name][0] if self.values[name] else ""

    def ticked(self, name: str, value: str, default: bool = False) -> bool:
        """Whether the box ``name`` = ``value`` was ticked; ``default`` when the ticks were not kept."""
        if not self.kept or not self.whole:
            return default
        return value in self.values.get(name, [])

    def ticks(self, name: str) -> list[str]:
        """Every value ticked under ``name`` (none when the ticks were not kept)."""
        return list(self.values.get(name, [])) if self.kept and self.whole else []


def _posted() -> dict[str, list[str]]:
    return {name: request.form.getlist(name) for name in request.form if name not in _NOT_KEPT}


def _fits() -> bool:
    serializer = current_app.session_interface.get_signing_serializer(current_app)  # type: ignore[attr-defined]
    return serializer is None or len(serializer.dumps(dict(session))) <= COOKIE_BUDGET


def keep(form_id: str, subject: str) -> None:
    """Keep the posted form for the next render of ``form_id`` about ``subject`` (replacing any kept before)."""
    values = _posted()
    session[SESSION_KEY] = {"form": form_id, "subject": subject, "values": values, "whole": True}
    if _fits():
        return
    singles = {name: v for name, v in values.items() if len(v) == 1}
    session[SESSION_KEY] = {"form": form_id, "subject": subject, "values": singles, "whole": False}
    if not _fits():
        session.pop(SESSION_KEY, None)


def recall(form_id: str, subject: str) -> KeptForm:
    """The values kept for ``form_id`` about ``subject``, read once; an empty KeptForm otherwise."""
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("form") != form_id or stored.get("subject") != subject:
        return KeptForm()
    session.pop(SESSION_KEY, None)
    values = {str(k): [str(x) for x in v] for k, v in (stored.get("values") or {}).items()}
    return KeptForm(values, kept=True, whole=bool(stored.get("whole")))


def forget() -> None:
    """Drop whatever was kept: the form went through."""
    session.pop(SESSION_KEY, None)


def refused(form_id: str, subject: str, message: str, back: str) -> Response:
    """Back to the page holding the form, with the reason and the form kept as the user left it."""
    keep(form_id, subject)
    flash(message, "error")
    return redirect(back)
