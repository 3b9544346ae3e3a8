"""``flask --app wsgi custody tokens USERNAME | revoke-token ID``: API tokens from the command line.

For the operator who learns that a token leaked: list a user's tokens (prefix, dates, never the secret)
and revoke one by its id. Revocation marks the row, so it stays on record (see custody/services/tokens.py).
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from custody.errors import DomainError


@click.command("tokens")
@click.argument("username")
@with_appcontext
def list_tokens(username: str) -> None:
    """List USERNAME's unrevoked API tokens: id, prefix, created, expires."""
    from custody.services.tokens import tokens_for_cli

    try:
        views = tokens_for_cli(username)
    except DomainError as error:
        click.echo(f"error: {error.detail}", err=True)
        sys.exit(2)
    for view in views:
        state = " expired" if view.expired else ""
        click.echo(
            f"{view.id}\t{view.prefix}…\tcreated {view.created_at.isoformat()}"
            f"\texpires {view.expires_at.isoformat()}{state}"
        )


@click.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token(token_id: int) -> None:
    """Revoke the API token TOKEN_ID at once (ids from ``custody tokens USERNAME``)."""
    from custody.services.tokens import revoke_any

    try:
        row = revoke_any(token_id)
    except DomainError as error:
        click.echo(f"error: {error.detail}", err=True)
        sys.exit(2)
    click.echo(f"token {row.id} ({row.prefix}…) revoked")


COMMANDS = (list_tokens, revoke_token)
