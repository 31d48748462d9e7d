"""Ballot replay and audit/cast disjointness, through the public HTTP API and a crafted record.

Attackers (docs/threat-model.md, "Ballots and audits"):

- a stranger: reads the public log API and POSTs anything to ``/ballots`` and
  ``/audits``; holds no voting code;
- a vote buyer, or the voter they coerce: holds one voting code and the
  secrets of that voter's ballots, and wants a proof of a counted vote;
- a malicious or buggy server: logs what it is sent; its record must still
  show the replay to the verifier.

Each test fails on main before issue 13 (checked there): a replayed ballot
was answered 201 and counted, an audit of a cast ballot was answered 201,
audit secrets with extra keys were logged, and the verifier found the
record with a stranger's counted copy VALID.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import crypto.ballot
from crypto.ballot import Ballot
from crypto.ballot import sign_ballot
from crypto.credentials import derive_credential
from crypto.elgamal import Ciphertext
from crypto.elgamal import encrypt_with_nonce
from crypto.group import Point
from crypto.group import Scalar
from tests.fixtures_casting import OpenVoteDay
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import make_ballot
from voting.app.extensions import db
from voting.log import bulletin
from voting.models.elections import BallotContent
from voting.models.elections import CastBallot

ANSWERS = {"bike-paths": ["yes"], "zh-tax-law": ["no"], "winterthur-square": []}
OTHER = {"bike-paths": ["no"], "zh-tax-law": ["yes"], "winterthur-square": []}
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "replayed_spoiled_record"


def _state(vote_day: str) -> tuple[int, int, int]:
    """Log size, cast-ballot rows and content rows: a refusal changes none of them."""
    ballots = db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot))
    contents = db.session.scalar(sa.select(sa.func.count()).select_from(BallotContent))
    size = bulletin.log_size(db.session, vote_day)
    db.session.commit()
    return size, int(ballots or 0), int(contents or 0)


def _post(client: FlaskClient, vote_day: str, path: str, body: Any) -> Any:
    return client.post(f"/api/vote-days/{vote_day}/{path}", json=body)


def _refused(client: FlaskClient, vote_day: str, path: str, body: Any, code: str) -> None:
    before = _state(vote_day)
    response = _post(client, vote_day, path, body)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.get_json()["error"] == code, response.get_json()
    assert _state(vote_day) == before, "a refused request changed the log or the database"


def _ballot(opened: OpenVoteDay, n: int, answers: Any, seed: str, purpose: str) -> Any:
    return make_ballot(
        opened.vote_day, opened.code(WINTERTHUR, n), WINTERTHUR, answers, seed.encode(), purpose
    )


def _counted(vote_day: str, credential: str, policy: str) -> int:
    order = CastBallot.leaf_index if policy == "first-counts" else CastBallot.leaf_index.desc()
    leaf = db.session.scalars(
        sa.select(CastBallot.leaf_index)
        .where(CastBallot.vote_day_id == vote_day, CastBallot.credential == credential)
        .order_by(order)
        .limit(1)
    ).one()
    db.session.commit()
    return int(leaf)


@pytest.mark.parametrize("policy", ["first-counts", "last-counts"])
def test_stranger_replays_an_audited_ballot_from_the_log_api(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], policy: str
) -> None:
    """Stranger: reads a voter's `spoiled` record from the log API and POSTs its ballot."""
    opened = prepare_vote_day(revote_policy=policy)
    client = app.test_client()
    ballot, secrets = _ballot(opened, 0, ANSWERS, "audited", "audit")
    audit = _post(client, opened.vote_day, "audits", {"ballot": ballot, "secrets": secrets})
    assert audit.status_code == 201
    index = audit.get_json()["index"]
    entry = client.get(f"/api/logs/{opened.vote_day}/entries/{index}").get_json()
    spoiled = json.loads(entry["data"])
    assert spoiled["type"] == "spoiled"
    _refused(client, opened.vote_day, "ballots", spoiled["ballot"], "bad_signature")
    # Even re-signed as a cast ballot (only the voter could), its content stays refused.
    voter = derive_credential(opened.code(WINTERTHUR, 0), opened.vote_day)
    resigned = sign_ballot(Ballot.from_json(spoiled["ballot"]), voter, purpose="cast")
    _refused(client, opened.vote_day, "ballots", resigned.to_json(), "ballot_already_on_log")
    # The voter's own ballot is still accepted, and it is the one that counts.
    own, _ = _ballot(opened, 0, OTHER, "own", "cast")
    cast = _post(client, opened.vote_day, "ballots", own)
    assert cast.status_code == 201, cast.get_json()
    assert _counted(opened.vote_day, own["credential"], policy) == cast.get_json()["index"]


