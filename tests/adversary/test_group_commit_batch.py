"""Attacks on group commit (docs/threat-model.md, "Group commit"): a ballot and its
replay, or two ballots of one credential, sent at the same moment so that they
land in ONE batch.

The checks under the log's lock read the database before the batch writes
anything: without the batch's own memory of what it appended, both ballots of
such a pair would pass and be logged. A database failure inside the batch
must leave nothing of any of its ballots. Batches are built here with
:func:`voting.services.casting.append_batch` from fully verified ballots, as
the sequencer builds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from flask import current_app

from crypto import merkle
from crypto.ballot import Ballot
from tests.fixtures_casting import OpenVoteDay
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import make_ballot
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import TooManyAttempts
from voting.log import bulletin
from voting.models.elections import BallotContent
from voting.models.elections import CastBallot
from voting.models.officials import RateCounter
from voting.services import casting
from voting.services import throttle
from voting.services.lifecycle import close_vote_day

ANSWERS = {"bike-paths": ["yes"], "zh-tax-law": ["no"], "winterthur-square": ["park"]}


def _pending(
    opened: OpenVoteDay,
    ballot: dict[str, Any],
    policy: str,
    *,
    kind: str = "ballot",
    secrets: dict[str, Any] | None = None,
    limit: throttle.Limit | None = None,
) -> Any:
    parsed = Ballot.from_json(ballot)
    record: dict[str, Any] = {"type": kind, "ballot": ballot}
    if secrets is not None:
        record["secrets"] = secrets
    counter = None
    if limit is not None:
        counter = casting._Counter(f"cast:{parsed.credential.hex()}", limit, 1_800_000_000)
    return casting._Pending(
        kind,
        bulletin.encode_record(record),
        parsed.credential.hex(),
        casting._content_keys(parsed),
        policy,
        counter,
        None,
    )


def _ballot(opened: OpenVoteDay, n: int, seed: str, purpose: str = "cast") -> Any:
    return make_ballot(
        opened.vote_day, opened.code(WINTERTHUR, n), WINTERTHUR, ANSWERS, seed.encode(), purpose
    )


def _state(vote_day: str) -> tuple[int, int, int]:
    ballots = db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot))
    contents = db.session.scalar(sa.select(sa.func.count()).select_from(BallotContent))
    size = bulletin.log_size(db.session, vote_day)
    db.session.commit()
    return size, int(ballots or 0), int(contents or 0)


def _batch(opened: OpenVoteDay, batch: list[Any]) -> list[Any]:
    outcomes = casting.append_batch(
        db.session, opened.vote_day, batch, signing=log_signing(current_app)
    )
    db.session.commit()
    return outcomes


@pytest.mark.parametrize("policy", ["first-counts", "last-counts"])
def test_a_ballot_and_its_copy_in_one_batch_log_once(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], policy: str
) -> None:
    """A stranger copies a ballot's ciphertexts under a credential of their own (or
    replays it as it is) at the same moment: only the first in the batch is logged."""
    opened = prepare_vote_day(revote_policy=policy)
    original, _ = _ballot(opened, 0, "voter")
    copied, _ = _ballot(opened, 1, "voter")  # same nonces: the same ciphertexts, re-signed
    assert [a["ciphertexts"] for a in copied["answers"]] == [
        a["ciphertexts"] for a in original["answers"]
    ] and copied["credential"] != original["credential"]
    honest, _ = _ballot(opened, 2, "honest")
    size, rows, contents = _state(opened.vote_day)
    outcomes = _batch(
        opened,
        [
            _pending(opened, original, policy),
            _pending(opened, copied, policy),
            _pending(opened, original, policy),
            _pending(opened, honest, policy),
        ],
    )
    assert isinstance(outcomes[0], bulletin.Appended)
    for refused in outcomes[1:3]:
        assert isinstance(refused, casting.BallotAlreadyOnLog), refused
        assert refused.details["leaf"] == outcomes[0].index  # names the standing leaf
    assert isinstance(outcomes[3], bulletin.Appended)
    assert outcomes[3].index == outcomes[0].index + 1  # no leaf between them
    keys = len(casting._content_keys(Ballot.from_json(original)))
    honest_keys = len(casting._content_keys(Ballot.from_json(honest)))
    assert _state(opened.vote_day) == (size + 2, rows + 2, contents + keys + honest_keys)


def test_an_audit_and_a_cast_of_one_ballot_in_one_batch(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """A cast and an audit of the same content at once: the audit, first, stands alone."""
    opened = prepare_vote_day(revote_policy="last-counts")
    audited, secrets = _ballot(opened, 0, "same", purpose="audit")
    cast, _ = _ballot(opened, 0, "same")
    before = _state(opened.vote_day)
    outcomes = _batch(
        opened,
        [
            _pending(opened, audited, "last-counts", kind="spoiled", secrets=secrets),
            _pending(opened, cast, "last-counts"),
        ],
    )
    assert isinstance(outcomes[0], bulletin.Appended)
    assert isinstance(outcomes[1], casting.BallotAlreadyOnLog)
    assert outcomes[1].details["on_log_as"] == "spoiled"
    assert _state(opened.vote_day)[:2] == (before[0] + 1, before[1])


def test_two_ballots_of_one_credential_in_one_batch_under_first_counts(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    opened = prepare_vote_day()
    one, _ = _ballot(opened, 0, "one")
    two, _ = _ballot(opened, 0, "two")
    before = _state(opened.vote_day)
    outcomes = _batch(
        opened, [_pending(opened, one, "first-counts"), _pending(opened, two, "first-counts")]
    )
    assert isinstance(outcomes[0], bulletin.Appended)
    assert isinstance(outcomes[1], casting.DuplicateBallot)
    assert outcomes[1].details["receipt"]["index"] == outcomes[0].index  # the first's receipt
    assert _state(opened.vote_day)[:2] == (before[0] + 1, before[1] + 1)


def test_a_credentials_attempts_in_one_batch_are_each_counted(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """A voter's code holder floods re-votes at once: the limit holds inside a batch."""
    opened = prepare_vote_day(revote_policy="last-counts")
    limit = throttle.Limit(attempts=2, window=900)
    ballots = [_ballot(opened, 0, f"flood-{n}")[0] for n in range(3)]
    before = _state(opened.vote_day)
    outcomes = _batch(opened, [_pending(opened, b, "last-counts", limit=limit) for b in ballots])
    assert [type(o) for o in outcomes] == [bulletin.Appended, bulletin.Appended, TooManyAttempts]
    assert _state(opened.vote_day)[:2] == (before[0] + 2, before[1] + 2)
    key = f"cast:{ballots[0]['credential']}"
    assert db.session.get_one(RateCounter, key).count == 3  # the refused attempt counts too


