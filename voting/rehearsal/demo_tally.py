"""``flask --app app demo tally``: the demo vote day from open to a verifiable published record.

The steps an official and the trustees take, in one command, through the same
services as the officials' pages and the trustees' API: close the vote day,
log the encrypted totals, let the demo's trustees decrypt them (t of n, each
share with its proofs, verified before it is logged:
:func:`voting.services.demo_parties.decrypt_as_demo_trustees`), publish, let
the demo's witnesses cosign the final checkpoint and build the record. Each
step is skipped when it is done already, so the command can be run again.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

from flask import Flask

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import build_published_record
from voting.app.record_files import record_folder
from voting.log import bulletin
from voting.rehearsal.demo_returncodes import TRUST
from voting.rehearsal.demo_vote import DEMO_VOTE_DAY
from voting.rehearsal.demo_vote import DEMO_WITNESSES
from voting.rehearsal.demo_vote import ROSTER
from voting.rehearsal.demo_vote import check_demo_allowed
from voting.rehearsal.demo_vote import demo_folder
from voting.services import results
from voting.services import tally
from voting.services.demo_parties import cosign_as_demo_witnesses
from voting.services.demo_parties import decrypt_as_demo_trustees
from voting.services.lifecycle import close_vote_day
from voting.services.votedays import get_vote_day


def tally_demo(app: Flask, vote_day: str = DEMO_VOTE_DAY) -> Iterator[str]:
    """Close, tally, publish and build the record of the demo vote day; yield progress lines.

    Raises:
        DemoRefused: not the demo's SQLite database.
        VotingError: a step was refused (its message says why).
    """
    check_demo_allowed(app)
    signing = log_signing(app)
    folder = demo_folder(app)

    def status() -> str:
        return get_vote_day(db.session, vote_day).status

    if status() == "open":
        close_vote_day(db.session, vote_day, signing=signing)
        yield f"Vote day {vote_day} closed: no ballot is accepted any more."
    if status() == "closed":
        if not tally.tally_started(db.session, vote_day):
            summary = tally.start_tally(db.session, vote_day, signing=signing)
            yield f"Encrypted totals of {summary.units} units ({summary.ballots} ballots) logged."
        decrypt_as_demo_trustees(db.session, vote_day, folder, signing=signing)
        yield "The demo trustees decrypted the totals (threshold decryption, proofs verified)."
    if status() == "tallied":
        count = results.publish_results(db.session, vote_day, signing=signing)
        yield f"Results published: {count} result records logged."
    if status() != "published":
        yield f"Vote day {vote_day} is {status()}: nothing to tally yet."
        return
    cosigned = cosign_as_demo_witnesses(db.session, vote_day, folder, signing=signing)
    yield f"{cosigned} demo witnesses cosigned the final checkpoint."
    built = build_published_record(vote_day)
    if built is not None:
        yield f"The record is built: {built.path(record_folder(app))}"


def verify_lines(app: Flask, *, base_url: str, vote_day: str = DEMO_VOTE_DAY) -> Iterator[str]:
    """How to verify the demo's record: the commands the observers' page documents, with the
    demo's log key and its witnesses' roster file (the trust roots the user passes in)."""
    origin = bulletin.log_origin(db.session, vote_day)
    log_key = str(log_signing(app).verifier_key(origin))
    roster = demo_folder(app) / ROSTER
    yield "Verify the published record yourself (the observers' page 'How to verify' says why):"
    yield f"  curl -o record.zip {base_url.rstrip('/')}/observe/{vote_day}/record.zip"
    trust = demo_folder(app) / TRUST
    yield f"  {verify_command('record.zip', log_key, roster, trust if trust.exists() else None)}"


def verify_command(record: str, log_key: str, roster: Path, authorities: Path | None = None) -> str:
    """The verifier's command line: the log key and the roster pinned, both demo witnesses,
    and with return codes the demo authorities' keys file."""
    command = (
        f"python -m voting.verify {shlex.quote(record)} --log-key {shlex.quote(log_key)} "
        f"--roster {shlex.quote(str(roster))} --witnesses {len(DEMO_WITNESSES)}"
    )
    if authorities is not None:
        command += f" --return-code-authorities {shlex.quote(str(authorities))}"
    return command