def test_audit_of_a_cast_ballot_is_refused(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Vote buyer with the voter's code and secrets: publishes the nonces of a counted ballot."""
    opened = prepare_vote_day()
    client = app.test_client()
    ballot, secrets = _ballot(opened, 1, ANSWERS, "sold", "cast")
    assert _post(client, opened.vote_day, "ballots", ballot).status_code == 201
    # As cast (signed to be cast): refused, the audit path accepts only the audit form.
    body = {"ballot": ballot, "secrets": secrets}
    _refused(client, opened.vote_day, "audits", body, "bad_signature")
    # Signed to be audited, with the right secrets: the content is already cast.
    voter = derive_credential(opened.code(WINTERTHUR, 1), opened.vote_day)
    audit_form = sign_ballot(Ballot.from_json(ballot), voter, purpose="audit").to_json()
    body = {"ballot": audit_form, "secrets": secrets}
    _refused(client, opened.vote_day, "audits", body, "ballot_already_on_log")
    assert "was cast" in _post(client, opened.vote_day, "audits", body).get_json()["message"]


@pytest.mark.parametrize("policy", ["first-counts", "last-counts"])
def test_replayed_older_ballot_is_refused(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], policy: str
) -> None:
    """Stranger: replays a voter's earlier ballot (read from the log) to undo a re-vote."""
    opened = prepare_vote_day(revote_policy=policy)
    client = app.test_client()
    older, _ = _ballot(opened, 2, ANSWERS, "older", "cast")
    first = _post(client, opened.vote_day, "ballots", older)
    assert first.status_code == 201
    if policy == "last-counts":
        newer, _ = _ballot(opened, 2, OTHER, "newer", "cast")
        second = _post(client, opened.vote_day, "ballots", newer)
        assert second.status_code == 201
        counted = second.get_json()["index"]
        replay = "ballot_already_on_log"
    else:
        counted = first.get_json()["index"]
        replay = "duplicate_ballot"  # first-counts: refused before its content is looked up
    entry = client.get(f"/api/logs/{opened.vote_day}/entries/{first.get_json()['index']}")
    _refused(
        client, opened.vote_day, "ballots", json.loads(entry.get_json()["data"])["ballot"], replay
    )
    assert _counted(opened.vote_day, older["credential"], policy) == counted