def test_a_batch_after_the_close_logs_nothing(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    opened = prepare_vote_day()
    batch = [_pending(opened, _ballot(opened, n, f"late-{n}")[0], "first-counts") for n in (0, 1)]
    close_vote_day(db.session, opened.vote_day, signing=log_signing(app))
    before = _state(opened.vote_day)
    outcomes = _batch(opened, batch)
    assert all(isinstance(o, casting.VoteDayNotOpen) for o in outcomes)
    assert _state(opened.vote_day) == before


def test_a_database_failure_inside_a_batch_stores_none_of_it(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection breaks after the batch's rows were sent, before the commit: every
    ballot of the batch gets the error (no receipt), and the log is as before."""
    opened = prepare_vote_day()
    batch = [_pending(opened, _ballot(opened, n, f"lost-{n}")[0], "first-counts") for n in (0, 1)]
    before = _state(opened.vote_day)
    real_flush = bulletin.LockedLog.flush

    def flush_then_fail(self: bulletin.LockedLog) -> None:
        real_flush(self)
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(bulletin.LockedLog, "flush", flush_then_fail)
    sequencer = casting.Sequencer[Any, Any]()
    failures = []
    for pending in batch:
        with pytest.raises(ConnectionError):
            sequencer.submit("log", pending, lambda items: _batch(opened, list(items)))
        failures.append(pending)
    monkeypatch.undo()
    assert _state(opened.vote_day) == before
    # The stored tree is untouched: the next batch appends where the failed one would have.
    outcomes = _batch(opened, batch)
    assert [o.index for o in outcomes] == [before[0], before[0] + 1]


@pytest.mark.parametrize("policy", ["first-counts", "last-counts"])
def test_a_replay_found_by_the_insert_refuses_it_alone_and_turns_lookups_on(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], policy: str
) -> None:
    """A stranger re-sends a logged ballot's ciphertexts under a code of their own, in a
    batch with an honest ballot. The batch looks no content key up (docs/log.md,
    "Replays found by the insert"): its content insert fails on the stored row and the
    transaction is rolled back; the batch is run again with the keys looked up. The copy
    is refused naming the original's leaf, the honest ballot is appended right after
    the log's end, and the vote day's next batches in this process look their keys up
    (a stream of replays cannot make every batch run twice)."""
    opened = prepare_vote_day(revote_policy=policy)
    original, _ = _ballot(opened, 0, "voter")
    copied, _ = _ballot(opened, 1, "voter")  # the same ciphertexts, re-signed
    honest, _ = _ballot(opened, 2, "honest")
    key = (id(db.session.get_bind()), opened.vote_day)
    casting._LOOKUP_BATCHES.pop(key, None)
    (first,) = _batch(opened, [_pending(opened, original, policy)])
    assert isinstance(first, bulletin.Appended)
    assert key not in casting._LOOKUP_BATCHES  # no replay yet: no lookups
    size, rows, contents = _state(opened.vote_day)
    outcomes = _batch(opened, [_pending(opened, copied, policy), _pending(opened, honest, policy)])
    assert isinstance(outcomes[0], casting.BallotAlreadyOnLog), outcomes[0]
    assert outcomes[0].details["leaf"] == first.index
    assert "already on the log as leaf" in str(outcomes[0])
    assert isinstance(outcomes[1], bulletin.Appended)
    assert outcomes[1].index == size  # no leaf for the copy
    honest_keys = len(casting._content_keys(Ballot.from_json(honest)))
    assert _state(opened.vote_day) == (size + 1, rows + 1, contents + honest_keys)
    assert casting._LOOKUP_BATCHES[key] == casting.LOOKUP_BATCHES_AFTER_REPLAY
    again, _ = _ballot(opened, 3, "voter")  # a third copy: refused by the lookup
    (refused,) = _batch(opened, [_pending(opened, again, policy)])
    assert isinstance(refused, casting.BallotAlreadyOnLog)
    assert casting._LOOKUP_BATCHES[key] == casting.LOOKUP_BATCHES_AFTER_REPLAY - 1
    casting._LOOKUP_BATCHES.pop(key, None)


def test_a_unique_violation_elsewhere_is_not_taken_for_a_replay(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A duplicate key of another table (a corrupted log's leaf index) is an error of
    the batch, raised as it is, not a replay to retry."""
    opened = prepare_vote_day()
    ballot, _ = _ballot(opened, 0, "honest")
    before = _state(opened.vote_day)
    real_lock_log = bulletin.tree.lock_log

    def stale_size(*args: Any, **kwargs: Any) -> Any:
        state, reads = real_lock_log(*args, **kwargs)
        state.size -= 1  # as if the log row lagged behind its leaves
        return state, reads

    monkeypatch.setattr(bulletin.tree, "lock_log", stale_size)
    with pytest.raises(Exception) as raised:
        _batch(opened, [_pending(opened, ballot, "first-counts")])
    monkeypatch.undo()
    db.session.rollback()
    assert not casting.sql.unique_violation(raised.value, "ballot_contents")
    assert casting.sql.unique_violation(raised.value, "log_leaves")
    assert _state(opened.vote_day) == before


def test_a_batch_prepared_while_another_node_appends_is_run_again_under_the_lock(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two nodes on one database (docs/log.md, "Pipelined batches"): a batch prepares its
    leaves on the log as it read it without the lock; another node appends before the
    batch takes the lock. The batch finds the log moved, writes nothing of what it
    prepared and runs again with every check under the lock: its ballots land after the
    other node's record, the tree and the content rows stay consistent."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("batches are pipelined on PostgreSQL only")
    opened = prepare_vote_day()
    ballots = [_ballot(opened, n, f"node-{n}")[0] for n in (0, 1)]
    size, rows, contents = _state(opened.vote_day)
    real_read = bulletin.read_unlocked

    def read_then_other_node_appends(*args: Any, **kwargs: Any) -> Any:
        read = real_read(*args, **kwargs)
        with so.Session(db.engine) as other:
            bulletin.append(other, opened.vote_day, {"type": "note", "from": "node b"})
        return read

    monkeypatch.setattr(bulletin, "read_unlocked", read_then_other_node_appends)
    moved = casting.PIPELINE_STATS.moved
    outcomes = _batch(opened, [_pending(opened, b, "first-counts") for b in ballots])
    monkeypatch.undo()
    assert casting.PIPELINE_STATS.moved == moved + 1
    assert [o.index for o in outcomes] == [size + 1, size + 2]
    assert bulletin.get_entry(db.session, opened.vote_day, size).record["from"] == "node b"
    keys = sum(len(casting._content_keys(Ballot.from_json(b))) for b in ballots)
    before_contents = contents
    after = _state(opened.vote_day)
    assert after == (size + 3, rows + 2, before_contents + keys)
    signing = log_signing(app)
    checkpoint = bulletin.issue_checkpoint(
        db.session, opened.vote_day, signing, interval=dt.timedelta(0)
    )
    for outcome in outcomes:
        proof = bulletin.inclusion_proof(db.session, opened.vote_day, outcome.index, after[0])
        merkle.verify_inclusion(
            outcome.leaf_hash, outcome.index, after[0], proof, checkpoint.root_hash
        )
