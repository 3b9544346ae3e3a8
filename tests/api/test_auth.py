"""Tokens, 401/403, and problem+json shape."""

from datetime import UTC, datetime, timedelta

from custody import clock


def _problem(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code and body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_token_from_username_and_password_works_as_bearer(client, make):
    user = make.user("handler")
    response = client.post("/api/v1/auth/tokens", json={"username": user.username, "password": make.PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"] and body["expires_at"].endswith("Z")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json() == {
        "username": user.username,
        "name": user.name,
        "agency": {"code": user.agency.code, "name": user.agency.name, "kind": "police"},
        "roles": ["handler"],
    }


def test_wrong_password_unknown_user_and_missing_fields(client, make):
    user = make.user("handler")
    _problem(
        client.post("/api/v1/auth/tokens", json={"username": user.username, "password": "nope"}), 401, "unauthorized"
    )
    _problem(client.post("/api/v1/auth/tokens", json={"username": "ghost", "password": "nope"}), 401, "unauthorized")
    body = _problem(client.post("/api/v1/auth/tokens", json={"username": user.username}), 422, "invalid_input")
    assert "password" in body["errors"]


def test_no_bad_expired_token_is_401(client, api, make):
    user = make.user("handler")
    _problem(client.get("/api/v1/me"), 401, "unauthorized")
    _problem(client.get("/api/v1/me", headers={"Authorization": "Bearer cst_nonsense"}), 401, "unauthorized")
    authed = api(user)
    clock.set_clock(lambda: datetime.now(UTC) + timedelta(days=31))
    _problem(authed.get("/api/v1/me"), 401, "unauthorized")


def test_tokens_are_stored_hashed(api, make):
    from sqlalchemy import select

    from custody.extensions import db
    from custody.models import ApiToken

    user = make.user("handler")
    authed = api(user)
    token = authed.headers["Authorization"].split()[1]
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_unknown_api_path_is_problem_404(api, make):
    _problem(api(make.user("handler")).get("/api/v1/nothing-here"), 404, "not_found")


def test_cookie_session_post_to_api_needs_csrf(client, login, make):
    handler = make.user("handler")
    login(handler)
    response = client.post("/api/v1/cases", json={"case_no": "C-1", "title": "t"})
    _problem(response, 403, "forbidden")


def test_agencies_lists_every_agency(api, make):
    user = make.user("handler")
    make.agency("court", code="CRT9", name="Court nine")
    body = api(user).get("/api/v1/agencies").get_json()
    assert {"code": "CRT9", "name": "Court nine", "kind": "court"} in body["items"]
    assert body["next"] is None
