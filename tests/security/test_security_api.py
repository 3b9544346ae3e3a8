"""The API side: 429 with Retry-After, password rules and changes, the forced change of demo passwords,
the security log for administrators, refusals recorded, and client addresses behind a trusted proxy."""

from __future__ import annotations

import json

from sqlalchemy import select

from custody import create_app
from custody.extensions import db
from custody.models import SecurityEvent
from custody.services import people

STRONG = "plum-harbour-lantern-42"


def _events(**where):
    db.session.rollback()
    stmt = select(SecurityEvent).order_by(SecurityEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(SecurityEvent, name) == value)
    return list(db.session.scalars(stmt))


def test_too_many_failures_answer_429_with_retry_after(client, make, app):
    user = make.user("handler")
    for _ in range(app.config["CUSTODY_SIGNIN_FREE"]):
        assert client.post("/api/v1/auth/tokens", json={"username": user.username, "password": "x"}).status_code == 401
    response = client.post("/api/v1/auth/tokens", json={"username": user.username, "password": make.PASSWORD})
    assert response.status_code == 429 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "too_many_attempts"
    assert int(response.headers["Retry-After"]) in (1, 2)
    assert [e.kind for e in _events(username=user.username)][-2:] == ["lockout", "signin_throttled"]


def test_password_rules_at_the_command_line(runner, make):
    agency = make.agency("police", code="PSB2")
    add = ["custody", "user", "add", "wang.xiaoming", "--agency", agency.code, "--role", "keeper"]
    for password, message in [
        ("short", "At least 10 characters"),
        ("password123", "Too common"),
        ("Qwertyuiop", "Too common"),
        ("wang.xiaoming", "Must not be the username"),
    ]:
        result = runner.invoke(args=[*add, "--password", password])
        assert result.exit_code == 2 and message in result.output, (password, result.output)
    ok = runner.invoke(args=[*add, "--password", STRONG])
    assert ok.exit_code == 0, ok.output


def test_changing_ones_password_through_the_api(client, api, make):
    user = make.user("handler")
    authed = api(user)
    wrong = authed.post("/api/v1/auth/password", json={"current_password": "nope", "new_password": STRONG})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["errors"]
    common = authed.post("/api/v1/auth/password", json={"current_password": make.PASSWORD, "new_password": "iloveyou1"})
    assert common.status_code == 422 and "new_password" in common.get_json()["errors"]
    done = authed.post("/api/v1/auth/password", json={"current_password": make.PASSWORD, "new_password": STRONG})
    assert done.status_code == 204
    assert client.post("/api/v1/auth/tokens", json={"username": user.username, "password": STRONG}).status_code == 201
    assert _events(kind="password_changed")[0].user_id == user.id
    assert client.post("/api/v1/auth/password", json={"current_password": "a", "new_password": "b"}).status_code == 401


def test_demo_passwords_must_be_changed_outside_demo_mode(client, api, make, app, monkeypatch):
    user = make.user("keeper")
    people.set_password(user, "printed-demo-pass", must_change=True)
    db.session.commit()
    assert api(user).get("/api/v1/me").status_code == 200  # demo mode (development's default): allowed
    monkeypatch.setitem(app.config, "CUSTODY_DEMO_MODE", False)
    token = client.post("/api/v1/auth/tokens", json={"username": user.username, "password": "printed-demo-pass"})
    assert token.status_code == 201  # signing in is how one gets to change it
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    refused = client.get("/api/v1/locations", headers=headers)
    assert refused.status_code == 403 and refused.get_json()["code"] == "password_change_required"
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": "printed-demo-pass", "new_password": STRONG},
        headers=headers,
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/agencies", headers=headers).status_code == 200


