"""Group commit (docs/log.md, "Group commit"): the sequencer alone, then concurrent casts.

The casts below go through the web API in threads, as gunicorn's gthread
workers run them; a gate holds the first batch until the others are queued,
so that they are appended together, deterministically.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from crypto import merkle
from crypto.receipt import Receipt
from tests.fixtures_casting import OpenVoteDay
from tests.fixtures_casting import blank_ballot
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import _tree as tree
from voting.log import bulletin
from voting.models.elections import CastBallot
from voting.services import casting
from voting.services.group_commit import Sequencer
from voting.services.group_commit import beside_running
from voting.services.group_commit import hand_on

# --- the sequencer ------------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


def _queued_is(sequencer: Sequencer[Any, Any], count: int) -> bool:
    return _queued(sequencer, "log") == count


def _queued(sequencer: Sequencer[Any, Any], key: object) -> int:
    queue = sequencer._queues.get(key)
    return 0 if queue is None else len(queue.waiting)


def test_items_arriving_during_a_batch_run_as_the_next_batch() -> None:
    sequencer: Sequencer[int, int] = Sequencer()
    entered, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int | BaseException]:
        batches.append(list(items))
        if len(batches) == 1:
            entered.set()
            assert release.wait(10)
        return [n * 10 if n != 3 else ValueError(f"refused {n}") for n in items]

    results: dict[int, object] = {}

    def submit(n: int) -> None:
        try:
            results[n] = sequencer.submit("log", n, run)
        except ValueError as exc:
            results[n] = exc

    threads = [threading.Thread(target=submit, args=(0,))]
    threads[0].start()
    assert entered.wait(10)
    for n in range(1, 6):
        threads.append(threading.Thread(target=submit, args=(n,)))
        threads[-1].start()
    _wait_for(lambda: _queued(sequencer, "log") == 5, "five items are queued")
    release.set()
    for thread in threads:
        thread.join(10)
    assert batches[0] == [0] and sorted(batches[1]) == [1, 2, 3, 4, 5]
    assert len(batches) == 2
    assert {n: r for n, r in results.items() if n != 3} == {n: n * 10 for n in (0, 1, 2, 4, 5)}
    assert isinstance(results[3], ValueError)  # refused alone; the others have their results
    assert sequencer.stats.largest == 5 and sequencer._queues == {}


def test_a_failed_batch_fails_each_of_its_items_and_the_next_leads() -> None:
    sequencer: Sequencer[int, int] = Sequencer(max_batch=2)
    entered, release = threading.Event(), threading.Event()
    calls: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int | BaseException]:
        calls.append(list(items))
        if len(calls) == 1:
            entered.set()
            assert release.wait(10)
            return list(items)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return list(items)

    outcomes: dict[int, object] = {}

    def submit(n: int) -> None:
        try:
            outcomes[n] = sequencer.submit("log", n, run)
        except ConnectionError as exc:
            outcomes[n] = exc

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    assert entered.wait(10)
    others = [threading.Thread(target=submit, args=(n,)) for n in (1, 2, 3)]
    for n, thread in enumerate(others, start=1):
        thread.start()
        _wait_for(functools.partial(_queued_is, sequencer, n), f"{n} items are queued")
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert calls == [[0], [1, 2], [3]]  # at most max_batch; the third leads its own
    assert outcomes[0] == 0 and outcomes[3] == 3
    assert all(isinstance(outcomes[n], ConnectionError) for n in (1, 2))


def test_a_leader_that_hands_on_lets_the_next_batch_run_beside_it() -> None:
    """group_commit.hand_on: the next batch starts while the first still runs; each
    batch's outcomes are handed out only when its own run returns."""
    sequencer: Sequencer[int, int] = Sequencer()
    handed, finish = threading.Event(), threading.Event()
    calls: list[list[int]] = []
    outcomes: dict[int, int] = {}

    def run(batch: Sequence[int]) -> list[int]:
        calls.append(list(batch))
        if batch[0] == 0:
            hand_on()
            handed.set()
            assert finish.wait(10)  # still running while the next batch runs
        return [n * 10 for n in batch]

    def submit(n: int) -> None:
        outcomes[n] = sequencer.submit("log", n, run)

    threads = [threading.Thread(target=submit, args=(0,))]
    threads[0].start()
    assert handed.wait(10)
    threads += [threading.Thread(target=submit, args=(n,)) for n in (1, 2)]
    for thread in threads[1:]:
        thread.start()
    _wait_for(lambda: 1 in outcomes and 2 in outcomes, "the next batches ran beside the first")
    assert 0 not in outcomes  # the first batch's run has not returned
    finish.set()
    for thread in threads:
        thread.join(10)
    assert calls[0] == [0] and sorted(n for batch in calls[1:] for n in batch) == [1, 2]
    assert outcomes == {0: 0, 1: 10, 2: 20}
    assert not beside_running() and sequencer.stats.items == 3


