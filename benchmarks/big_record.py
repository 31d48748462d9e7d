"""A big, valid election record, made quickly: N reference ballots through the real services.

    python benchmarks/big_record.py --ballots 100000 --out DIR [--jobs 2] [--workdir DIR]

Every voter gets the reference ballot of three yes/no questions (nation,
canton, municipality): the load test's vote day (voting/rehearsal/load_vote_day.py)
for Winterthur, with a cantonal and a communal question added for Bern. The
voters are spread over Winterthur's quarters and Bern in proportion to their
electorates (the demo tree's real ones: 157,225 voters), so every unit's
turnout stays below 100 % up to ≈140,000 ballots. Everything but the casting goes through the
services a deployment calls, as a rehearsal does (voting/rehearsal/steps.py):
a key ceremony of three trustees (threshold 2), a postal clerk, one witness,
opening, closing, the encrypted totals and two trustees' decryption shares
with their proofs, the clerk's signed postal counts, the published results,
a cosigned final checkpoint and ``export_record`` (the very files ``flask
record export`` writes).

The casting skips only HTTP and the server's re-check of each ballot (the
verifier checks every one): each voter gets a fresh Ed25519 credential
(registered before opening), and ``--jobs`` processes encrypt its ballot
(random answers, every proof, signed: ``crypto.ballot.encrypt_ballot``)
while the main process appends them in batches of 256 with
:func:`voting.services.casting.append_batch`, the group commit's own
transaction (the cast rows and content rows the tally reads are written
with each leaf). Memory stays flat: at most a few batches of ballots are
held at once.

The database is SQLite in ``--workdir`` (a temporary directory unless
given; it holds ≈8.5 KB per ballot while the record is made). Prints the
phases' times and the record's size (``--json`` for JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import astuple
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402

from benchmarks._common import emit  # noqa: E402
from crypto.ballot import ElectionContext  # noqa: E402
from crypto.ballot import QuestionSpec  # noqa: E402
from crypto.ballot import content_keys  # noqa: E402
from crypto.ballot import encrypt_ballot  # noqa: E402
from crypto.credentials import Credential  # noqa: E402
from crypto.group import Point  # noqa: E402
from voting.app import create_app  # noqa: E402
from voting.app.extensions import db  # noqa: E402
from voting.app.log_signing import log_signing  # noqa: E402
from voting.log import bulletin  # noqa: E402
from voting.models import credentials as credential_rows  # noqa: E402
from voting.models.elections import Election  # noqa: E402
from voting.models.jurisdictions import Jurisdiction  # noqa: E402
from voting.models.votedays import VoteDay  # noqa: E402
from voting.rehearsal.demo import load_demo_tree  # noqa: E402
from voting.rehearsal.load_vote_day import QUESTIONS as WINTERTHUR  # noqa: E402
from voting.rehearsal.load_vote_day import VOTE_DAY  # noqa: E402
from voting.rehearsal.simulation import LocalTrustees  # noqa: E402
from voting.rehearsal.simulation import run_local_ceremony  # noqa: E402
from voting.rehearsal.steps import close_and_tally  # noqa: E402
from voting.rehearsal.steps import cosign_final_checkpoint  # noqa: E402
from voting.rehearsal.steps import enter_postal_counts  # noqa: E402
from voting.rehearsal.steps import register_postal_clerk  # noqa: E402
from voting.rehearsal.steps import register_witnesses  # noqa: E402
from voting.services import casting  # noqa: E402
from voting.services.lifecycle import open_vote_day  # noqa: E402
from voting.services.questions import QuestionDraft  # noqa: E402
from voting.services.questions import add_question  # noqa: E402
from voting.services.record_export import export_record  # noqa: E402
from voting.services.results import publish_results  # noqa: E402
from voting.services.votedays import create_vote_day  # noqa: E402

BATCH = 256
QUESTIONS = (*WINTERTHUR, ("canton-be-1", "canton:BE"), ("bern-1", "municipality:351"))
VOTER_UNITS = ("municipality:351", *(f"quarter:{n}0230" for n in range(1, 8)))
"""Bern and Winterthur's seven quarters: each unit's ballot asks three of the questions"""


def voter_key(seed: bytes, number: int) -> SigningKey:
    """Voter ``number``'s credential key (a fresh key per voter, from the run's seed)."""
    return SigningKey(hashlib.sha256(seed + number.to_bytes(8, "big")).digest())


_CONTEXTS: dict[tuple[str, str, str], ElectionContext] = {}


def make_ballot(
    job: tuple[tuple[str, str, str], bytes, int, tuple[tuple[str, int, int, int], ...]],
) -> tuple[str, bytes, tuple[str, ...]]:
    """Voter ``number``'s ballot (in a worker): its credential, log record and content keys."""
    context, seed, number, questions = job
    if context not in _CONTEXTS:  # once per worker
        vote_day, manifest_hash, public_key = context
        _CONTEXTS[context] = ElectionContext(
            vote_day, bytes.fromhex(manifest_hash), Point.from_hex(public_key)
        )
    key = voter_key(seed, number)
    credential = Credential(key, bytes(key.verify_key))
    rng = random.Random(number)
    specs = [QuestionSpec(*spec) for spec in questions]
    selections = {}
    for spec in specs:  # yes, no or blank
        selections[spec.question_id] = [[1, 0], [0, 1], [0, 0]][rng.randrange(3)]
    ballot, _ = encrypt_ballot(
        selections, questions=specs, election=_CONTEXTS[context], credential=credential
    )
    record = bulletin.encode_record({"type": "ballot", "ballot": ballot.to_json()})
    return credential.public_key.hex(), record, content_keys(ballot)


