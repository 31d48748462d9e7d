"""The vote-day state machine: every step logged, refused steps change nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from crypto.encoding import canonical_json
from crypto.encoding import sha256_hex
from tests.fixtures_casting import DEMO_VOTE_DAY
from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import QuestionsFrozen
from voting.log import bulletin
from voting.models.elections import Election
from voting.models.votedays import VoteDay
from voting.services.lifecycle import TransitionRefused
from voting.services.lifecycle import begin_key_ceremony
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import open_vote_day


def _types(vote_day: str) -> list[str]:
    size = bulletin.log_size(db.session, vote_day)
    return [e.record["type"] for e in bulletin.get_entries(db.session, vote_day, 0, size)]


def test_full_lifecycle_is_logged(app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]) -> None:
    prepared = prepare_vote_day()
    vote_day = db.session.get_one(VoteDay, prepared.vote_day)
    assert vote_day.status == "open"
    types = _types(prepared.vote_day)
    assert types[0] == "key-ceremony"
    assert types.count("trustee-commitment") == 3
    assert types.count("trustee-shares") == 3
    assert types.count("trustee-ready") == 3
    assert types[types.index("election-key") + 1 :] == [
        "credentials",
        "credentials",
        "manifest",
        "open",
    ]
    close_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    assert _types(prepared.vote_day)[-1] == "close"
    assert db.session.get_one(VoteDay, prepared.vote_day).status == "closed"


def test_manifest_hash_matches_logged_manifest(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day()
    election = db.session.get_one(Election, prepared.vote_day)
    assert election.manifest_index is not None
    entry = bulletin.get_entry(db.session, prepared.vote_day, election.manifest_index)
    manifest = entry.record
    assert manifest["type"] == "manifest"
    assert sha256_hex(canonical_json(manifest)) == election.manifest_hash
    assert manifest["election_key"] == election.public_key
    assert {q["id"] for q in manifest["questions"]} >= {"bike-paths", "zh-tax-law"}
    opened = bulletin.get_entry(db.session, prepared.vote_day, election.manifest_index + 1)
    assert opened.record["manifest_hash"] == election.manifest_hash


def test_refused_transitions_change_nothing(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day()
    size = bulletin.log_size(db.session, prepared.vote_day)
    with pytest.raises(TransitionRefused, match="it is open"):
        begin_key_ceremony(db.session, prepared.vote_day, trustees=["x"], threshold=1)
    with pytest.raises(TransitionRefused, match="it is open"):
        open_vote_day(db.session, prepared.vote_day, log_key="k")
    assert bulletin.log_size(db.session, prepared.vote_day) == size
    assert db.session.get_one(VoteDay, prepared.vote_day).status == "open"


def test_questions_freeze_at_opening(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day()
    question = db.session.get_one(VoteDay, prepared.vote_day).questions[0]
    question.titles = {"en": "changed after opening"}
    with pytest.raises(QuestionsFrozen):
        db.session.commit()
    db.session.rollback()


def test_cannot_open_without_credentials(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day(open_it=False, voters={})
    with pytest.raises(TransitionRefused, match="credentials"):
        open_vote_day(db.session, prepared.vote_day, log_key="k")
    assert db.session.get_one(VoteDay, DEMO_VOTE_DAY).status == "credentials"


def test_bad_ceremony_parameters(app: Flask) -> None:
    from voting.errors import InvalidRequest
    from voting.rehearsal.demo import load_demo

    list(load_demo())
    for trustees, threshold in ((["a", "a"], 1), (["a", "b"], 3), ([], 1), (["a"], 0)):
        with pytest.raises(InvalidRequest):
            begin_key_ceremony(db.session, DEMO_VOTE_DAY, trustees=trustees, threshold=threshold)
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Election)) == 0
    assert db.session.get_one(VoteDay, DEMO_VOTE_DAY).status == "draft"


def test_opening_names_the_key_that_signs_the_logs_checkpoints(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day()  # opened with the signing key only
    signing = log_signing(app)
    origin = bulletin.log_origin(db.session, prepared.vote_day)
    size = bulletin.log_size(db.session, prepared.vote_day)
    entries = bulletin.get_entries(db.session, prepared.vote_day, 0, size)
    logged = next(e.record for e in entries if e.record["type"] == "manifest")
    assert logged["log"] == {"origin": origin, "key": str(signing.verifier_key(origin))}


def test_opening_needs_a_log_key_or_the_signing_key(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day(open_it=False)
    with pytest.raises(TypeError, match="log key"):
        open_vote_day(db.session, prepared.vote_day)
    db.session.rollback()
    assert db.session.get_one(VoteDay, prepared.vote_day).status == "credentials"
