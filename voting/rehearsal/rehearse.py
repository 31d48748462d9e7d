"""A full rehearsal of a vote day, end to end, against the real services and HTTP API.

``flask --app app simulate --voters N --record PATH`` (voting/cli/simulate.py)
plays everybody: the officials (through the services), three trustees with
threshold 2 (one absent at decryption), the registrar, N scripted voters
casting through the HTTP API with :class:`voting.tools.client.VotingClient`
against the app served on 127.0.0.1, a postal clerk, and the witnesses; then
it writes the election record, which ``python -m voting.verify`` must find
valid. It runs on a fresh SQLite database in a temporary directory unless
another (empty) database is given.

The vote day is the demo's (voting/data/demo_vote_day.json): federal
questions (a mandatory referendum and an initiative with a direct
counter-proposal and its tie-break), a cantonal question of Zurich and a
communal question of Winterthur, on the demo tree (voting/data/demo_ch.json:
the cantons of Zurich, Bern, Graubünden and the half-canton Appenzell
Innerrhoden).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.trustees import TrusteeSecrets
from voting.app import create_app
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.models.credentials import Credential
from voting.models.jurisdictions import Jurisdiction
from voting.models.votedays import VoteDay
from voting.rehearsal.demo import load_demo
from voting.rehearsal.simulation import run_local_ceremony
from voting.rehearsal.steps import close_and_tally
from voting.rehearsal.steps import cosign_final_checkpoint
from voting.rehearsal.steps import enter_postal_counts
from voting.rehearsal.steps import register_postal_clerk
from voting.rehearsal.steps import register_witnesses
from voting.rehearsal.voters import VOTER_UNITS
from voting.rehearsal.voters import Voter
from voting.rehearsal.voters import choose_answers
from voting.rehearsal.voters import form_data
from voting.rehearsal.voters import prepare_ballot
from voting.rehearsal.voters import rng_for
from voting.rehearsal.voters import script_voters
from voting.services.lifecycle import open_vote_day
from voting.services.record_export import export_record
from voting.services.results import publish_results
from voting.tools.client import ClientError
from voting.tools.client import VotingClient

__all__ = ["RehearsalRefused", "RehearsalSummary", "rehearse"]

VOTE_DAY = "2026-06-14-ch"
TRUSTEES = ("alice", "bob", "carol")
THRESHOLD = 2
ABSENT_TRUSTEE = "carol"
CAST_THREADS = 2
CAST_BATCH = 256
"""Voters prepared and cast per batch (:func:`_vote`): what bounds the rehearsal's memory."""


@dataclass
class RehearsalSummary:
    """What happened, for the command's summary and for tests."""

    vote_day: str
    record: Path
    workdir: Path
    voters: int
    ballots_cast: int = 0
    audits: int = 0
    refused_second: int = 0
    entries: int = 0
    witnesses_cosigned: int = 0
    status: str = ""
    units: int = 0
    postal_ballots: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    """a few voters' receipts (as the cast request answered), for checking"""
    witness_secrets: list[bytes] = field(default_factory=list, repr=False)
    """the local witnesses' secret keys (tests re-cosign tampered records with them)"""
    trustee_secrets: tuple[TrusteeSecrets, ...] = field(default=(), repr=False)
    """the local trustees' ceremony secrets (tests sign tampered trustee messages with them)"""
    log_key_path: Path | None = None


