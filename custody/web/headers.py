"""Security headers on every response: what the browser may load, frame and send elsewhere.

The pages carry no inline script, inline style or event-handler attribute (the API docs page starts
Swagger UI from a file for this reason), so the policy needs neither ``'unsafe-inline'`` nor
``'unsafe-eval'``. QR codes and camera frames are drawn from ``data:`` and ``blob:`` images.
A response that sets a header itself (a PDF, a CSV) keeps its own.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "same-origin",  # links out of the centre carry no case numbers in their referrer
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
