"""Fifty voters at once against gunicorn with 4 workers (issue 8, "Concurrency test").

Runs on the suite's database: SQLite by default, PostgreSQL when
``URNA_TEST_DATABASE_URL`` is set (scripts/test runs both). The ballots are
prepared before the server starts; then every voter posts at the same moment,
with adversarial extras: the same ballot twice at once, two different
ballots of one credential at once, a forged and a malformed ballot.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from flask import Flask

from crypto.receipt import verify_receipt
from tests.production._checks import check_log
from tests.production._checks import verify_record
from tests.production._load import Answer
from tests.production._load import cast_together
from tests.production._server import Gunicorn
from tests.production.conftest import prepare_voters
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin

pytestmark = pytest.mark.production

VOTERS = 50
REVOTER, FORGER = VOTERS, VOTERS + 1


def _forged(body: bytes) -> bytes:
    ballot = json.loads(body)
    signature = ballot["signature"]
    ballot["signature"] = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    return json.dumps(ballot).encode()


def _wait_for_checkpoint(base: str, vote_day: str, size: int) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        note = requests.get(f"{base}/api/logs/{vote_day}/checkpoint", timeout=10).text
        if int(note.splitlines()[1]) >= size:
            return note
        time.sleep(0.2)
    raise AssertionError(f"no checkpoint covered {size} entries within 30 s")


def test_fifty_voters_at_once(app: Flask, gunicorn: Gunicorn, tmp_path: Path) -> None:
    voters = prepare_voters(app, VOTERS + 2)
    vote_day = voters.vote_day
    size_before = bulletin.log_size(db.session, vote_day)
    requests_ = [(n, voters.ballot(n)) for n in range(VOTERS)]
    requests_ += [
        (0, voters.ballot(0)),  # the same ballot twice at the same moment
        (REVOTER, voters.ballot(REVOTER)),  # two different ballots of one credential
        (REVOTER, voters.fresh_ballot(REVOTER)),
        (FORGER, _forged(voters.ballot(FORGER))),  # a broken signature
        (FORGER, b'{"vote_day": '),  # not JSON
    ]
    base = gunicorn.start()
    answers = cast_together(base, vote_day, requests_)

    assert [a for a in answers if a.status is None] == []
    assert not [a for a in answers if a.status >= 500], answers
    by_voter: dict[int, list[Answer]] = {}
    for answer in answers:
        by_voter.setdefault(answer.voter, []).append(answer)
    for voter in [*range(1, VOTERS)]:
        assert [a.status for a in by_voter[voter]] == [201], by_voter[voter]
    for voter in (0, REVOTER):  # exactly one of two simultaneous ballots is taken
        pair = sorted(by_voter[voter], key=lambda a: a.status or 0)
        assert [a.status for a in pair] == [201, 409]
        refusal = pair[1].body
        if refusal["error"] == "ballot_already_on_log":
            # The identical ballot twice: whichever check sees the first one
            # (its content, or its credential) names the leaf that stands.
            assert voter == 0
            assert refusal["leaf"] == pair[0].body["index"], refusal
            continue
        assert refusal["error"] == "duplicate_ballot", refusal
        first = refusal["receipt"]
        assert (first["index"], first["leaf_hash"]) == (
            pair[0].body["index"],
            pair[0].body["leaf_hash"],
        )
    refused = Counter(a.body["error"] for a in by_voter[FORGER])
    assert refused == Counter({"bad_signature": 1, "malformed_ballot": 1})

    receipts = [a.receipt for a in answers if a.receipt is not None]
    assert len(receipts) == VOTERS + 1
    entries = check_log(db.session, vote_day, log_signing(app), receipts, voters.credentials)
    assert len(entries) == size_before + VOTERS + 1  # nothing refused reached the log

    # Each voter's receipt verifies against a checkpoint fetched over HTTP.
    note = _wait_for_checkpoint(base, vote_day, len(entries))
    key = requests.get(f"{base}/api/logs/{vote_day}/key", timeout=10).json()["verifier_key"]
    for receipt in receipts:
        url = f"{base}/api/vote-days/{vote_day}/receipts/{receipt['tracking_code']}"
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, response.text
        served = response.json()
        assert (served["index"], served["leaf_hash"]) == (receipt["index"], receipt["leaf_hash"])
        verify_receipt(served, note, key)

    # The access log names paths but never query strings (docs/operations.md).
    credential = next(iter(voters.credentials))
    requests.get(f"{base}/api/vote-days/{vote_day}/ballot?credential={credential}", timeout=10)
    gunicorn.stop()
    access = gunicorn.access_log.read_text()
    assert f"POST /api/vote-days/{vote_day}/ballots HTTP/1.1" in access
    assert f"GET /api/vote-days/{vote_day}/ballot HTTP/1.1" in access
    assert "?" not in access and credential not in access

    verify_record(db.session, vote_day, log_signing(app), tmp_path / "record")