def rehearse(
    *,
    voters: int,
    record: Path,
    workdir: Path,
    seed: bytes | None = None,
    database_url: str | None = None,
    witnesses: int = 2,
    jobs: int | None = None,
    echo: Callable[[str], None] = lambda line: None,
) -> RehearsalSummary:
    """Run the whole vote day and write its record to ``record`` (directory or ``.zip``)."""
    if voters < 1:
        raise ValueError("a rehearsal needs at least one voter")
    workdir.mkdir(parents=True, exist_ok=True)
    summary = RehearsalSummary(VOTE_DAY, record, workdir, voters)
    clock = _Clock(summary, echo)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    # The pool is forked first, before any thread or database connection exists.
    with multiprocessing.get_context(method).Pool(jobs or os.cpu_count() or 1) as pool:
        app = _app(workdir, database_url)
        with app.app_context():
            with clock("setup"):
                upgrade()
                list(load_demo())
                _check_fresh()
            signing = log_signing(app)
            summary.log_key_path = Path(app.config["URNA_LOG_KEY_PATH"])
            with clock("ceremony"):
                trustees = run_local_ceremony(
                    db.session,
                    VOTE_DAY,
                    trustees=TRUSTEES,
                    threshold=THRESHOLD,
                    signing=signing,
                    rng=rng_for(seed, "ceremony"),
                )
                summary.trustee_secrets = trustees.secrets
            with clock("opening"):
                codes = _register_voters(voters, seed)
                clerk = register_postal_clerk(db.session, VOTE_DAY, signing, seed)  # before opening
                open_vote_day(db.session, VOTE_DAY, signing=signing)
                summary.witness_secrets = register_witnesses(
                    db.session, VOTE_DAY, witnesses, seed, signing
                )
            with clock("voting"), _served(app) as url:
                _vote(summary, url, script_voters(codes), seed, pool)
            db.session.commit()
            with clock("tally"):
                close_and_tally(
                    db.session,
                    VOTE_DAY,
                    trustees,
                    signing,
                    absent=ABSENT_TRUSTEE,
                    seed=seed,
                    summary=summary,
                )
            with clock("results"):
                summary.postal_ballots = 20 + voters // 10
                rnd = random.Random(seed)  # noqa: S311 (invented postal counts, not secrets)
                enter_postal_counts(
                    db.session, VOTE_DAY, clerk, signing, ballots=summary.postal_ballots, rnd=rnd
                )
                publish_results(db.session, VOTE_DAY, signing=signing)
            with clock("record"):
                cosign_final_checkpoint(db.session, VOTE_DAY, summary.witness_secrets, signing)
                exported = export_record(db.session, VOTE_DAY, record, signing=signing)
            summary.entries = exported.entries
            summary.witnesses_cosigned = exported.witnesses_cosigned
            summary.status = exported.status
            db.session.remove()
            db.engine.dispose()
    return summary


class _Clock:
    def __init__(self, summary: RehearsalSummary, echo: Callable[[str], None]) -> None:
        self.summary, self.echo = summary, echo

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.summary.seconds[phase] = round(time.perf_counter() - started, 2)
        self.echo(f"{phase:9} {self.summary.seconds[phase]:7.2f} s")


class RehearsalRefused(Exception):
    """The database is not fresh: it already holds the rehearsal's vote day beyond its draft."""


def _check_fresh() -> None:
    vote_day = db.session.get(VoteDay, VOTE_DAY)
    if vote_day is None or vote_day.status != "draft":
        status = None if vote_day is None else vote_day.status
        raise RehearsalRefused(
            f"the database already holds vote day {VOTE_DAY} ({status}): a rehearsal needs an "
            "empty database"
        )


def _app(workdir: Path, database_url: str | None) -> Flask:
    url = database_url or f"sqlite:///{workdir / 'rehearsal.sqlite'}"
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "URNA_INSTANCE": str(workdir),
            "URNA_LOG_KEY_PATH": str(workdir / "log-signing.key"),
            "SECRET_KEY": os.urandom(32).hex(),
        }
    )


def _register_voters(voters: int, seed: bytes | None) -> list[tuple[str, str]]:
    """Codes for ``voters`` voters spread over :data:`VOTER_UNITS`; registers their keys."""
    rng = rng_for(seed, "codes")
    units = {
        f"{u.level}:{u.code}": u
        for u in db.session.scalars(sa.select(Jurisdiction))
        if f"{u.level}:{u.code}" in VOTER_UNITS
    }
    codes = []
    for i in range(voters):
        ref = VOTER_UNITS[i % len(VOTER_UNITS)]
        code = generate_code(rng=rng)
        key = derive_credential(code, VOTE_DAY).public_key.hex()
        db.session.add(
            Credential(vote_day_id=VOTE_DAY, public_key=key, jurisdiction_id=units[ref].id)
        )
        codes.append((code, ref))
    db.session.commit()
    return codes


