"""``flask --app wsgi custody checkpoint | verify-proof | key``: the verifiable log from the command line.

``verify-proof`` is what an agency runs on a bundle it was given: it reads no database and opens no
connection (it is ``custody.ledger.offline``, which also runs alone as ``python offline.py``).
``checkpoint --every SECONDS`` is the schedule: run it under systemd or cron (see docs/).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from custody.extensions import db
from custody.ledger import offline
from custody.services import bundles


def _report(result: bundles.Offered) -> None:
    """Each witness's answer on standard error, so that standard output stays the checkpoint itself."""
    for outcome in result.outcomes:
        detail = f" ({outcome.detail})" if outcome.detail else ""
        click.echo(f"witness {outcome.witness}: {outcome.status}{detail}", err=True)
    if result.quorum:
        click.echo(f"cosigned by {result.cosignatures} of {result.quorum} required", err=True)


@click.command("checkpoint")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Keep running: every SECONDS, make a checkpoint when the ledger grew, and offer it to the witnesses.",
)
@with_appcontext
def checkpoint(every: int | None) -> None:
    """Make a checkpoint now, offer it to the witnesses and print it; exit 1 when the witness quorum was not reached."""
    if every is None:
        now = bundles.checkpoint_now("@cli")
        click.echo(now.text, nl=False)
        _report(now)
        sys.exit(0 if now.witnessed else 1)
    try:
        while True:
            made = bundles.checkpoint_if_grown("@schedule")
            if made is not None:
                stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                state = "witnessed" if made.witnessed else "NOT witnessed"
                click.echo(f"{stamp} checkpoint {made.size} {made.root} {state}")
                _report(made)
            db.session.remove()  # a fresh session each tick, as a request gets: see what others committed since
            time.sleep(every)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@click.command("verify-proof")
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.option("--key", "log_key", required=True, help="The log's verifier key, or a file holding it.")
@click.option("--witness", "witnesses", multiple=True, help="A witness's verifier key (or file); repeat for each.")
@click.option("--document", type=click.Path(dir_okay=False), help="A receipt or record PDF the ledger must record.")
def verify_proof(bundle: str, log_key: str, witnesses: tuple[str, ...], document: str | None) -> None:
    """Check a proof bundle offline (no database, no network): exit 0 when genuine, 1 otherwise."""
    argv = [bundle, "--key", log_key]
    for witness in witnesses:
        argv += ["--witness", witness]
    if document:
        argv += ["--document", document]
    sys.exit(offline.main(argv))


@click.command("key")
@with_appcontext
def key() -> None:
    """Print the log's verifier key (give it to the agencies that check checkpoints and receipts)."""
    click.echo(bundles.verifier_key())


COMMANDS = (checkpoint, verify_proof, key)