def test_refusals_are_recorded_and_admins_read_the_log(client, api, make):
    police = make.agency("police", code="PSB")
    centre = make.agency("centre", code="CTR")
    handler = make.user("handler", agency=police, username="h.police")
    police_admin = make.user("admin", agency=police, username="a.police")
    centre_admin = make.user("admin", agency=centre, username="a.centre")
    other_agency_user = make.user("handler", agency=make.agency("court", code="CRT"), username="h.court")
    authed = api(handler)
    assert authed.post("/api/v1/locations", json={"name": "Shelf", "kind": "shelf"}).status_code == 403
    assert client.post("/api/v1/auth/tokens", json={"username": "h.court", "password": "x"}).status_code == 401
    assert client.post("/api/v1/auth/tokens", json={"username": "ghost", "password": "x"}).status_code == 401
    refused = _events(kind="forbidden")
    assert refused and refused[0].user_id == handler.id and refused[0].path == "/api/v1/locations"
    assert refused[0].method == "POST" and refused[0].request_id

    assert authed.get("/api/v1/security/events").status_code == 403
    everything = api(centre_admin).get("/api/v1/security/events?limit=1000").get_json()
    usernames = {e["username"] for e in everything["items"]}
    assert {"h.police", "h.court", "ghost"} <= usernames
    first = everything["items"][0]
    assert set(first) >= {"id", "at", "kind", "username", "address", "path", "detail"} and first["at"].endswith("Z")
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    own = api(police_admin).get("/api/v1/security/events?limit=1000").get_json()["items"]
    assert {e["username"] for e in own} <= {"h.police", "a.police"} and own
    failed = api(centre_admin).get("/api/v1/security/events?kind=signin_failed").get_json()["items"]
    assert {e["username"] for e in failed} == {"h.court", "ghost"}
    assert other_agency_user.username not in {e["username"] for e in own}


def test_security_log_pages_through_with_a_cursor(api, make, client):
    admin = make.user("admin", agency=make.agency("centre", code="CTR"))
    for i in range(5):
        client.post("/api/v1/auth/tokens", json={"username": f"nobody{i}", "password": "x"})
    authed = api(admin)
    first = authed.get("/api/v1/security/events?kind=signin_failed&limit=3").get_json()
    second = authed.get(f"/api/v1/security/events?kind=signin_failed&limit=3&cursor={first['next']}").get_json()
    names = [e["username"] for e in first["items"] + second["items"]]
    assert names == [f"nobody{i}" for i in range(4, -1, -1)] and second["next"] is None


def test_client_address_behind_a_trusted_proxy(app, make):
    make.user("handler", username="proxy.user")
    direct = app.test_client()
    direct.post(
        "/api/v1/auth/tokens",
        json={"username": "proxy.user", "password": "x"},
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert _events()[-1].address == "10.0.0.2"  # not trusted by default: a client could forge it
    behind = create_app({**app.config, "CUSTODY_TRUSTED_PROXIES": 1})
    try:
        behind.test_client().post(
            "/api/v1/auth/tokens",
            json={"username": "proxy.user", "password": "x"},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        assert _events()[-1].address == "203.0.113.9"  # one trusted hop: the address it saw
    finally:
        with behind.app_context():
            db.engine.dispose()


def test_admin_sets_a_password_at_the_command_line(runner, client, make, app, monkeypatch):
    user = make.user("keeper", username="forgetful")
    weak = runner.invoke(args=["custody", "user", "password", "forgetful", "--password", "12345678910"])
    assert weak.exit_code == 2 and "Too common" in weak.output
    missing = runner.invoke(args=["custody", "user", "password", "nobody", "--password", STRONG])
    assert missing.exit_code == 2
    done = runner.invoke(args=["custody", "user", "password", "forgetful"], input=STRONG + "\n")
    assert done.exit_code == 0 and "next sign-in" in done.output, done.output
    monkeypatch.setitem(app.config, "CUSTODY_DEMO_MODE", False)
    token = client.post("/api/v1/auth/tokens", json={"username": user.username, "password": STRONG}).get_json()
    refused = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token['token']}"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "password_change_required"
    assert _events(kind="password_changed")[0].detail == "set at the command line"


def test_each_event_is_also_a_structured_log_line(client, make, caplog):
    from custody.ops.logs import JsonFormatter

    make.user("handler", username="logged")
    with caplog.at_level("INFO", logger="custody.security"):
        client.post("/api/v1/auth/tokens", json={"username": "logged", "password": "x"})
    records = [r for r in caplog.records if r.name == "custody.security"]
    assert records and records[-1].levelname == "WARNING"
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["event"] == "signin_failed" and line["username"] == "logged" and line["address"] == "127.0.0.1"
    assert line["path"] == "/api/v1/auth/tokens" and line["logger"] == "custody.security"