@contextmanager
def _served(app: Flask) -> Iterator[str]:
    quiet = logging.getLogger("werkzeug")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        quiet.setLevel(level)


def _vote(
    summary: RehearsalSummary, url: str, voters: list[Voter], seed: bytes | None, pool: Any
) -> None:
    """Every voter prepares (in the pool) and casts (over HTTP); some audit, some vote twice.

    Voters go in batches of :data:`CAST_BATCH`: the pool prepares the next
    batch while the threads cast this one, so at most two batches of ballots
    are held at once, however many voters there are.
    """
    client = VotingClient(url)
    forms = {}
    for voter in voters:
        if voter.unit not in forms:
            credential = derive_credential(voter.code, VOTE_DAY)
            forms[voter.unit] = client.ballot_form(VOTE_DAY, credential)
    data = {unit: form_data(form) for unit, form in forms.items()}
    rnd = random.Random(seed)  # noqa: S311 (the scripted voters' answers, not secrets)

    def batch_jobs(batch: list[Voter]) -> tuple[list[tuple[Voter, list[str]]], list[Any]]:
        """The batch's plan and preparation jobs (answers drawn in voter order)."""
        plan: list[tuple[Voter, list[str]]] = []
        jobs = []
        for voter in batch:
            labels = ["audit"] * voter.audits + ["cast"] + ["again"] * voter.votes_twice
            plan.append((voter, labels))
            for label in labels:
                answers = choose_answers(forms[voter.unit], rnd)
                label_id = f"{voter.number}/{label}"
                jobs.append((voter.code, VOTE_DAY, data[voter.unit], answers, seed, label_id))
        return plan, jobs

    with ThreadPoolExecutor(CAST_THREADS) as casting:
        pending: tuple[list[tuple[Voter, list[str]]], Any] | None = None
        for start in range(0, len(voters), CAST_BATCH):
            plan, jobs = batch_jobs(voters[start : start + CAST_BATCH])
            preparing = pool.map_async(prepare_ballot, jobs, chunksize=8)
            if pending is not None:
                _cast_batch(summary, url, casting, *pending)
            pending = (plan, preparing)
        if pending is not None:
            _cast_batch(summary, url, casting, *pending)


def _cast_batch(
    summary: RehearsalSummary,
    url: str,
    casting: ThreadPoolExecutor,
    plan: list[tuple[Voter, list[str]]],
    preparing: Any,
) -> None:
    """Cast one prepared batch on the threads; wait for every voter of it."""
    prepared = iter(preparing.get())
    futures = [
        casting.submit(_one_voter, url, voter, {label: next(prepared) for label in labels})
        for voter, labels in plan
    ]
    for future in futures:
        outcome = future.result()
        summary.ballots_cast += 1
        summary.audits += outcome["audited"]
        summary.refused_second += outcome["refused"]
        if len(summary.receipts) < 3:
            summary.receipts.append(outcome["receipt"])


_local = threading.local()


def _client(url: str) -> VotingClient:
    """One client (one HTTP connection) per casting thread."""
    if getattr(_local, "client", None) is None or _local.client.server != url:
        _local.client = VotingClient(url)
    client: VotingClient = _local.client
    return client


def _one_voter(
    url: str, voter: Voter, ballots: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> dict[str, Any]:
    """One voter at the (virtual) polling booth: audit, cast, perhaps try again."""
    client = _client(url)
    audited = refused = 0
    if "audit" in ballots:
        ballot, secrets = ballots["audit"]
        client.audit(VOTE_DAY, Ballot.from_json(ballot), BallotSecrets.from_json(secrets))
        audited = 1
    receipt = client.cast(VOTE_DAY, Ballot.from_json(ballots["cast"][0]))
    if "again" in ballots:
        try:
            client.cast(VOTE_DAY, Ballot.from_json(ballots["again"][0]))
        except ClientError as exc:
            if exc.code != "duplicate_ballot":
                raise
            refused = 1
        else:
            raise RuntimeError(f"voter {voter.number}'s second ballot was accepted")
    return {"audited": audited, "refused": refused, "receipt": receipt.to_json()}
