"""The "API tokens" page: own tokens listed without secrets, revoked by a CSRF-protected POST."""

from __future__ import annotations

from typing import Any

from custody.services.auth import issue_token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_page_lists_own_tokens_and_revokes(client: Any, make: Any, login: Any, post_form: Any) -> None:
    user, other = make.user("handler"), make.user("handler")
    token, row = issue_token(user)
    _others, other_row = issue_token(other)
    login(user)
    page = client.get("/account/tokens")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-token-id="{row.id}"' in html and row.prefix in html
    assert f'data-token-id="{other_row.id}"' not in html
    assert token not in html and row.token_hash not in html
    assert 'href="/account/tokens"' in client.get("/").get_data(as_text=True)  # linked from the user menu
    response = post_form("/account/tokens", {}, to=f"/account/tokens/{row.id}/revoke")
    assert response.status_code == 302
    assert f'data-token-id="{row.id}"' not in client.get("/account/tokens").get_data(as_text=True)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_revoke_needs_csrf_and_refuses_others_tokens(client: Any, make: Any, login: Any, post_form: Any) -> None:
    user, other = make.user("handler"), make.user("handler")
    others, other_row = issue_token(other)
    login(user)
    assert client.post(f"/account/tokens/{other_row.id}/revoke").status_code == 400  # no CSRF token
    response = post_form("/account/tokens", {}, to=f"/account/tokens/{other_row.id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/me", headers=_bearer(others)).status_code == 200
    assert client.get(f"/account/tokens?user={other.username}").status_code == 404


def test_admin_sees_and_revokes_a_users_tokens(client: Any, make: Any, login: Any, post_form: Any) -> None:
    agency = make.agency()
    admin, user = make.user("admin", agency=agency), make.user("handler", agency=agency)
    token, row = issue_token(user)
    login(admin)
    page = client.get(f"/account/tokens?user={user.username}")
    assert page.status_code == 200 and f'data-token-id="{row.id}"' in page.get_data(as_text=True)
    response = post_form(
        f"/account/tokens?user={user.username}", {"user": user.username}, to=f"/account/tokens/{row.id}/revoke"
    )
    assert response.status_code == 302 and f"user={user.username}" in response.headers["Location"]
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_page_needs_sign_in(client: Any) -> None:
    assert client.get("/account/tokens").status_code == 302