def test_audit_secrets_with_extra_keys_are_refused(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Stranger with a code of their own: puts 15 KB of script on the permanent log."""
    opened = prepare_vote_day()
    client = app.test_client()
    ballot, secrets = _ballot(opened, 3, ANSWERS, "junk", "audit")
    junk = "<script>" + "x" * 15_000 + "</script>"
    for extra in ("<script>", junk[:64]):
        padded = json.loads(json.dumps(secrets))
        padded["selections"][extra] = [0]
        padded["nonces"][extra] = [secrets["nonces"]["bike-paths"][0]]
        body = {"ballot": ballot, "secrets": padded}
        _refused(client, opened.vote_day, "audits", body, "invalid_proof")
    padded = json.loads(json.dumps(secrets))
    padded["selections"][junk] = []
    padded["nonces"][junk] = []
    _refused(
        client, opened.vote_day, "audits", {"ballot": ballot, "secrets": padded}, "malformed_ballot"
    )
    padded = json.loads(json.dumps(secrets))
    padded["selections"]["bike-paths"].append(0)
    padded["nonces"]["bike-paths"].append(secrets["nonces"]["bike-paths"][0])
    _refused(
        client, opened.vote_day, "audits", {"ballot": ballot, "secrets": padded}, "invalid_proof"
    )
    assert (
        _post(client, opened.vote_day, "audits", {"ballot": ballot, "secrets": secrets}).status_code
        == 201
    )


def test_verifier_fails_the_record_where_a_strangers_copy_was_counted() -> None:
    """Malicious or buggy server: counted a replayed audited ballot (record made by main)."""
    root = Path(__file__).resolve().parent.parent.parent
    command = [sys.executable, "-m", "voting.verify", str(FIXTURE), "--json", "--jobs", "1"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [*command, "--no-progress"], capture_output=True, text=True, cwd=root, env=env, check=False
    )
    report = json.loads(done.stdout)
    assert done.returncode == 1, done.stderr
    assert "ballots" in report["failed"]
    ballots = next(c for c in report["checks"] if c["check"] == "ballots")
    assert [22, 23] in [f["leaves"] for f in ballots["failures"]]
    assert any("22 (spoiled) and 23 (ballot)" in f["message"] for f in ballots["failures"])


def test_receipt_check_says_whether_the_ballot_counts(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Vote buyer: shows an audited ballot's tracking code as proof of a vote; it says so."""
    opened = prepare_vote_day(revote_policy="last-counts")
    client = app.test_client()
    ballot, secrets = _ballot(opened, 0, ANSWERS, "shown", "audit")
    audit = _post(client, opened.vote_day, "audits", {"ballot": ballot, "secrets": secrets})
    older, _ = _ballot(opened, 0, ANSWERS, "first", "cast")
    newer, _ = _ballot(opened, 0, OTHER, "second", "cast")
    first = _post(client, opened.vote_day, "ballots", older).get_json()
    second = _post(client, opened.vote_day, "ballots", newer).get_json()

    def standing(code: str) -> Any:
        body = client.get(f"/api/vote-days/{opened.vote_day}/receipts/{code}").get_json()
        return body["ballot"]

    assert standing(audit.get_json()["tracking_code"]) == {
        "kind": "spoiled",
        "counted": False,
        "counted_index": None,
        "revote_policy": "last-counts",
    }
    assert standing(first["tracking_code"])["counted"] is False
    assert standing(first["tracking_code"])["counted_index"] == second["index"]
    assert standing(second["tracking_code"])["counted"] is True


def test_a_ciphertext_of_an_audited_ballot_is_not_reused_in_another_ballot(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Voter with a code of their own: copies a ciphertext whose nonce an audit made public.

    Its proofs are made afresh for the copier's credential, so they verify; only
    the content rule (every ciphertext once on the log) refuses it.
    """
    opened = prepare_vote_day(revote_policy="last-counts")
    client = app.test_client()
    ballot, secrets = _ballot(opened, 0, ANSWERS, "audited", "audit")
    assert (
        _post(client, opened.vote_day, "audits", {"ballot": ballot, "secrets": secrets}).status_code
        == 201
    )
    first = ballot["answers"][0]["question"]
    public = [Scalar.from_hex(n) for n in secrets["nonces"][first]]  # (1) public nonces
    real = crypto.ballot.encrypt

    def reuse(value: int, key: Point, *, rng: Any) -> tuple[Ciphertext, Scalar]:
        if public:
            nonce = public.pop(0)
            return encrypt_with_nonce(value, key, nonce), nonce
        return real(value, key, rng=rng)

    monkeypatch.setattr(crypto.ballot, "encrypt", reuse)  # (2) the copier's own device
    copied, _ = _ballot(opened, 1, ANSWERS, "copier", "cast")
    monkeypatch.undo()
    assert copied["answers"][0]["ciphertexts"] == ballot["answers"][0]["ciphertexts"]
    assert copied["credential"] != ballot["credential"]
    _refused(client, opened.vote_day, "ballots", copied, "ballot_already_on_log")
    own, _ = _ballot(opened, 1, ANSWERS, "honest", "cast")
    assert _post(client, opened.vote_day, "ballots", own).status_code == 201
