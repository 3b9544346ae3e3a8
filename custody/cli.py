"""``flask --app wsgi custody …``: parse → service → echo."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from custody.errors import DomainError
from custody.extensions import db
from custody.ledger import SYSTEM
from custody.models import Role, User


@click.group("custody")
def custody_group() -> None:
    """Custody ledger administration."""


def _fail(error: DomainError) -> None:
    click.echo(f"error: {error.detail}", err=True)
    for field, messages in (error.errors or {}).items():
        click.echo(f"  {field}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}", err=True)
    sys.exit(2)


@custody_group.command("init")
@with_appcontext
def init() -> None:
    """Create the database schema, or upgrade it to the latest version."""
    from flask_migrate import upgrade

    from custody.ledger.keys import ensure_log_key

    upgrade()
    click.echo("database is at the latest schema")
    key, created = ensure_log_key(current_app)
    if created:
        click.echo(f"made the log key {current_app.config['CUSTODY_LOG_KEY_FILE']} (keep it secret, back it up)")
    click.echo(f"log verifier key (give it to the agencies that check receipts): {key.verifier.text()}")


@custody_group.command("demo")
@click.option("--password", help="Give every demo user this password instead of random ones.")
@with_appcontext
def demo(password: str | None) -> None:
    """Load a demo centre and print its users' passwords."""
    from custody.services.demo import load_demo

    try:
        users = load_demo(password)
    except DomainError as error:
        _fail(error)
    click.echo("Demo users (username / password / agency / roles):")
    for user in users:
        click.echo(f"  {user.username:<16} {user.password:<16} {user.agency:<4} {', '.join(user.roles)}")


@custody_group.group("agency")
def agency_group() -> None:
    """Agencies."""


@agency_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(["police", "procuratorate", "court", "centre", "supervision"]))
@with_appcontext
def agency_add(code: str, name: str, kind: str) -> None:
    """Add an agency."""
    from custody.services.people import add_agency

    try:
        add_agency(SYSTEM, code, name, kind)
    except DomainError as error:
        _fail(error)
    click.echo(f"agency {code} added")


@custody_group.group("user")
def user_group() -> None:
    """Users."""


@user_group.command("add")
@click.argument("username")
@click.option("--agency", "agency_code", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name")
@click.option("--password")
@with_appcontext
def user_add(username: str, agency_code: str, roles: tuple[str, ...], name: str | None, password: str | None) -> None:
    """Add a user. Without --password: prompt, or read one line from standard input."""
    from custody.services.people import add_user

    try:
        add_user(SYSTEM, username, agency_code=agency_code, roles=roles, password=_read_password(password), name=name)
    except DomainError as error:
        _fail(error)
    click.echo(f"user {username} added")


def _read_password(given: str | None) -> str:
    """``--password``, else a prompt on a terminal, else one line of standard input (for scripts)."""
    if given is not None:
        return given
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


@user_group.command("password")
@click.argument("username")
@click.option("--password")
@click.option(
    "--must-change/--keep", default=True, show_default=True, help="Make the user choose their own at next sign-in."
)
@with_appcontext
def user_password(username: str, password: str | None, must_change: bool) -> None:
    """Set a user's password (a forgotten one, say). Same rules as everywhere: length, not the username, not common."""
    from custody.services.people import reset_password

    try:
        reset_password(username, _read_password(password), must_change=must_change)
    except DomainError as error:
        _fail(error)
    click.echo(f"password of {username} set" + (" (to be changed at next sign-in)" if must_change else ""))


@custody_group.command("token")
@click.argument("username")
@click.option("--days", type=int, help="Lifetime in days (default CUSTODY_TOKEN_DAYS).")
@with_appcontext
def token(username: str, days: int | None) -> None:
    """Print a new API token for USERNAME."""
    from custody.services.auth import issue_token

    user = db.session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        click.echo(f"error: no user {username}", err=True)
        sys.exit(2)
    plain, _row = issue_token(user, days)
    click.echo(plain)


@custody_group.command("verify")
@with_appcontext
def verify() -> None:
    """Verify the whole ledger; exit 1 and name the first bad entry when it is not intact."""
    from custody.services.ledger_view import verify as run

    result = run(None)
    if result.ok:
        click.echo(f"ledger intact: {result.checked} entries, head {result.head_seq} {result.head_hash}")
        return
    click.echo(
        f"LEDGER NOT INTACT: first bad entry seq {result.first_bad_seq} ({result.reason}); "
        f"{result.checked} entries checked before it",
        err=True,
    )
    sys.exit(1)


@custody_group.command("alerts")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, for machines.")
@click.option("--rule", help="Only this rule.")
@click.option("--severity", type=click.Choice(["high", "medium", "low"]), help="Only this severity.")
@with_appcontext
def alerts_command(as_json: bool, rule: str | None, severity: str | None) -> None:
    """Print every current alert of the centre; exit 1 when any high-severity alert exists (for cron), else 0."""
    import json

    from custody.services import alerts

    try:
        found = alerts.current_alerts(None, rule=rule, severity=severity)
        counted = alerts.counts(None)
    except DomainError as error:
        _fail(error)
    for alert in found:
        since = alert.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        subject = f"{alert.subject_kind}:{alert.subject_code}"
        if as_json:
            record = {
                "rule": alert.rule,
                "severity": alert.severity,
                "subject": {"kind": alert.subject_kind, "code": alert.subject_code},
                "since": since,
                "case_no": alert.case_no,
                "detail": alert.detail,
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(f"{alert.severity}\t{alert.rule}\t{subject}\t{since}\t{alert.detail}")
    shown = sum(
        n
        for name, n in counted.by_rule.items()
        if rule in (None, name) and severity in (None, alerts.RULES[name].severity)
    )
    more = f" ({shown - len(found)} more not listed: at most {alerts.RULE_CAP} per rule)" if shown > len(found) else ""
    click.echo(f"{counted.high} high, {counted.medium} medium, {counted.low} low{more}", err=True)
    sys.exit(1 if counted.high else 0)
