"""Listing and revoking API tokens: by the owner, by administrators, and at the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from custody import clock
from custody.extensions import db
from custody.models import ApiToken
from custody.services.auth import issue_token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_list_shows_only_own_tokens_and_never_secrets(client: Any, make: Any) -> None:
    alice, bob = make.user("handler"), make.user("handler")
    current, current_row = issue_token(alice)
    other, other_row = issue_token(alice)
    _bobs, bobs_row = issue_token(bob)
    response = client.get("/api/v1/auth/tokens", headers=_bearer(current))
    assert response.status_code == 200
    body = response.get_json()
    assert {t["id"] for t in body} == {current_row.id, other_row.id}
    assert bobs_row.id not in {t["id"] for t in body}
    assert {t["id"]: t["current"] for t in body} == {current_row.id: True, other_row.id: False}
    assert all(t["expires_at"].endswith("Z") and t["created_at"] and not t["expired"] for t in body)
    text = response.get_data(as_text=True)
    for secret in (current, other, current_row.token_hash, other_row.token_hash):
        assert secret not in text
    assert set(body[0]) == {"id", "prefix", "created_at", "expires_at", "expired", "current"}


def test_listing_and_revoking_need_credentials(client: Any, make: Any) -> None:
    _token, row = issue_token(make.user("handler"))
    assert client.get("/api/v1/auth/tokens").status_code == 401
    assert client.delete(f"/api/v1/auth/tokens/{row.id}").status_code == 401
    assert client.get("/api/v1/auth/tokens", headers=_bearer("cst_nonsense")).status_code == 401


def test_revoked_token_is_401_at_once(client: Any, make: Any) -> None:
    user = make.user("handler")
    keep, _ = issue_token(user)
    victim, row = issue_token(user)
    assert client.get("/api/v1/me", headers=_bearer(victim)).status_code == 200
    response = client.delete(f"/api/v1/auth/tokens/{row.id}", headers=_bearer(keep))
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(victim)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(keep)).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None  # kept on record, marked
    ids = {t["id"] for t in client.get("/api/v1/auth/tokens", headers=_bearer(keep)).get_json()}
    assert row.id not in ids
    assert client.delete(f"/api/v1/auth/tokens/{row.id}", headers=_bearer(keep)).status_code == 404  # already gone


def test_revoking_the_current_token_signs_out(client: Any, make: Any) -> None:
    token, row = issue_token(make.user("handler"))
    assert client.delete(f"/api/v1/auth/tokens/{row.id}", headers=_bearer(token)).status_code == 204
    assert client.get("/api/v1/auth/tokens", headers=_bearer(token)).status_code == 401


def test_another_users_token_is_404(client: Any, make: Any) -> None:
    agency = make.agency()
    alice, bob = make.user("handler", agency=agency), make.user("approver", "keeper", "auditor", agency=agency)
    alices, _ = issue_token(alice)
    bobs, bobs_row = issue_token(bob)
    response = client.delete(f"/api/v1/auth/tokens/{bobs_row.id}", headers=_bearer(alices))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert client.get("/api/v1/me", headers=_bearer(bobs)).status_code == 200
    for missing in (0, 999999, 2**40):
        assert client.delete(f"/api/v1/auth/tokens/{missing}", headers=_bearer(alices)).status_code == 404


def test_admin_revokes_tokens_of_own_agency_users_only(client: Any, make: Any) -> None:
    agency, elsewhere = make.agency(), make.agency()
    admin = make.user("admin", agency=agency)
    colleague, stranger = make.user("handler", agency=agency), make.user("handler", agency=elsewhere)
    admins, _ = issue_token(admin)
    colleagues, colleague_row = issue_token(colleague)
    strangers, stranger_row = issue_token(stranger)
    assert client.delete(f"/api/v1/auth/tokens/{stranger_row.id}", headers=_bearer(admins)).status_code == 404
    assert client.get("/api/v1/me", headers=_bearer(strangers)).status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{colleague_row.id}", headers=_bearer(admins)).status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(colleagues)).status_code == 401


def test_centre_admin_revokes_any_token(client: Any, make: Any) -> None:
    admin = make.user("admin", kind="centre")
    admins, _ = issue_token(admin)
    police, police_row = issue_token(make.user("handler"))
    assert client.delete(f"/api/v1/auth/tokens/{police_row.id}", headers=_bearer(admins)).status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(police)).status_code == 401


def test_expired_token_is_401_and_listed_as_expired(client: Any, make: Any) -> None:
    user = make.user("handler")
    short, short_row = issue_token(user, days=1)
    long, _ = issue_token(user, days=30)
    clock.set_clock(lambda: datetime.now(UTC) + timedelta(days=2))
    assert client.get("/api/v1/me", headers=_bearer(short)).status_code == 401
    body = client.get("/api/v1/auth/tokens", headers=_bearer(long)).get_json()
    assert {t["id"]: t["expired"] for t in body}[short_row.id] is True


def test_cli_lists_and_revokes(runner: Any, client: Any, make: Any) -> None:
    user = make.user("handler")
    token, row = issue_token(user)
    listed = runner.invoke(args=["custody", "tokens", user.username])
    assert listed.exit_code == 0, listed.output
    assert str(row.id) in listed.output and row.prefix in listed.output and token not in listed.output
    revoked = runner.invoke(args=["custody", "revoke-token", str(row.id)])
    assert revoked.exit_code == 0, revoked.output
    assert f"token {row.id}" in revoked.output
    db.session.expire_all()
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert runner.invoke(args=["custody", "revoke-token", str(row.id)]).exit_code == 2
    assert runner.invoke(args=["custody", "tokens", "nobody-here"]).exit_code == 2
    lines = runner.invoke(args=["custody", "tokens", user.username]).output.splitlines()
    assert not any(line.startswith(f"{row.id}\t") for line in lines)
