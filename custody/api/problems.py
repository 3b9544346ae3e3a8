"""RFC 9457 problem+json responses with the contract's stable ``code`` values."""

from __future__ import annotations

import http
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Response, g, has_request_context, json
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from custody.errors import DomainError

if TYPE_CHECKING:
    from apispec import APISpec

PROBLEM_MEDIA_TYPE = "application/problem+json"

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
    429: "too_many_attempts",
    500: "internal_error",
}


def problem(
    status: int, code: str, title: str, detail: str, errors: Any = None, headers: Iterable[tuple[str, str]] = ()
) -> Response:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    if has_request_context() and g.get("request_id"):
        body["request_id"] = g.request_id  # to find the request's log lines (custody/ops/logs.py)
    text = json.dumps(body, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate echoed from the request (say, an unknown field's name)
        text = json.dumps(body)  # \uXXXX escapes: still valid JSON
    response = Response(text, status=status, mimetype=PROBLEM_MEDIA_TYPE)
    for name, value in headers:
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="custody"'
    return response


def from_domain(error: DomainError) -> Response:
    return problem(error.status, error.code, error.title, error.detail, error.errors, retry_after(error))


def retry_after(error: DomainError) -> list[tuple[str, str]]:
    """RFC 9110 Retry-After for a throttled sign-in, so clients wait the right time instead of hammering."""
    seconds = getattr(error, "retry_after", None)
    return [("Retry-After", str(seconds))] if seconds else []


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
    if status == 400:
        # An unparseable body is invalid input like any other; one status for clients to handle.
        status = 422
        if errors is None:
            errors = {"body": [error.description or "Malformed request body"]}
    if errors is not None and not isinstance(errors, dict):
        # ``errors`` maps field names to messages; webargs reports an unparseable JSON body as a bare list.
        errors = {"body": errors if isinstance(errors, list) else [str(errors)]}
    code = CODE_BY_STATUS.get(status, "http_error")
    title = error.name if status != 422 else "Invalid input"
    detail = "Some fields are invalid" if errors else (error.description or title)
    # Keep what the exception says in headers: ``Allow`` on 405 (RFC 9110 requires it), ``Retry-After`` …
    headers = list(error.get_headers())
    if isinstance(data, dict) and isinstance(data.get("headers"), dict):
        headers.extend(data["headers"].items())
    return problem(status, code, title, detail, errors, headers)


class ProblemSchema(Schema):
    """What ``problem()`` sends; documents every error response in the OpenAPI document."""

    type = fields.String(required=True, metadata={"description": "A URI reference naming the problem type"})
    title = fields.String(required=True, metadata={"description": "Short summary of the problem type"})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code"})
    detail = fields.String(required=True, metadata={"description": "What went wrong this time"})
    code = fields.String(
        required=True,
        metadata={"description": "Stable snake_case error code (see API.md)", "pattern": "^[a-z][a-z0-9_]*$"},
    )
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "Field name (or batch row index) → messages, or → that row's field errors"},
    )
    request_id = fields.String(
        metadata={"description": "The request's id (also its X-Request-ID header), to find it in the logs"}
    )


def document_problems(spec: APISpec) -> None:
    """Make the OpenAPI document say what clients get on errors: problem+json, not flask-smorest's JSON.

    flask-smorest registers a response per HTTP status (``UNPROCESSABLE_ENTITY``, ``DEFAULT_ERROR`` …) with
    its own error schema as ``application/json``; the ones already referenced by an operation are in
    ``spec.components.responses`` (rewritten in place), the rest are registered lazily (registered again here).
    Call it once per app, after ``api.init_app`` (custody/api/docs.py does, when its blueprint is registered).
    """
    spec.components.schema("Problem", schema=ProblemSchema)
    ref = {"$ref": "#/components/schemas/Problem"}
    if "Error" in spec.components.schemas:
        # flask-smorest's own error schema ({code: int, status, message}); anything still naming it means ours.
        spec.components.schemas["Error"] = dict(ref)
    content = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
    names = {status.name: status.phrase for status in http.HTTPStatus if status >= 400}
    names["DEFAULT_ERROR"] = "Error (problem+json)"
    for name, description in names.items():
        existing = spec.components.responses.get(name)
        if existing is not None:
            existing["content"] = dict(content)
        else:
            spec.components.response(name, {"description": description, "content": dict(content)}, lazy=True)
