"""``flask --app app schedule run``: open and close vote days at their scheduled times.

Each pass also pushes the latest checkpoint of every log with C2SP witnesses
to them (``add-checkpoint``, :func:`voting.log.cosigners.push_all`),
(re)builds the record of every published vote day whose final checkpoint
gained witness cosignatures (:mod:`voting.services.record_store`), and
publishes every log's new tiles to ``URNA_TILES_FOLDER``
(:func:`voting.log.tiles.publish_tiles`; ``--tiles-every`` publishes them more
often than the passes, ``--no-tiles`` leaves them to ``flask log tiles``).

Run it from a timer (a systemd timer or cron, every minute) or with
``--every SECONDS`` as a long-running process; docs/lifecycle.md. What is due
is decided by the database's clock, not this machine's (voting/models/clock.py):
any node may run it.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from crypto.tiles import MalformedTile
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import record_folder
from voting.errors import VotingError
from voting.log import cosigners
from voting.log.tiles import logs_with_checkpoints
from voting.log.tiles import publish_tiles
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
      flask --app app schedule run --every 30 --tiles-every 1
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


def publish_all_tiles() -> tuple[list[str], list[str]]:
    """Publish every log's new tiles to URNA_TILES_FOLDER: (what was done, what was refused).

    A log whose tiles are refused (another tree in its folder, a corrupted
    log) is reported and skipped; the other logs are still published.
    """
    folder = Path(current_app.config["URNA_TILES_FOLDER"])
    done, refused = [], []
    for name in logs_with_checkpoints(db.session):
        try:
            published = publish_tiles(db.session, name, folder)
        except (VotingError, MalformedTile) as exc:
            db.session.rollback()
            refused.append(f"tiles of log {name!r} refused: {exc}")
            continue
        if published.size != published.old_size:
            done.append(f"published the tiles of log {name!r} up to size {published.size}")
    return done, refused


def _pass() -> bool:
    """One pass of the schedule; False if it was refused."""
    try:
        for line in apply_once():
            click.echo(line)
        throttle.purge_expired(db.session)  # rate-limit rows do not outlive an hour
    except VotingError as exc:
        db.session.rollback()
        click.echo(f"refused: {exc.message}", err=True)
        return False
    return True


def _tiles() -> bool:
    """Publish the tiles; False if a log's were refused."""
    done, refused = publish_all_tiles()
    for line in done:
        click.echo(line)
    for line in refused:
        click.echo(line, err=True)
    return not refused


@schedule_group.command("run")
@click.option("--every", type=click.IntRange(min=1), help="Keep running, one pass every N seconds.")
@click.option(
    "--tiles-every",
    type=click.FloatRange(min=0.1),
    help="With --every: publish the logs' tiles every this many seconds, between the passes.",
)
@click.option(
    "--tiles/--no-tiles",
    default=True,
    show_default=True,
    help="Publish the logs' new tiles to URNA_TILES_FOLDER at each pass (docs/log.md).",
)
@with_appcontext
def run_command(every: int | None, tiles_every: float | None, tiles: bool) -> None:
    """Open and close what is due and publish the tiles (once, or every N seconds)."""
    if tiles_every is not None and (every is None or not tiles):
        raise click.UsageError("--tiles-every needs --every (and not --no-tiles)")
    next_pass = time.monotonic()
    while True:
        ok = True
        if time.monotonic() >= next_pass:
            ok = _pass()
            next_pass = time.monotonic() + (every or 0)
        if tiles:
            ok = _tiles() and ok
        if every is None:
            if not ok:
                raise SystemExit(1)
            return
        wait = next_pass - time.monotonic()
        time.sleep(max(0.0, min(wait, tiles_every) if tiles_every else wait))
