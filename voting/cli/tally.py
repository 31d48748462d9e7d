"""``flask --app app tally ...``: start the tally, publish, print results.

    flask --app app tally start VOTE_DAY
    flask --app app tally publish VOTE_DAY
    flask --app app tally results VOTE_DAY [--bfs]

Decryption shares come from the trustees (API ``POST decryption-shares``);
the tally finishes by itself when t trustees have shared every unit.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import build_published_record
from voting.app.record_files import record_folder
from voting.errors import VotingError
from voting.services import results
from voting.services import tally
from voting.services.bfs_export import bfs_document


@click.group("tally")
def tally_group() -> None:
    """Tally, results and publication of a vote day.

    start logs the encrypted totals of a closed vote day; the trustees then
    decrypt with python -m voting.trustee decrypt; results prints the results
    (--bfs: the Federal Statistical Office's format); publish logs them.

    \b
    Example:
      flask --app app tally start 2026-06-14-ch
      flask --app app tally results 2026-06-14-ch
      flask --app app tally publish 2026-06-14-ch
    """


@tally_group.command("start")
@click.argument("vote_day")
@with_appcontext
def start_command(vote_day: str) -> None:
    """Log the encrypted totals of a closed vote day."""
    try:
        summary = tally.start_tally(db.session, vote_day, signing=log_signing(current_app))
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Encrypted totals of {summary.units} units ({summary.ballots} ballots) logged.")


@tally_group.command("publish")
@click.argument("vote_day")
@with_appcontext
def publish_command(vote_day: str) -> None:
    """Log the results of a tallied vote day and publish them."""
    try:
        count = results.publish_results(db.session, vote_day, signing=log_signing(current_app))
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Published: {count} result records logged.")
    built = build_published_record(vote_day)
    if built is None:
        raise click.ClickException(f"the record was not built: run 'flask record build {vote_day}'")
    click.echo(f"The record is built: {built.path(record_folder())}")


@tally_group.command("results")
@click.argument("vote_day")
@click.option("--bfs", is_flag=True, help="In the Federal Statistical Office's sd-t-17-02 JSON.")
@with_appcontext
def results_command(vote_day: str, bfs: bool) -> None:
    """Print the results as JSON."""
    try:
        document = (
            bfs_document(db.session, vote_day) if bfs else results.results(db.session, vote_day)
        )
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
