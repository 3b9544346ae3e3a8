"""Logs as one JSON object per line on stderr (or plain text in development), each with the request id.

The handler sits on the ``custody`` logger (Flask's ``app.logger``) rather than the root logger, so
pytest's caplog (on the root) still sees every record through propagation, and libraries' own logging
is left as their host configures it. In production the ``custody`` logger does not propagate, so each
record is written once, as JSON, whatever handlers the root logger has.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

LOGGER = "custody"
ACCESS_LOGGER = "custody.access"
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# LogRecord attributes that are not "extra" fields a caller added.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: what log collectors (Loki, Elasticsearch …) parse without rules."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a developer's terminal: the same facts, readable."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request's id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id") if has_request_context() else None
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (pytest swaps it), unless a stream was set."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.fixed = False

    def setStream(self, stream: Any) -> Any:  # noqa: N802 (logging's name)
        self.fixed = True
        return super().setStream(stream)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.fixed:
            self.stream = sys.stderr
        super().emit(record)


def handler() -> logging.Handler | None:
    """The handler init_logging installed (tests point its stream at a buffer)."""
    return next((h for h in logging.getLogger(LOGGER).handlers if isinstance(h, _StderrHandler)), None)


def request_id_from(header: str | None) -> str:
    """The client's id when it is a sane token (so it can be correlated), else a fresh one."""
    if header and _SANE_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


def init_logging(app: Flask) -> None:
    """Install the handler (once per process; a second app replaces it) and the request hooks."""
    production = app.config.get("CUSTODY_ENV") == "production"
    chosen = app.config.get("CUSTODY_LOG_FORMAT") or ("json" if production else "text")
    logger = logging.getLogger(LOGGER)
    for old in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(old)
    new = _StderrHandler()
    new.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    new.addFilter(RequestIdFilter())
    logger.addHandler(new)
    logger.setLevel(str(app.config.get("CUSTODY_LOG_LEVEL", "INFO")).upper())
    # In production nothing else may print our records a second time (say, a root handler some library
    # installed); elsewhere they propagate, so pytest's caplog sees them.
    logger.propagate = not production

    @app.before_request
    def _start() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        """Runs last (hooks run in reverse order): the status is final. The path has no query string."""
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
        logging.getLogger(ACCESS_LOGGER).info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user": _username(),
                "remote_addr": request.remote_addr,
            },
        )
        return response


def _username() -> str | None:
    """The signed-in user if the request already loaded one: the access line must not cost a query."""
    user = g.get("_login_user")
    return getattr(user, "username", None) if user is not None and getattr(user, "is_authenticated", False) else None
