"""Prometheus metrics at /metrics: request counts and latencies, and figures read at scrape time.

Request metrics are labelled by the Flask url rule (``/api/v1/items/<code>``), never the raw path,
so their cardinality is bounded. The ledger size, open alerts and the latest checkpoint are read
from the database when scraped (a few count queries), so they are right after any worker's write.

Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
writable by the workers (before they start): each worker then writes its counters there and a
scrape from any worker adds them up (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from custody.extensions import db

bp = Blueprint("metrics", __name__)

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED = "<unmatched>"

disable_created_metrics()  # a "_created" series per label set doubles the scrape for nothing we graph

REQUESTS = Counter(
    "custody_http_requests", "HTTP requests answered, by method, url rule and status", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "custody_http_request_duration_seconds",
    "Time to answer an HTTP request, by url rule",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class LedgerCollector(Collector):
    """Figures read from the database at scrape time (not counted in-process: any worker may write)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from custody.services import alerts, checkpoints, ledger_view, witnessing

        try:
            size = GaugeMetricFamily("custody_ledger_entries", "Entries in the ledger (the head's seq)")
            size.add_metric([], ledger_view.head().seq)
            yield size
            open_alerts = GaugeMetricFamily("custody_alerts_open", "Open alerts by severity", labels=["severity"])
            counted = alerts.counts(None)
            for severity in alerts.SEVERITIES:
                open_alerts.add_metric([severity], counted.of(severity))
            yield open_alerts
            latest = checkpoints.latest()
            checkpoint = GaugeMetricFamily("custody_checkpoint_size", "Entries covered by the latest checkpoint")
            checkpoint.add_metric([], latest.size if latest else 0)
            yield checkpoint
            cosigned = GaugeMetricFamily(
                "custody_checkpoint_witnessed", "1 if the latest checkpoint has its witnesses' quorum of cosignatures"
            )
            cosigned.add_metric([], 1 if latest is not None and witnessing.witnessed(latest.size) else 0)
            yield cosigned
        finally:
            db.session.rollback()  # end the read


def init_metrics(app: Flask) -> None:
    """Count every request; serve /metrics."""

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("metrics_started")
        endpoint = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        method = request.method if request.method in METHODS else "OTHER"
        REQUESTS.labels(method, endpoint, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response

    app.register_blueprint(bp)


def allowed_networks(value: str) -> list[Any]:
    """``CUSTODY_METRICS_ALLOW``: comma-separated addresses or networks (``10.0.0.0/8``)."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


def _may_scrape() -> bool:
    """From an allowed address, or with an admin's or auditor's bearer token; nobody else learns it exists."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        address = None
    allowed = allowed_networks(current_app.config.get("CUSTODY_METRICS_ALLOW", "127.0.0.1,::1"))
    if address is not None and any(address in network for network in allowed):
        return True
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    from custody.models.user import Role
    from custody.services.auth import user_for_token

    user = user_for_token(token.strip())
    db.session.rollback()
    return user is not None and user.has_role(Role.ADMIN, Role.AUDITOR)


def exposition() -> bytes:
    """The text format: this process's (or, in multiprocess mode, all workers') counters, then the figures."""
    scraped = CollectorRegistry()
    scraped.register(LedgerCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        return generate_latest(workers) + generate_latest(scraped)
    return generate_latest(REGISTRY) + generate_latest(scraped)


@bp.route("/metrics")
def metrics() -> Response:
    """For the monitoring system only: 404 to anyone else."""
    if not _may_scrape():
        abort(404)
    return Response(exposition(), content_type=CONTENT_TYPE_LATEST)
