"""flask custody … as an operator would run it."""

from sqlalchemy import select, text

from custody.extensions import db
from custody.models import Agency, Case, Item, Location, User


def test_init_is_idempotent(runner):
    result = runner.invoke(args=["custody", "init"])
    assert result.exit_code == 0, result.output
    assert "latest schema" in result.output


def test_agency_and_user_add_then_token_authenticates(runner, client):
    assert runner.invoke(args=["custody", "agency", "add", "PSB", "某市公安局", "--kind", "police"]).exit_code == 0
    result = runner.invoke(
        args=[
            "custody",
            "user",
            "add",
            "zhang",
            "--agency",
            "PSB",
            "--role",
            "handler",
            "--role",
            "approver",
            "--name",
            "张三",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.username == "zhang")).one()
    assert user.roles == {"handler", "approver"} and user.name == "张三"
    assert "a long enough password" not in user.password_hash
    token = runner.invoke(args=["custody", "token", "zhang"]).output.strip()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["username"] == "zhang" and me["agency"]["code"] == "PSB"


def test_cli_errors_are_clear_and_exit_non_zero(runner):
    bad_kind = runner.invoke(args=["custody", "agency", "add", "X", "x", "--kind", "army"])
    assert bad_kind.exit_code != 0 and "army" in bad_kind.output
    runner.invoke(args=["custody", "agency", "add", "PSB", "p", "--kind", "police"])
    dup = runner.invoke(args=["custody", "agency", "add", "PSB", "p", "--kind", "police"])
    assert dup.exit_code == 2 and "exists" in dup.output
    no_agency = runner.invoke(
        args=["custody", "user", "add", "li", "--agency", "NONE", "--role", "keeper", "--password", "x" * 12]
    )
    assert no_agency.exit_code == 2 and "NONE" in no_agency.output
    short = runner.invoke(
        args=["custody", "user", "add", "li", "--agency", "PSB", "--role", "keeper", "--password", "short"]
    )
    assert short.exit_code == 2 and "password" in short.output
    assert runner.invoke(args=["custody", "token", "ghost"]).exit_code == 2


def test_demo_loads_a_centre_and_prints_passwords_that_work(runner, client):
    result = runner.invoke(args=["custody", "demo"])
    assert result.exit_code == 0, result.output
    kinds = set(db.session.scalars(select(Agency.kind)))
    assert kinds == {"police", "procuratorate", "court", "centre", "supervision"}
    roles = {r for u in db.session.scalars(select(User)) for r in u.roles}
    assert roles == {"handler", "approver", "keeper", "auditor", "admin"}
    assert db.session.scalars(select(Location).where(Location.kind == "shelf")).first() is not None
    assert len(list(db.session.scalars(select(Case)))) >= 3 and db.session.scalars(select(Item)).first() is not None
    line = next(line for line in result.output.splitlines() if line.strip().startswith("keeper"))
    password = line.split()[1]
    assert client.post("/api/v1/auth/tokens", json={"username": "keeper", "password": password}).status_code == 201
    again = runner.invoke(args=["custody", "demo"])  # already loaded: new passwords, nothing duplicated
    assert again.exit_code == 0 and len(list(db.session.scalars(select(Case)))) == 3
    assert runner.invoke(args=["custody", "verify"]).exit_code == 0


def test_verify_exits_1_and_names_the_first_bad_entry(runner, make):
    handler = make.user("handler")
    make.items(handler, make.case(handler), 1)
    ok = runner.invoke(args=["custody", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    db.session.execute(text("UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 2"))
    db.session.commit()
    bad = runner.invoke(args=["custody", "verify"])
    assert bad.exit_code == 1 and "seq 2" in bad.output
