"""``flask --app app schedule run``: open and close vote days at their scheduled times.

Each pass also pushes the latest checkpoint of every log with C2SP witnesses
to them (``add-checkpoint``, :func:`voting.log.cosigners.push_all`) and
(re)builds the record of every published vote day whose final checkpoint
gained witness cosignatures (:mod:`voting.services.record_store`).

Run it from a timer (a systemd timer or cron, every minute) or with
``--every SECONDS`` as a long-running process; docs/lifecycle.md. What is due
is decided by the database's clock, not this machine's (voting/models/clock.py):
any node may run it.
"""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import record_folder
from voting.errors import VotingError
from voting.log import cosigners
from voting.models.session_types import DbSession
from voting.services import lifecycle
from voting.services import throttle
from voting.services.record_store import refresh_records


@click.group("schedule")
def schedule_group() -> None:
    """Apply the vote days' scheduled opening and closing times.

    Opens and closes the vote days whose scheduled time has come, by the
    database's clock (docs/lifecycle.md); run it once from cron, or keep it
    running.

    \b
    Example:
      flask --app app schedule run --every 30
    """


def _open(session: DbSession, vote_day_id: str) -> None:
    lifecycle.open_vote_day(session, vote_day_id, signing=log_signing(current_app))


def apply_once() -> list[str]:
    """One pass: the transitions due by the database's clock, then the records to (re)build.

    A published record is rebuilt only when its final checkpoint gained
    witness cosignatures since it was built (:func:`refresh_records`).
    """
    done = lifecycle.apply_schedule(
        db.session,
        open_vote_day_with=_open,
        signing=log_signing(current_app),
    )
    pushed = cosigners.push_all(db.session, log_signing(current_app))
    built = refresh_records(db.session, record_folder(), signing=log_signing(current_app))
    return done + pushed + built


@schedule_group.command("run")
@click.option("--every", type=click.IntRange(min=1), help="Keep running, one pass every N seconds.")
@with_appcontext
def run_command(every: int | None) -> None:
    """Open and close what is due (once, or every N seconds)."""
    while True:
        try:
            for line in apply_once():
                click.echo(line)
            throttle.purge_expired(db.session)  # rate-limit rows do not outlive an hour
        except VotingError as exc:
            db.session.rollback()
            click.echo(f"refused: {exc.message}", err=True)
            if every is None:
                raise SystemExit(1) from exc
        if every is None:
            return
        time.sleep(every)
