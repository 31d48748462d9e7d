"""kill -9 of gunicorn (master and workers) in the middle of casting (issue 8, "Crash test").

Voters keep posting from 16 threads; after some receipts the whole server is
killed with SIGKILL, twice, and restarted; voters whose request failed post
the same ballot again. Afterwards every receipted ballot is on the log at its
index, no credential has two ballots, every index row has its leaf and every
leaf its row, every stored hash is recomputed from the data, the checkpoint
verifies, and so does the exported record. Runs on the suite's database
(SQLite, or PostgreSQL with ``URNA_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.production._checks import check_log
from tests.production._checks import verify_record
from tests.production._load import Answer
from tests.production._load import cast_stream
from tests.production._server import Gunicorn
from tests.production.conftest import prepare_voters
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin

pytestmark = pytest.mark.production

VOTERS = 90
CLIENTS = 16
KILL_AFTER = (20, 50)
"""Kill the server when this many receipts (in all) have come back."""


class Counter:
    """Counts receipts; wakes the killer when a threshold is reached."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.receipts = 0
        self.lock = threading.Lock()
        self.reached = threading.Event()

    def __call__(self, answer: Answer) -> None:
        with self.lock:
            if answer.status == 201:
                self.receipts += 1
            if self.receipts >= self.threshold:
                self.reached.set()


def _round(
    server: Gunicorn, vote_day: str, ballots: list[tuple[int, bytes]], counter: Counter | None
) -> list[Answer]:
    """Post ``ballots``; with a counter, kill -9 the server once it is reached."""
    base = server.start()
    if counter is None:
        return cast_stream(base, vote_day, ballots, clients=CLIENTS)
    answers: list[Answer] = []

    def load() -> None:
        answers.extend(cast_stream(base, vote_day, ballots, clients=CLIENTS, on_answer=counter))

    thread = threading.Thread(target=load)
    thread.start()
    counter.reached.wait(timeout=120)
    killed = server.kill()
    thread.join(timeout=180)
    assert not thread.is_alive()
    assert len(killed) == 1 + server.workers
    return answers


def test_kill_9_during_casting_loses_nothing(
    app: Flask, gunicorn: Gunicorn, tmp_path: Path
) -> None:
    voters = prepare_voters(app, VOTERS)
    vote_day = voters.vote_day
    size_before = bulletin.log_size(db.session, vote_day)
    receipts: dict[int, dict[str, Any]] = {}
    pending = list(range(VOTERS))
    interrupted = 0
    received = 0
    for threshold in (*KILL_AFTER, None):
        counter = None if threshold is None else Counter(threshold - received)
        answers = _round(gunicorn, vote_day, [(n, voters.ballot(n)) for n in pending], counter)
        for answer in answers:
            if answer.status == 201:
                receipts[answer.voter] = answer.body
            elif answer.status == 409 and answer.body["error"] == "duplicate_ballot":
                # Stored before the crash, the answer lost: the first receipt comes back.
                receipts.setdefault(answer.voter, answer.body["receipt"])
            else:
                assert answer.status is None, answer  # only the crash may fail a request
                interrupted += 1
        received = len(receipts)
        pending = [n for n in range(VOTERS) if n not in receipts]
    gunicorn.stop()

    assert pending == [] and len(receipts) == VOTERS
    assert interrupted > 0, "the kills hit no request in flight"
    entries = check_log(
        db.session, vote_day, log_signing(app), receipts.values(), voters.credentials
    )
    assert len(entries) == size_before + VOTERS
    verify_record(db.session, vote_day, log_signing(app), tmp_path / "record")
