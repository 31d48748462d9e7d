"""The log behaves the same on SQLite and PostgreSQL, under concurrency and crashes.

Every test here runs on both backends explicitly. PostgreSQL is reached at
``URNA_TEST_POSTGRES_URL`` (default: the CI database ``test`` on
127.0.0.1:5432); each run works in a schema of its own that it drops at the
end, so it never disturbs other tests using that database. If PostgreSQL is
unreachable these tests FAIL: the bulletin board must be tested on it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_migrate import upgrade

from crypto import merkle
from crypto.note import verify_checkpoint
from tests.postgres_schema import scratch_schema
from voting.app import create_app
from voting.app.extensions import db
from voting.log import bulletin
from voting.log.audit import audit_log
from voting.log.keys import LogSigning
from voting.models.log import LogLeaf

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get(
    "URNA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NAME = "2026-06-14-ch"
SIGNING = LogSigning(bytes(range(32)))  # the key of tests/voting/_log_worker.py
SAFETY_TIMEOUT_S = 120


def _migrate(url: str, instance: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "URNA_INSTANCE": str(instance)})
    with app.app_context():
        upgrade(revision="0001_log")
        db.engine.dispose()


@pytest.fixture(scope="module")
def postgres_schema_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_schema(POSTGRES_URL, "urna_log_test", what="the log") as url:
        _migrate(url, tmp_path_factory.mktemp("pg"))
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'log.sqlite'}"
        _migrate(url, tmp_path)
    else:
        url = request.getfixturevalue("postgres_schema_url")
    engine = sa.create_engine(url)
    with so.Session(engine) as session:
        session.execute(sa.text("DELETE FROM log_checkpoints"))
        session.execute(sa.text("DELETE FROM log_nodes"))
        session.execute(sa.text("DELETE FROM log_leaves"))
        session.execute(sa.text("DELETE FROM logs"))
        session.commit()
        bulletin.create_log(session, NAME, origin=SIGNING.origin_for(NAME))
    engine.dispose()
    yield url


@pytest.fixture()
def session(database_url: str) -> Iterator[so.Session]:
    engine = sa.create_engine(database_url)
    with so.Session(engine) as session:
        yield session
    engine.dispose()


def _worker(url: str, worker: str, mode: str, count: int) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "tests.voting._log_worker", url, NAME, worker, mode, str(count)]
    return subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE)


def _all_records(session: so.Session) -> list[tuple[int, dict]]:
    size = bulletin.log_size(session, NAME)
    out = []
    for start in range(0, size, bulletin.MAX_PAGE):
        end = min(size, start + bulletin.MAX_PAGE)
        out += [(e.index, e.record) for e in bulletin.get_entries(session, NAME, start, end)]
    return out


def test_core_scenario(session: so.Session) -> None:
    bulletin.append(session, NAME, {"type": "open"})
    bulletin.append_many(session, NAME, [{"type": "ballot", "n": i} for i in range(40)])
    with pytest.raises(RuntimeError), bulletin.locked_log(session, NAME) as log:
        log.append({"type": "ballot", "n": "rolled back"})
        raise RuntimeError
    first = bulletin.issue_checkpoint(session, NAME, SIGNING)
    assert first.size == 41
    bulletin.append_many(session, NAME, [{"type": "ballot", "n": i} for i in range(40, 70)])
    second = bulletin.issue_checkpoint(
        session, NAME, SIGNING, now=first.created_at + dt.timedelta(seconds=1)
    )
    key = SIGNING.verifier_key(SIGNING.origin_for(NAME))
    assert verify_checkpoint(second.note, key).size == 71
    leaves = [merkle.leaf_hash(bulletin.get_entry(session, NAME, i).data) for i in range(71)]
    assert second.root_hash == merkle.root_hash(leaves)
    for index in (0, 17, 40, 70):
        proof = bulletin.inclusion_proof(session, NAME, index, 71)
        merkle.verify_inclusion(leaves[index], index, 71, proof, second.root_hash)
    proof = bulletin.consistency_proof(session, NAME, 41, 71)
    merkle.verify_consistency(41, 71, proof, first.root_hash, second.root_hash)
    assert bulletin.find_index(session, NAME, leaves[40]) == 40
    assert audit_log(session, NAME).checkpoints == 2


def test_two_processes_append_concurrently(database_url: str, session: so.Session) -> None:
    workers = [_worker(database_url, name, "single", 60) for name in ("a", "b")]
    for proc in workers:
        _, err = proc.communicate(timeout=SAFETY_TIMEOUT_S)
        assert proc.returncode == 0, err.decode()
    records = _all_records(session)
    assert [index for index, _ in records] == list(range(120))
    for name in ("a", "b"):
        assert sorted(r["n"] for _, r in records if r["worker"] == name) == list(range(60))
    count = session.execute(sa.select(sa.func.count()).select_from(LogLeaf)).scalar_one()
    assert count == 120
    assert audit_log(session, NAME).size == 120


def test_sigkill_during_appends_leaves_a_consistent_log(
    database_url: str, session: so.Session
) -> None:
    proc = _worker(database_url, "k", "batches", 10**6)
    deadline = time.monotonic() + SAFETY_TIMEOUT_S
    try:
        while bulletin.log_size(session, NAME) < 400:
            session.rollback()  # see the other process's commits
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    session.rollback()
    report = audit_log(session, NAME)  # every stored hash recomputed from the data
    latest = bulletin.get_checkpoint(session, NAME)
    key = SIGNING.verifier_key(SIGNING.origin_for(NAME))
    assert verify_checkpoint(latest.note, key).size == latest.size <= report.size
    assert latest.root_hash == bulletin.root_at(session, NAME, latest.size)
    # the log still takes appends after the crash
    bulletin.append(session, NAME, {"type": "after crash"})
    assert audit_log(session, NAME).size == report.size + 1
