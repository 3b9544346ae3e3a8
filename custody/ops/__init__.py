"""Operations: structured logs with a request id, and Prometheus metrics for the monitoring system."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Call first in create_app: the request id must exist before any other hook can log or fail."""
    from custody.ops import logs, metrics

    logs.init_logging(app)
    metrics.init_metrics(app)


__all__ = ["init_app"]
