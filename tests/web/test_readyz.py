"""Readiness for load balancers: the database answers and the ledger head can be read."""

from __future__ import annotations

from typing import Any


def test_readyz_reads_the_ledger_head(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "ledger_seq": 0}


def test_readyz_says_unavailable_when_the_database_is_gone(app: Any, client: Any, monkeypatch: Any) -> None:
    from sqlalchemy.exc import OperationalError

    from custody.services import ledger_view

    def broken() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(ledger_view, "head", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
