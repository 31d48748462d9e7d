"""Hostile clients against the published record: its cost and what it reveals (issue 14, 5-6).

Rows of docs/threat-model.md, "Hostile clients (availability and privacy)".
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
from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures_casting import OpenVoteDay
from tests.voting.tally_helpers import close_and_start
from tests.voting.tally_helpers import decrypt_as
from tests.voting.tally_helpers import vote
from tests.web.test_observer_pages import BASE
from tests.web.test_observer_pages import DAY
from tests.web.test_observer_pages import simulate_vote_day
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.services import record_export
from voting.services import results as results_service
from voting.services import tally as tally_service
from voting.services.record_export import export_record

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture()
def exporter_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Calls of the O(record) exporter, wherever it is called from."""
    calls: list[str] = []
    real = record_export.export_record

    def counting(session: Any, vote_day_id: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(vote_day_id)
        return real(session, vote_day_id, *args, **kwargs)

    import voting.services.record_store as store
    import voting.views.observer as observer

    monkeypatch.setattr(record_export, "export_record", counting)
    for module in (store, observer):
        if hasattr(module, "export_record"):
            monkeypatch.setattr(module, "export_record", counting)
    return calls


def test_stranger_asking_for_the_record_again_and_again_costs_no_rebuild(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    client: FlaskClient,
    exporter_calls: list[str],
) -> None:
    """Attacker: a stranger (any HTTP client, no account).

    Capability: asks for ``/observe/<day>/record.zip`` as often as it likes.
    Before: every request re-read the whole log and re-wrote the zip (2.4 s
    for 20,000 entries). Now the record is built once, at publication, and
    every request sends that file.
    """
    simulate_vote_day(app, prepare_vote_day)
    built = len(exporter_calls)
    assert built <= 1  # the publication's build (none before the change)
    bodies = set()
    for _ in range(20):
        response = client.get(f"{BASE}/record.zip")
        assert response.status_code == 200
        bodies.add(response.get_data())
        response.close()
    assert len(exporter_calls) == built == 1
    assert len(bodies) == 1


def test_stranger_asking_for_the_record_of_an_open_day_builds_nothing(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    client: FlaskClient,
    exporter_calls: list[str],
) -> None:
    """Attacker: a stranger. Capability: asks for the record of a day whose log still grows.

    Before: the whole record was built (and a checkpoint signed) for each
    request. Now: 404 naming the log API, nothing built or signed.
    """
    prepare_vote_day()
    for _ in range(5):
        response = client.get(f"{BASE}/record.zip")
        assert response.status_code == 404
        assert f"/api/logs/{DAY}/" in response.get_data(as_text=True)
    assert exporter_calls == []


# -- 6. reading a vote from a small unit ---------------------------------------------------

ELSAU, SEUZACH = "municipality:219", "municipality:227"
"""Elsau and Seuzach: two municipalities of canton Zurich without a question of their own."""


def _small_unit_day(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> OpenVoteDay:
    """Minimum 10: Elsau's one voter, Seuzach's ten; closed and tallied by two trustees."""
    prepared = prepare_vote_day(voters={ELSAU: 1, SEUZACH: 10}, min_electronic_ballots=10)
    vote(app, prepared, ELSAU, 0, {"bike-paths": ["no"], "zh-tax-law": ["yes"]})
    for n in range(10):
        vote(app, prepared, SEUZACH, n, {"bike-paths": ["yes"], "zh-tax-law": ["no"]})
    close_and_start(app, prepared)
    decrypt_as(app, prepared, "alice", "bob")
    return prepared


def _counts(vote_day: str) -> dict[str, dict[str, Any]]:
    size = bulletin.log_size(db.session, vote_day)
    records = [e.record for e in bulletin.get_entries(db.session, vote_day, 0, size)]
    return {r["unit"]: r for r in records if r.get("type") == "electronic-counts"}


def test_stranger_cannot_read_a_lone_voters_choices_from_the_counts(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    monkeypatch: pytest.MonkeyPatch,
    client: FlaskClient,
) -> None:
    """Attacker: a stranger reading the public log. Capability: knows who lives in Elsau.

    Before: Elsau's ``electronic-counts`` (one ballot) were its one voter's
    choices. Now Elsau's ballot is counted with Seuzach's at the canton, and
    the official result (canton and nation, double majority) is still computed.
    """
    prepared = _small_unit_day(app, prepare_vote_day, monkeypatch)
    counts = _counts(prepared.vote_day)
    assert ELSAU not in counts and SEUZACH not in counts
    assert counts["canton:ZH"]["units"] == [ELSAU, SEUZACH]
    assert counts["canton:ZH"]["ballots"] == 11
    assert counts["canton:ZH"]["questions"]["bike-paths"] == [10, 1]  # yes, no
    for record in counts.values():
        assert record["ballots"] >= 10
    results = {
        r["question"]: r
        for r in results_service.results(db.session, prepared.vote_day)["questions"]
    }
    bike = results["bike-paths"]
    rows = {row["unit"]: row for row in bike["units"]}
    assert rows["canton:ZH"]["total"]["options"] == [10, 1]
    assert rows["nation:CH"]["total"]["ballots_cast"] == 11
    assert bike["outcome"]["cantons"] is not None  # the double majority is decided
    page = client.get(f"{BASE}/results").get_data(as_text=True)
    assert "Electronic ballots are published in groups of at least 10" in page
    assert "(electronic ballots counted with Zürich)" in page or (
        "(electronic ballots counted with Zurich)" in page
    )


def _verify_json(path: Path) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "voting.verify", str(path), "--witnesses", "0", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert run.returncode != 0
    report: dict[str, Any] = json.loads(run.stdout)
    return {c["check"]: c for c in report["checks"]}


def test_verifier_fails_a_record_that_merges_the_cantons_away(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Attacker: a malicious server operator. Capability: decides what the tally logs.

    It merges every unit into the nation, so that no canton's figures exist
    and the double majority cannot be checked. The verifier names the rule.
    """
    all_at_the_top = lambda parents, questions, ballots, minimum: {"nation:CH": sorted(ballots)}  # noqa: E731
    monkeypatch.setattr(tally_service, "publication_groups", all_at_the_top)
    prepared = _small_unit_day(app, prepare_vote_day, monkeypatch)
    assert set(_counts(prepared.vote_day)) == {"nation:CH"}
    path = tmp_path / "record.zip"
    export_record(db.session, prepared.vote_day, path, signing=log_signing(app))
    checks = _verify_json(path)
    assert checks["publication-minimum"]["status"] == "failed"
    assert "nation:CH is not a unit whose totals are published" in json.dumps(checks)


def test_verifier_fails_a_record_that_publishes_a_small_units_counts(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Attacker: a malicious server operator. Capability: decides what the tally logs.

    It ignores the manifest's minimum and logs Elsau's own totals (one ballot),
    which the trustees then decrypt. Every signature and proof in the record is
    valid; the verifier must still fail it, naming the rule.
    """
    every_unit_alone = lambda parents, questions, ballots, minimum: {u: [u] for u in ballots}  # noqa: E731
    monkeypatch.setattr(tally_service, "publication_groups", every_unit_alone)
    prepared = _small_unit_day(app, prepare_vote_day, monkeypatch)
    assert _counts(prepared.vote_day)[ELSAU]["ballots"] == 1  # the crafted record
    path = tmp_path / "record.zip"
    export_record(db.session, prepared.vote_day, path, signing=log_signing(app))
    checks = _verify_json(path)
    assert checks["publication-minimum"]["status"] == "failed"
    messages = json.dumps(checks["publication-minimum"])
    assert f"{ELSAU} has its own totals with 1 ballots" in messages
    assert "minimum of 10" in messages
