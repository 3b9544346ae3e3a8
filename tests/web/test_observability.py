"""Request ids, JSON access logs and /metrics (issue 8): what operators rely on to find and watch requests."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from custody.ops import logs, metrics
from custody.services import ledger_view


@pytest.fixture
def log_lines(app: Any) -> Iterator[io.StringIO]:
    """Point the installed handler at a buffer, in JSON, and put it back afterwards."""
    handler = logs.handler()
    assert handler is not None
    stream = io.StringIO()
    old_stream, old_formatter = handler.stream, handler.formatter  # type: ignore[attr-defined]
    handler.setStream(stream)  # type: ignore[attr-defined]
    handler.setFormatter(logs.JsonFormatter())
    yield stream
    handler.setStream(old_stream)  # type: ignore[attr-defined]
    handler.fixed = False  # type: ignore[attr-defined]
    handler.setFormatter(old_formatter)


def _access(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line["logger"] == logs.ACCESS_LOGGER]


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # the exposition sorts them
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    match = re.search(r"^" + pattern + "$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_a_request_id_is_generated_and_echoed(client: Any) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_a_sane_request_id_is_kept_an_insane_one_replaced(client: Any) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc_Z"}).headers["X-Request-ID"] == "lb-1234.abc_Z"
    for bad in ("x" * 65, "has space", "a\u00e9b", "semi;colon"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert echoed != bad and re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_problem_bodies_carry_the_request_id(client: Any) -> None:
    response = client.get("/api/v1/items/NOPE", headers={"X-Request-ID": "trace-42"})
    assert response.status_code in (401, 404)
    assert response.get_json()["request_id"] == "trace-42"
    assert response.headers["X-Request-ID"] == "trace-42"


def test_the_access_line_is_json_without_the_query(client: Any, api: Any, make: Any, log_lines: io.StringIO) -> None:
    user = make.user("handler")
    response = api(user).client.get(
        "/api/v1/cases?case_no=SECRET-1", headers={**api(user).headers, "X-Request-ID": "req-7"}
    )
    assert response.status_code == 200
    [line] = [line for line in _access(log_lines) if line["request_id"] == "req-7"]
    assert line["level"] == "INFO" and line["method"] == "GET" and line["status"] == 200
    assert line["path"] == "/api/v1/cases" and "SECRET" not in json.dumps(line)
    assert line["user"] == user.username and line["remote_addr"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and re.match(r"\d{4}-\d\d-\d\dT.*\+00:00$", line["time"])


def test_anonymous_access_lines_have_no_user(client: Any, log_lines: io.StringIO) -> None:
    client.get("/healthz?x=1")
    [line] = _access(log_lines)
    assert line["user"] is None and line["path"] == "/healthz" and line["request_id"]


def test_the_formatter_follows_the_setting() -> None:
    record = logging.LogRecord("custody.x", logging.WARNING, __file__, 1, "hello %s", ("there",), None)
    record.request_id = "r1"
    data = json.loads(logs.JsonFormatter().format(record))
    assert data["message"] == "hello there" and data["level"] == "WARNING" and data["request_id"] == "r1"


def test_caplog_still_sees_records(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=logs.ACCESS_LOGGER):
        client.get("/healthz")
    assert any(r.name == logs.ACCESS_LOGGER and r.status == 200 for r in caplog.records)  # type: ignore[attr-defined]


def test_metrics_count_requests_by_rule_and_show_the_ledger(client: Any, make: Any) -> None:
    make.case(make.user("handler"))  # appends entries to the ledger
    before = _sample(
        client.get("/metrics").get_data(as_text=True),
        "custody_http_requests_total",
        method="GET",
        endpoint="/healthz",
        status="200",
    )
    client.get("/healthz")
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    labels = {"method": "GET", "endpoint": "/healthz", "status": "200"}
    assert _sample(text, "custody_http_requests_total", **labels) == before + 2
    seq = ledger_view.head().seq
    assert seq > 0 and _sample(text, "custody_ledger_entries") == seq
    assert 'custody_alerts_open{severity="high"}' in text
    assert "custody_checkpoint_size" in text and "custody_checkpoint_witnessed" in text
    assert 'custody_http_request_duration_seconds_bucket{endpoint="/healthz"' in text


def test_metrics_label_the_url_rule_not_the_path(client: Any) -> None:
    client.get("/api/v1/items/ABC-123")
    text = client.get("/metrics").get_data(as_text=True)
    assert "ABC-123" not in text and 'endpoint="/api/v1/items/<code>"' in text


def test_metrics_are_hidden_from_other_addresses(client: Any, api: Any, make: Any) -> None:
    away = {"REMOTE_ADDR": "10.9.8.7"}
    assert client.get("/metrics", environ_base=away).status_code == 404
    handler = api(make.user("handler"))
    assert client.get("/metrics", headers=handler.headers, environ_base=away).status_code == 404
    auditor = api(make.user("auditor"))
    assert client.get("/metrics", headers=auditor.headers, environ_base=away).status_code == 200


def test_metrics_allow_list_takes_networks(app: Any, client: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "CUSTODY_METRICS_ALLOW", "10.0.0.0/8")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
    assert client.get("/metrics").status_code == 404
    assert [str(n) for n in metrics.allowed_networks("127.0.0.1, ::1")] == ["127.0.0.1/32", "::1/128"]


def test_production_logs_json_once(app: Any) -> None:
    """JSON by default in production, and not propagated (a root handler must not print it again)."""
    from flask import Flask

    logger = logging.getLogger(logs.LOGGER)
    saved = (list(logger.handlers), logger.propagate, logger.level)
    try:
        other = Flask("other")
        other.config.update(CUSTODY_ENV="production", CUSTODY_LOG_FORMAT=None)
        logs.init_logging(other)
        installed = logs.handler()
        assert installed is not None and isinstance(installed.formatter, logs.JsonFormatter)
        assert logger.propagate is False
        other.config.update(CUSTODY_ENV="development", CUSTODY_LOG_FORMAT=None)
        logs.init_logging(other)
        installed = logs.handler()
        assert installed is not None and isinstance(installed.formatter, logs.TextFormatter) and logger.propagate
    finally:
        logger.handlers[:] = saved[0]
        logger.propagate, logger.level = saved[1], saved[2]