def test_a_batch_must_give_one_outcome_per_item() -> None:
    sequencer: Sequencer[int, int] = Sequencer()
    with pytest.raises(RuntimeError, match="a batch of 1 gave 0 outcomes"):
        sequencer.submit("log", 1, lambda items: [])
    with pytest.raises(ValueError, match="at least one"):
        Sequencer(max_batch=0)


# --- concurrent casts through the web API ---------------------------------------------


def _cast_concurrently(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    opened: OpenVoteDay,
    first: dict[str, Any],
    ballots: list[dict[str, Any]],
) -> tuple[list[tuple[int, Any]], list[int]]:
    """Cast ``first`` alone, hold its batch until ``ballots`` are all queued, then let go.

    Returns the responses of ``ballots`` (status, JSON) and the size of each
    batch, once per time it took the log's lock.
    """
    entered, release = threading.Event(), threading.Event()
    real_batch = casting.append_batch
    real_lock = tree.lock_log
    locked: list[int] = []
    batches: list[int] = []

    def gated(session: Any, vote_day: str, batch: Any, **kwargs: Any) -> Any:
        batches.append(len(batch))
        if not entered.is_set():
            entered.set()
            assert release.wait(10)
        return real_batch(session, vote_day, batch, **kwargs)

    def counted_lock(session: Any, name: str, reads: Any = ()) -> Any:
        locked.append(batches[-1])
        return real_lock(session, name, reads)

    real_lock_and_write = tree.lock_and_write

    def counted_lock_and_write(session: Any, state: Any, *args: Any) -> Any:
        locked.append(batches[-1])  # a pipelined batch: the lock taken with its writes
        return real_lock_and_write(session, state, *args)

    url = f"/api/vote-days/{opened.vote_day}/ballots"
    responses: dict[int, tuple[int, Any]] = {}

    def post(n: int, ballot: dict[str, Any]) -> None:
        response = app.test_client().post(url, json=ballot)
        responses[n] = (response.status_code, response.get_json())

    key = (id(db.engine), opened.vote_day)
    monkeypatch.setattr(casting, "append_batch", gated)
    monkeypatch.setattr(tree, "lock_log", counted_lock)
    monkeypatch.setattr(tree, "lock_and_write", counted_lock_and_write)
    try:
        threads = [threading.Thread(target=post, args=(-1, first))]
        threads[0].start()
        assert entered.wait(10)
        for n, ballot in enumerate(ballots):
            threads.append(threading.Thread(target=post, args=(n, ballot)))
            threads[-1].start()
        _wait_for(lambda: _queued(casting.SEQUENCER, key) == len(ballots), "every ballot is queued")
        release.set()
        for thread in threads:
            thread.join(30)
    finally:
        release.set()
        monkeypatch.undo()
    assert responses[-1][0] == 201, responses[-1]
    return [responses[n] for n in range(len(ballots))], locked


