"""RFC 9457 problem+json responses with the contract's stable ``code`` values."""

from __future__ import annotations

from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

from custody.errors import DomainError

CODE_BY_STATUS = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    500: "internal_error",
}


def problem(status: int, code: str, title: str, detail: str, errors: Any = None) -> Response:
    body: dict[str, Any] = {"type": f"/problems/{code}", "title": title, "status": status, "detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="custody"'
    return response


def from_domain(error: DomainError) -> Response:
    return problem(error.status, error.code, error.title, error.detail, error.errors)


def _unwrap(messages: Any) -> Any:
    """webargs nests errors under the request location ("json", "query"): clients want fields."""
    if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in ("json", "query", "form", "files"):
        return _unwrap(next(iter(messages.values())))
    if isinstance(messages, dict):
        return {str(k): _unwrap(v) for k, v in messages.items()}
    return messages


def from_http(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _unwrap(data.get("messages")) if isinstance(data, dict) else None
    if status == 400 and errors is None:
        # An unparseable body is invalid input like any other; one status for clients to handle.
        status, errors = 422, {"body": [error.description or "Malformed request body"]}
    code = CODE_BY_STATUS.get(status, "http_error")
    title = error.name if status != 422 else "Invalid input"
    detail = "Some fields are invalid" if errors else (error.description or title)
    return problem(status, code, title, detail, errors)
