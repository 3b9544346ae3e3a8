"""``flask --app wsgi custody witness …``: make a witness key, serve a witness.

The witness needs none of the centre's configuration: its key file, its store file and the
verifier keys of the logs it witnesses (``--log``, repeatable, or ``--logs-file`` with one a line).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from custody.ledger.notes import SignerKey
from custody.ledger.offline import COSIGNATURE_V1, ProofError, VerifierKey
from custody.witness.app import create_witness_app, parse_log_keys


@click.group("witness")
def witness_group() -> None:
    """A C2SP tlog-witness that another agency runs: its own key and store."""


@witness_group.command("init")
@click.argument("name")
@click.option("--key-file", required=True, type=click.Path(dir_okay=False), help="Where to write the new key.")
def init(name: str, key_file: str) -> None:
    """Make a witness key (cosignature/v1) and print its verifier key."""
    try:
        key = SignerKey.generate(name, COSIGNATURE_V1)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    path = Path(key_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        click.echo(f"error: {path} exists; a witness keeps its key (remove the file to make another)", err=True)
        sys.exit(2)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.text() + "\n")
    click.echo(f"made the witness key {path} (keep it secret, back it up)")
    click.echo("witness verifier key (give it to the log and to the agencies that check cosignatures):")
    click.echo(key.verifier.text())


def load_key(key_file: str) -> SignerKey:
    try:
        key = SignerKey.parse(Path(key_file).read_text())
    except (OSError, ProofError) as exc:
        raise click.UsageError(f"cannot read the witness key {key_file}: {exc}") from exc
    if key.key_type != COSIGNATURE_V1:
        raise click.UsageError(f"{key_file} is not a witness key (make one with `custody witness init`)")
    return key


def parse_logs(texts: list[str]) -> list[VerifierKey]:
    try:
        return [key for text in texts for key in parse_log_keys(text)]
    except ProofError as exc:
        raise click.UsageError(str(exc)) from exc


@witness_group.command("serve")
@click.option("--key-file", required=True, type=click.Path(exists=True, dir_okay=False), help="The witness key.")
@click.option("--store", required=True, type=click.Path(dir_okay=False), help="The witness's SQLite file.")
@click.option("--log", "logs", multiple=True, help="A log's verifier key (repeatable).")
@click.option("--logs-file", type=click.Path(exists=True, dir_okay=False), help="Log verifier keys, one a line.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8650, show_default=True, type=int)
def serve(key_file: str, store: str, logs: tuple[str, ...], logs_file: str | None, host: str, port: int) -> None:
    """Serve POST /add-checkpoint (and GET / with the verifier key) with werkzeug's threaded server."""
    from werkzeug.serving import run_simple

    key = load_key(key_file)
    log_keys = parse_logs([*logs, Path(logs_file).read_text() if logs_file else ""])
    if not log_keys:
        raise click.UsageError("give at least one --log or a --logs-file")
    app = create_witness_app(key, store, log_keys)
    click.echo(f"witness {key.verifier.text()}")
    for log in log_keys:
        click.echo(f"  witnessing {log.text()}")
    run_simple(host, port, app, threaded=True)
