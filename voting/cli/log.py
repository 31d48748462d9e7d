"""``flask log ...``: operate the bulletin board (docs/log.md)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click
from flask import current_app

from voting.app.extensions import db
from voting.app.log_signing import init_log_key
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.log import bulletin
from voting.log.audit import audit_log
from voting.log.keys import LogKeyError
from voting.log.tiles import logs_with_checkpoints
from voting.log.tiles import publish_tiles


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


@log_group.command("tiles")
@click.argument("names", nargs=-1)
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="where to write the tiles (default: URNA_TILES_FOLDER)",
)
@click.option(
    "--every",
    type=click.FloatRange(min=0.1),
    help="keep publishing, every this many seconds (a background step), until interrupted",
)
def tiles_command(names: tuple[str, ...], folder: Path | None, every: float | None) -> None:
    """Publish logs NAMES (default: every log with a checkpoint) as C2SP tlog-tiles.

    Writes FOLDER/NAME/checkpoint and FOLDER/NAME/tile/...: serve FOLDER with
    any static file server or CDN (docs/log.md, "Tiles").
    """
    target = folder or Path(current_app.config["URNA_TILES_FOLDER"])
    while True:
        for name in names or logs_with_checkpoints(db.session):
            try:
                done = publish_tiles(db.session, name, target)
            except VotingError as exc:
                db.session.rollback()
                raise click.ClickException(f"log {name!r}: {exc}") from exc
            if every is None or done.size != done.old_size:
                click.echo(
                    f"log {name!r}: published size {done.size} to {done.directory} "
                    f"({done.files_written} files written)"
                )
        if every is None:
            return
        time.sleep(every)