def _app(workdir: Path) -> Flask:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'big-record.sqlite'}",
            "URNA_INSTANCE": str(workdir),
            "URNA_LOG_KEY_PATH": str(workdir / "log-signing.key"),
            "SECRET_KEY": os.urandom(32).hex(),
        }
    )


def _setup(seed: bytes, ballots: int, signing: Any) -> LocalTrustees:
    """The vote day, its questions, the ceremony and every voter's credential (still closed)."""
    upgrade()
    list(load_demo_tree())
    create_vote_day(
        db.session, vote_day_id=VOTE_DAY, date=dt.date(2026, 9, 27), titles={"en": "Big record"}
    )
    for key, unit in QUESTIONS:
        draft = QuestionDraft(
            key=key,
            jurisdiction=unit,
            kind="referendum",
            rule="popular-majority",
            titles={"en": key},
        )
        add_question(db.session, VOTE_DAY, draft)
    trustees = run_local_ceremony(
        db.session, VOTE_DAY, trustees=("a", "b", "c"), threshold=2, signing=signing
    )
    units = _voter_units()
    for start in range(0, ballots, 10_000):
        rows = [
            {
                "vote_day_id": VOTE_DAY,
                "public_key": bytes(voter_key(seed, n).verify_key).hex(),
                "jurisdiction_id": units[n % len(units)].id,
            }
            for n in range(start, min(start + 10_000, ballots))
        ]
        db.session.execute(sa.insert(credential_rows.Credential), rows)
    db.session.commit()
    return trustees


