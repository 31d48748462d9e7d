"""``flask --app app witness ...``: decide on witnesses' registration requests.

    flask --app app witness requests LOG
    flask --app app witness approve LOG REQUEST --by ADMINISTRATOR
    flask --app app witness reject LOG REQUEST --by ADMINISTRATOR
    flask --app app witness add-c2sp LOG VKEY --url URL --by ADMINISTRATOR
    flask --app app witness push LOG [--timeout S] [--every S]

A witness asks with ``python -m voting.witness register``; it joins the
roster only when an administrator approves, and the approval is a
``witness`` record on the log (docs/witnesses.md). A standard C2SP witness
(``cosignature/v1``) does not ask: an administrator lists it from the vkey and
URL it publishes (a ``cosigner`` record), and ``push`` sends it each new
checkpoint (``add-checkpoint``) outside any ballot transaction.
"""

from __future__ import annotations

import datetime as dt
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from crypto.witness import WitnessPublicKey
from crypto.witness import witness_verifier_key
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.log import bulletin
from voting.log import cosigners
from voting.log import witnesses
from voting.services import officials
from voting.services import witness_roster


@click.group("witness")
def witness_group() -> None:
    """Registration requests of witnesses, approved by an administrator.

    A witness asks with python -m voting.witness register; requests lists what
    is pending (compare the keys with the witness's operator); approve puts it on
    the log's roster with a witness record on the log (docs/witnesses.md).

    \b
    Example:
      flask --app app witness requests 2026-06-14-ch
      flask --app app witness approve 2026-06-14-ch 1 --by admin
    """


@witness_group.command("requests")
@click.argument("log")
@with_appcontext
def requests_command(log: str) -> None:
    """List the pending registration requests of LOG (compare the keys with the witness's)."""
    try:
        pending = witnesses.pending_requests(db.session, witnesses.get_log(db.session, log))
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    if not pending:
        click.echo(f"no pending registration request for {log}")
    for request in pending:
        click.echo(
            f"{request.id}\t{request.name}\tbls {request.public_key.hex()}\t"
            f"ed25519 {request.cosigner_key.hex()}\t{request.requested_at:%Y-%m-%d %H:%M}"
        )


@witness_group.command("approve")
@click.argument("log")
@click.argument("request_id", type=int)
@click.option("--by", "username", required=True, help="the approving administrator")
@with_appcontext
def approve_command(log: str, request_id: int, username: str) -> None:
    """Put the witness of request REQUEST_ID on LOG's roster (logs a witness record)."""
    try:
        official = officials.get_official(db.session, username)
        witness = witness_roster.approve(
            db.session, log, request_id, official, signing=log_signing(current_app)
        )
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    vkey = witness_verifier_key(witness.name, WitnessPublicKey(witness.public_key))
    click.echo(
        f"witness {witness.name!r} is member {witness.position} of the roster of {log} "
        f"(witness record at leaf {witness.leaf_index}); its verifier key: {vkey}"
    )


@witness_group.command("reject")
@click.argument("log")
@click.argument("request_id", type=int)
@click.option("--by", "username", required=True, help="the refusing administrator")
@with_appcontext
def reject_command(log: str, request_id: int, username: str) -> None:
    """Refuse (delete) the pending request REQUEST_ID of LOG."""
    try:
        official = officials.get_official(db.session, username)
        request = witness_roster.reject(db.session, log, request_id, official)
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"refused request {request_id} of {request.name!r}")


@witness_group.command("add-c2sp")
@click.argument("log")
@click.argument("vkey")
@click.option("--url", required=True, help="the witness's submission prefix (it publishes it)")
@click.option("--by", "username", required=True, help="the deciding administrator")
@with_appcontext
def add_c2sp_command(log: str, vkey: str, url: str, username: str) -> None:
    """List the C2SP witness VKEY (cosignature/v1) on LOG; logs a cosigner record."""
    try:
        official = officials.get_official(db.session, username)
        row = witness_roster.add_cosigner(
            db.session, log, vkey, url, official, signing=log_signing(current_app)
        )
    except VotingError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"C2SP witness {row.name!r} is listed on {log} (cosigner record at leaf "
        f"{row.leaf_index}); the log pushes its checkpoints to {row.url}/add-checkpoint"
    )


@witness_group.command("push")
@click.argument("log")
@click.option(
    "--timeout",
    default=cosigners.DEFAULT_TIMEOUT,
    show_default=True,
    help="seconds to wait for each witness",
)
@click.option(
    "--every",
    type=float,
    default=None,
    help="push again every this many seconds (until interrupted)",
)
@with_appcontext
def push_command(log: str, timeout: float, every: float | None) -> None:
    """Sign a checkpoint if the log grew and push it to LOG's C2SP witnesses (add-checkpoint)."""
    while True:
        try:
            signing = log_signing(current_app)
            bulletin.issue_checkpoint(db.session, log, signing, interval=dt.timedelta(0))
            outcomes = cosigners.push(db.session, log, timeout=timeout)
        except VotingError as exc:
            raise click.ClickException(exc.message) from exc
        for outcome in outcomes:
            if outcome.cosigned:
                click.echo(f"{outcome.witness}: cosigned size {outcome.size}")
            else:
                click.echo(f"{outcome.witness}: no cosignature: {outcome.error}", err=True)
        if every is None:
            return
        time.sleep(every)
