"""``flask --app app ceremony ...``: begin and complete a vote day's key ceremony.

    flask --app app ceremony begin VOTE_DAY --trustee alice --trustee bob --trustee carol \\
        --threshold 2
    flask --app app ceremony status VOTE_DAY
    flask --app app ceremony complete VOTE_DAY [--unanswered]

Each trustee must be an official with the ``trustee`` role (its user name is
its name on the roster). Between ``begin`` and ``complete`` the trustees run
``python -m voting.trustee ceremony`` on their own machines (docs/trustees.md,
"Trustee tool").
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.services import ceremony
from voting.services import trustee_roster


@click.group("ceremony")
def ceremony_group() -> None:
    """The trustees' key ceremony of a vote day.

    begin names the trustees and the threshold; each trustee then runs
    python -m voting.trustee on their own computer; complete derives and logs the
    election key once every trustee is ready (docs/trustees.md).

    \b
    Example:
      flask --app app ceremony begin 2026-06-14-ch --trustee alice --trustee bob \\
          --trustee carol --threshold 2
      flask --app app ceremony status 2026-06-14-ch
      flask --app app ceremony complete 2026-06-14-ch
    """


@ceremony_group.command("begin")
@click.argument("vote_day")
@click.option("--trustee", "trustees", multiple=True, required=True, help="Repeat, in order.")
@click.option("--threshold", type=int, required=True, help="t: how many trustees decrypt.")
@with_appcontext
def begin_command(vote_day: str, trustees: tuple[str, ...], threshold: int) -> None:
    """Name the trustees and the threshold: draft → key-ceremony."""
    try:
        trustee_roster.begin_ceremony(
            db.session,
            vote_day,
            trustees=list(trustees),
            threshold=threshold,
            signing=log_signing(current_app),
        )
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Key ceremony of {vote_day} begun: {threshold} of {len(trustees)} trustees.")


@ceremony_group.command("status")
@click.argument("vote_day")
@with_appcontext
def status_command(vote_day: str) -> None:
    """Who has committed, dealt and is ready; unanswered complaints."""
    try:
        state = ceremony.ceremony_state(db.session, vote_day)
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    names = state.ceremony.trustees
    summary = {
        "committed": [names[i - 1] for i in sorted(state.commitments)],
        "dealt": [names[i - 1] for i in sorted(state.shares)],
        "ready": [names[i - 1] for i in sorted(state.ready)],
        "complaints": [c.to_json() for c in state.complaints],
        "unanswered": [c.to_json() for c in ceremony.unanswered_complaints(state)],
        "complete": state.election_key is not None,
    }
    click.echo(json.dumps(summary, indent=2))


@ceremony_group.command("complete")
@click.argument("vote_day")
@click.option(
    "--unanswered",
    is_flag=True,
    help="The deadline for answers has passed: disqualify trustees who did not answer.",
)
@with_appcontext
def complete_command(vote_day: str, unanswered: bool) -> None:
    """Derive and log the election key: key-ceremony → credentials."""
    try:
        key = trustee_roster.complete_ceremony(
            db.session, vote_day, unanswered=unanswered, signing=log_signing(current_app)
        )
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Election key of {vote_day}: {key.public_key.hex()}")
