"""Every response carries the security headers; the policy allows no inline script."""

from __future__ import annotations

from typing import Any

import pytest

from custody.web.headers import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/ledger/key"])
def test_every_response_carries_the_security_headers(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_policy_forbids_inline_script_and_framing() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'"


def test_errors_carry_them_too(client: Any) -> None:
    response = client.get("/api/v1/cases/NOPE")
    assert response.status_code == 401
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
