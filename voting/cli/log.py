"""``flask log ...``: operate the bulletin board (docs/log.md)."""

from __future__ import annotations

import datetime as dt

import click

from voting.app.extensions import db
from voting.app.log_signing import init_log_key
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log.audit import audit_log
from voting.log.keys import LogKeyError


@click.group("log")
def log_group() -> None:
    """The append-only logs of the vote days.

    Each vote day has a Merkle log signed with the log key (docs/log.md): key
    prints the verifier key to publish, checkpoint signs the log now, audit
    recomputes every hash from the entries.

    \b
    Example:
      flask --app app log key 2026-06-14-ch
      flask --app app log checkpoint 2026-06-14-ch
      flask --app app log audit 2026-06-14-ch
    """


@log_group.command("init-key")
def init_key_command() -> None:
    """Create the log key file (URNA_LOG_KEY_PATH) if it is missing; print where it is."""
    from flask import current_app

    try:
        _, created = init_log_key(current_app)
    except LogKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    path = current_app.config["URNA_LOG_KEY_PATH"]
    click.echo(
        f"{'created' if created else 'kept the existing'} log key {path}; "
        "print a log's verifier key with 'flask log key NAME' and publish it"
    )


@log_group.command("key")
@click.argument("name")
def key_command(name: str) -> None:
    """Print the verifier key of log NAME (publish it independently of the server)."""
    click.echo(str(log_signing().verifier_key(bulletin.log_origin(db.session, name))))


@log_group.command("checkpoint")
@click.argument("name")
def checkpoint_command(name: str) -> None:
    """Sign a checkpoint of the whole log NAME now, and print it."""
    stored = bulletin.issue_checkpoint(db.session, name, log_signing(), interval=dt.timedelta(0))
    click.echo(stored.note, nl=False)


@log_group.command("audit")
@click.argument("name")
def audit_command(name: str) -> None:
    """Recompute every hash of log NAME from its entries and compare (reads the whole log)."""
    try:
        report = audit_log(db.session, name)
    except bulletin.LogCorrupted as exc:
        raise click.ClickException(f"log {name!r} is corrupted: {exc.message}") from exc
    click.echo(
        f"log {name!r}: {report.size} entries, {report.nodes} subtree hashes and "
        f"{report.checkpoints} checkpoints recomputed: all match"
    )
