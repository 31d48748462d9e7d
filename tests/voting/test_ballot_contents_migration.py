"""Migration 0007: the content index is filled from the ballots and audits already logged.

A server upgraded in the middle of a vote day must refuse a replay of a
ballot logged before the upgrade. The test runs on its own SQLite database
(it downgrades and upgrades the schema), whatever database the suite uses.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade
from flask_migrate import upgrade

from crypto.ballot import content_keys
from tests.conftest import _config
from tests.fixtures_casting import OpenVoteDay
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import make_ballot
from tests.voting.tally_helpers import spoil
from tests.voting.tally_helpers import vote
from voting.app import create_app
from voting.app.extensions import db
from voting.models.elections import BallotContent
from voting.services import casting


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Flask]:
    """A fresh SQLite database at head (overrides tests/conftest.py's ``app``)."""
    app = create_app(_config(f"sqlite:///{tmp_path / 'urna.sqlite'}", tmp_path))
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def _rows() -> set[tuple[str, int, str]]:
    rows = db.session.execute(
        sa.select(BallotContent.digest, BallotContent.leaf_index, BallotContent.kind)
    ).all()
    db.session.commit()
    return {(d, int(i), k) for d, i, k in rows}


def test_upgrade_indexes_the_ballots_already_on_the_log(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    opened = prepare_vote_day(revote_policy="last-counts")  # a replay is refused for its content
    audited = spoil(app, opened, WINTERTHUR, 0, {"bike-paths": ["yes"]})
    cast = vote(app, opened, WINTERTHUR, 1, {"bike-paths": ["no"]})
    written = _rows()
    assert {k for _, _, k in written} == {"ballot", "spoiled"}
    assert {i for _, i, _ in written} == {audited, cast}
    db.session.remove()
    downgrade(revision="0006_tally")
    assert "ballot_contents" not in sa.inspect(db.engine).get_table_names()
    upgrade()
    assert _rows() == written  # the same rows as the casting path wrote
    # and a replay of the ballot logged before the upgrade is refused
    ballot, _ = make_ballot(
        opened.vote_day,
        opened.code(WINTERTHUR, 1),
        WINTERTHUR,
        {"bike-paths": ["no"]},
        f"{WINTERTHUR}/1/{ {'bike-paths': ['no']} }".encode(),
    )
    assert content_keys(ballot)[0] in {d for d, i, _ in written if i == cast}
    with pytest.raises(casting.BallotRefused) as refused:
        casting.cast_ballot(db.session, opened.vote_day, ballot)
    assert refused.value.code == "ballot_already_on_log"