def _voter_units() -> list[Jurisdiction]:
    """A cycle of :data:`VOTER_UNITS`, each as often as its electorate's thousands.

    Voter ``n`` belongs to entry ``n % len(cycle)``: every unit's share of
    the voters is its share of the electorate (to a thousand voters).
    """
    found = {
        f"{u.level}:{u.code}": u
        for u in db.session.scalars(sa.select(Jurisdiction))
        if f"{u.level}:{u.code}" in VOTER_UNITS
    }
    weights = {ref: (found[ref].electorate or 0) // 1000 for ref in VOTER_UNITS}
    total = sum(weights.values())
    # interleaved: each unit's turns spread evenly over the cycle
    turns = sorted((k / weights[ref], ref) for ref in VOTER_UNITS for k in range(weights[ref]))
    assert len(turns) == total
    return [found[ref] for _, ref in turns]


def _batches(
    made: Iterator[tuple[str, bytes, tuple[str, ...]]], policy: str
) -> Iterator[list[Any]]:
    """Batches of pending ballots, as the group commit hands them to ``append_batch``."""
    batch: list[Any] = []
    for credential, record, keys in made:
        batch.append(casting._Pending("ballot", record, credential, keys, policy, None, None))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _cast(pool: Any, seed: bytes, ballots: int, signing: Any) -> None:
    """Every voter's ballot, encrypted in the pool, appended in batches by this process."""
    election = db.session.get_one(Election, VOTE_DAY)
    policy = db.session.get_one(VoteDay, VOTE_DAY).revote_policy
    context = (VOTE_DAY, election.manifest_hash, election.public_key)
    units = _voter_units()
    questions = {
        u.id: tuple(astuple(q) for q in casting.questions_for_unit(db.session, VOTE_DAY, u))
        for u in units
    }
    assert all(len(q) == 3 for q in questions.values()), questions
    cycle = [questions[u.id] for u in units]  # plain values: the pool's thread reads them
    db.session.commit()
    jobs = ((context, seed, n, cycle[n % len(cycle)]) for n in range(ballots))
    made = pool.imap(make_ballot, jobs, chunksize=32)
    for batch in _batches(made, policy):
        outcomes = casting.append_batch(db.session, VOTE_DAY, batch, signing=signing)
        refused = [o for o in outcomes if isinstance(o, Exception)]
        if refused:
            raise RuntimeError(f"a generated ballot was refused: {refused[0]}")


def generate(out: Path, ballots: int, *, jobs: int, workdir: Path, seed: bytes) -> dict[str, float]:
    """Write the record of ``ballots`` voters to ``out``; returns each phase's seconds."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[phase] = round(now - started, 1)
        started = now

    # The pool is forked first, before any thread or database connection exists.
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        app = _app(workdir)
        with app.app_context():
            signing = log_signing(app)
            trustees = _setup(seed, ballots, signing)
            clerk = register_postal_clerk(db.session, VOTE_DAY, signing, seed)
            open_vote_day(db.session, VOTE_DAY, signing=signing)
            witnesses = register_witnesses(db.session, VOTE_DAY, 1, seed, signing)
            lap("setup")
            _cast(pool, seed, ballots, signing)
            lap("casting")
            close_and_tally(
                db.session,
                VOTE_DAY,
                trustees,
                signing,
                absent="c",
                seed=seed,
                summary=SimpleNamespace(),
            )
            lap("tally")
            rnd = random.Random(seed)
            postal = 20 + ballots // 10
            enter_postal_counts(db.session, VOTE_DAY, clerk, signing, ballots=postal, rnd=rnd)
            publish_results(db.session, VOTE_DAY, signing=signing)
            cosign_final_checkpoint(db.session, VOTE_DAY, witnesses, signing)
            export_record(db.session, VOTE_DAY, out, signing=signing)
            lap("record")
            db.session.remove()
            db.engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True, help="the record (a new directory)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--workdir", type=Path, help="for the database (default: a temporary one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists: give a new directory")
    with tempfile.TemporaryDirectory(prefix="urna-big-record-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        seconds = generate(
            args.out, args.ballots, jobs=args.jobs, workdir=workdir, seed=os.urandom(16)
        )
    entries = args.out / "entries.jsonl"
    figures = {
        "ballots": args.ballots,
        "jobs": args.jobs,
        **{f"{phase}_s": value for phase, value in seconds.items()},
        "record_mb": round(entries.stat().st_size / 1e6, 1) if entries.exists() else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    emit(figures, as_json=args.json, title=f"big_record: {args.ballots} ballots")


if __name__ == "__main__":
    main()
