"""``flask log ...``: operate the bulletin board (docs/log.md)."""

from __future__ import annotations

import datetime as dt

import click

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log.audit import audit_log


@click.group("log")
def log_group() -> None:
    """The append-only logs of the vote days."""


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