def test_concurrent_casts_are_appended_in_one_transaction_with_per_ballot_refusals(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five casts at once: one batch; the second ballot of a credential and a replayed
    ballot are refused inside it, leave no leaf, and do not fail the others."""
    opened = prepare_vote_day()
    first = blank_ballot(opened, 3)
    fresh = [blank_ballot(opened, n) for n in (0, 1, 2)]
    again = blank_ballot(opened, 0)  # a second ballot of credential 0 (first-counts)
    replay = dict(fresh[1])  # the same ballot twice
    size = bulletin.log_size(db.session, opened.vote_day)
    db.session.commit()
    responses, locked = _cast_concurrently(app, monkeypatch, opened, first, [*fresh, again, replay])

    assert locked == [1, 5], "the five queued casts took the log's lock once, together"
    statuses = sorted(status for status, _ in responses)
    assert statuses == [201, 201, 201, 409, 409], responses
    by_credential: dict[str, list[tuple[int, Any]]] = {}
    for ballot, answer in zip([*fresh, again, replay], responses, strict=True):
        by_credential.setdefault(ballot["credential"], []).append(answer)
    for answers in by_credential.values():
        assert sum(status == 201 for status, _ in answers) == 1  # one ballot per credential
    errors = {body["error"] for status, body in responses if status == 409}
    assert errors <= {"duplicate_ballot", "ballot_already_on_log"}
    # Receipts exactly as a single cast's: the leaf's index and hash, no checkpoint yet.
    accepted = [body for status, body in responses if status == 201]
    for body in accepted:
        receipt = Receipt.from_json(body)
        assert set(body) == set(Receipt(opened.vote_day, 0, b"\0" * 32, None, ()).to_json())
        entry = bulletin.get_entry(db.session, opened.vote_day, receipt.index)
        assert entry.leaf_hash == receipt.leaf_hash == merkle.leaf_hash(entry.data)
        assert entry.record["type"] == "ballot"
    indexes = sorted(Receipt.from_json(body).index for body in accepted)
    assert indexes == [size + 1, size + 2, size + 3]  # consecutive: no leaf for a refusal
    assert bulletin.log_size(db.session, opened.vote_day) == size + 4
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot))
    assert rows == 4
    # Each receipt's inclusion proof checks against a signed checkpoint.
    bulletin.issue_checkpoint(
        db.session, opened.vote_day, log_signing(app), interval=dt.timedelta(0)
    )
    for body in accepted:
        receipt = bulletin.receipt_for(db.session, opened.vote_day, Receipt.from_json(body).index)
        assert receipt.checkpoint is not None
        checkpoint_size = int(receipt.checkpoint.splitlines()[1])
        root = bulletin.root_at(db.session, opened.vote_day, checkpoint_size)
        merkle.verify_inclusion(
            receipt.leaf_hash, receipt.index, checkpoint_size, list(receipt.inclusion_proof), root
        )


def test_a_cast_purges_the_counters_of_credentials_whose_window_is_over(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """The rate-limit table holds the credentials of one window, not one row per voter."""
    from voting.models.officials import RateCounter
    from voting.services import throttle
    from voting.views.citizen_limits import CAST_LIMIT

    opened = prepare_vote_day()
    now = int(time.time())
    window = CAST_LIMIT.window
    throttle.hit(db.session, "cast:" + "a" * 64, CAST_LIMIT, what="x", now=now - window - 5)
    throttle.hit(db.session, "cast:" + "b" * 64, CAST_LIMIT, what="x", now=now - window + 60)
    throttle.hit(db.session, "code-ip:c", CAST_LIMIT, what="x", now=now - window - 5)
    throttle._last_purge = 0  # the next cast of this process purges
    url = f"/api/vote-days/{opened.vote_day}/ballots"
    ballot = blank_ballot(opened, 0)
    assert app.test_client().post(url, json=ballot).status_code == 201
    keys = set(db.session.scalars(sa.select(RateCounter.key)))
    db.session.commit()
    assert "cast:" + "a" * 64 not in keys  # its window is over: an upsert would restart it
    assert {"cast:" + "b" * 64, "code-ip:c", f"cast:{ballot['credential']}"} <= keys


def test_leaf_data_is_stored_without_a_compression_attempt(app: Flask) -> None:
    """Migration 0010: on PostgreSQL a leaf's data is STORAGE EXTERNAL (docs/performance.md)."""
    head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert head >= "0011_leaf_storage_external"  # migration 0011 is applied
    if db.engine.dialect.name == "postgresql":
        storage = db.session.scalar(
            sa.text(
                "SELECT attstorage FROM pg_attribute"
                " WHERE attrelid = 'log_leaves'::regclass AND attname = 'data'"
            )
        )
        assert storage == "e"
    db.session.rollback()


def test_append_rows_carry_no_per_row_checks(app: Flask) -> None:
    """Migration 0012: the rows every append writes run no foreign-key trigger (PostgreSQL)
    and the content rows carry only their primary key's index (docs/performance.md)."""
    inspector = sa.inspect(db.engine)
    indexes = {index["name"] for index in inspector.get_indexes("ballot_contents")}
    assert "ix_ballot_contents_leaf" not in indexes
    if db.engine.dialect.name == "postgresql":
        tables = ["log_leaves", "log_nodes", "cast_ballots", "ballot_contents"]
        assert all(inspector.get_foreign_keys(table) == [] for table in tables)


def test_the_standing_of_an_entry_that_is_no_ballot_is_none(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Without the content rows' leaf index, an audit is told by its entry's type."""
    from voting.services.casting import ballot_standing

    opened = prepare_vote_day()
    size = bulletin.log_size(db.session, opened.vote_day)
    assert ballot_standing(db.session, opened.vote_day, 0) is None  # the manifest
    assert ballot_standing(db.session, opened.vote_day, size) is None  # not yet on the log
    assert ballot_standing(db.session, opened.vote_day, -1) is None
    db.session.rollback()
