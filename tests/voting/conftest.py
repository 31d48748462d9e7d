"""Fixtures of tests/voting: a rehearsed vote day's record, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import Record
from voting.rehearsal.rehearse import RehearsalSummary
from voting.rehearsal.rehearse import rehearse

REHEARSAL_VOTERS = 24


@pytest.fixture(scope="session")
def rehearsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[RehearsalSummary, Keys]:
    """A whole vote day of 24 voters through the HTTP API, and the keys that sealed it."""
    workdir = tmp_path_factory.mktemp("rehearsal")
    summary = rehearse(
        voters=REHEARSAL_VOTERS,
        record=workdir / "record",
        workdir=workdir / "instance",
        seed=b"tests",
        witnesses=1,
        jobs=2,
    )
    assert summary.log_key_path is not None
    seed = bytes.fromhex(summary.log_key_path.read_text().strip())
    origin = f"urna.local/log/{summary.vote_day}"
    keys = Keys(seed, origin, tuple(summary.witness_secrets), origin + "/witnesses")
    return summary, keys


@pytest.fixture()
def record_copy(rehearsed: tuple[RehearsalSummary, Keys], tmp_path: Path) -> Record:
    """A writable copy of the rehearsed record, for one tamper test."""
    return Record(rehearsed[0].record, tmp_path / "record")
