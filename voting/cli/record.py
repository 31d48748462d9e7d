"""``flask --app app record ...``: the election record of a vote day (docs/record.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import record_folder
from voting.errors import VotingError
from voting.services.record_export import export_record
from voting.services.record_store import build_record
from voting.services.record_store import refresh_records


@click.group("record")
def record_group() -> None:
    """Export or build a vote day's election record for independent verification.

    export writes the record (entries, checkpoint, log key, witnesses) to a new
    directory or zip file; build writes the published record the observers'
    pages serve. Anyone checks it with python -m voting.verify (docs/record.md).

    \b
    Example:
      flask --app app record export 2026-06-14-ch record.zip
      python -m voting.verify record.zip
    """


@record_group.command("export")
@click.argument("vote_day")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--tiles",
    is_flag=True,
    help="write the entries as C2SP tlog-tiles (checkpoint, tile/) instead of entries.jsonl; "
    "PATH is then a directory any static file server can serve",
)
@with_appcontext
def export_command(vote_day: str, path: Path, tiles: bool) -> None:
    """Write VOTE_DAY's record to PATH: a new directory, or a zip file if PATH ends in .zip.

    Check it with: python -m voting.verify PATH
    """
    try:
        exported = export_record(db.session, vote_day, path, signing=log_signing(), tiles=tiles)
    except VotingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Wrote the record of {vote_day} ({exported.status}) to {exported.path}: "
        f"{exported.entries} entries, final checkpoint cosigned by "
        f"{exported.witnesses_cosigned} witnesses."
    )
    click.echo(f"Verify it with: python -m voting.verify {exported.path}")


@record_group.command("build")
@click.argument("vote_day", required=False)
@with_appcontext
def build_command(vote_day: str | None) -> None:
    """Build the published record that /observe/<day>/record.zip serves (all published days if
    VOTE_DAY is left out); a record whose checkpoint gained no cosignature is kept as it is.
    """
    folder = record_folder()
    try:
        if vote_day is None:
            lines = refresh_records(db.session, folder, signing=log_signing())
            click.echo("\n".join(lines) or "Every published record is current.")
            return
        stored = build_record(db.session, vote_day, folder, signing=log_signing())
    except VotingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"The record of {vote_day}: {stored.path(folder)} ({stored.entries} entries, "
        f"{stored.witnesses_cosigned} witnesses cosigned, sha256 {stored.sha256})."
    )
