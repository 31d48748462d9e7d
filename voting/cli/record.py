"""``flask --app app record ...``: the election record of a vote day (docs/record.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.services.record_export import export_record


@click.group("record")
def record_group() -> None:
    """Export a vote day's election record for independent verification."""


@record_group.command("export")
@click.argument("vote_day")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def export_command(vote_day: str, path: Path) -> None:
    """Write VOTE_DAY's record to PATH: a new directory, or a zip file if PATH ends in .zip.

    Check it with: python -m voting.verify PATH
    """
    try:
        exported = export_record(db.session, vote_day, path, signing=log_signing())
    except VotingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Wrote the record of {vote_day} ({exported.status}) to {exported.path}: "
        f"{exported.entries} entries, final checkpoint cosigned by "
        f"{exported.witnesses_cosigned} witnesses."
    )
    click.echo(f"Verify it with: python -m voting.verify {exported.path}")
