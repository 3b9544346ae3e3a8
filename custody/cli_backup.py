"""``flask --app wsgi custody backup DEST | restore SRC``: parse → service → echo (custody/services/backups.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from custody.errors import DomainError


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup(dest: Path) -> None:
    """Take an online snapshot of the database, the files and the log's public key into DEST (new or empty)."""
    from custody.services.backups import backup as take_backup

    try:
        manifest = take_backup(dest)
    except DomainError as error:
        click.echo(f"error: {error.detail}", err=True)
        sys.exit(2)
    head = manifest["head"]
    click.echo(
        f"backup written to {dest}: ledger head seq {head['seq']} {head['hash']}, tree root {manifest['tree_root']}"
    )
    click.echo(f"{len(manifest['files']) - 2} stored files; the log's private key is NOT in it (back it up separately)")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore(src: Path) -> None:
    """Restore the backup in SRC into an empty database and files directory, then verify the ledger."""
    from custody.services.backups import restore as run_restore

    try:
        result = run_restore(src)
    except DomainError as error:
        click.echo(f"error: {error.detail}", err=True)
        sys.exit(2)
    click.echo(f"restored {result.files} files and {result.checked} ledger entries; the ledger verifies")
    click.echo(f"ledger head seq {result.seq} {result.hash} equals the backup's manifest")
    if not result.key_present:
        click.echo(
            "warning: the log's private key is not configured: restore it (CUSTODY_LOG_KEY_FILE or CUSTODY_LOG_KEY)"
            " before the app runs, or a new key would sign checkpoints nobody can check",
            err=True,
        )


COMMANDS = [backup, restore]
