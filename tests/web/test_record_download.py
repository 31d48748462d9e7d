"""The published record, built once at publication and served as a file (docs/record.md).

A simulated vote day (five ballots, two trustees) is published through the
services, its record built as an official's "publish" builds it, then read
through ``/observe/<day>/record.zip`` as an observer does.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.fixtures_casting import OpenVoteDay
from tests.web.test_observer_pages import BASE
from tests.web.test_observer_pages import DAY
from tests.web.test_observer_pages import simulate_vote_day
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import record_folder
from voting.services import record_store
from voting.services.record_store import RecordNotPublished
from voting.services.record_store import build_record
from voting.services.record_store import stored_record

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture()
def exports(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of the O(record) exporter made from now on, by vote day."""
    calls: list[str] = []
    real = record_store.export_record

    def counting(session: Any, vote_day_id: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(vote_day_id)
        return real(session, vote_day_id, *args, **kwargs)

    monkeypatch.setattr(record_store, "export_record", counting)
    return calls


def fetch(client: FlaskClient, url: str, **kwargs: Any) -> TestResponse:
    """A GET whose body is read and whose file is closed (send_file streams an open file)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def test_second_request_sends_the_same_bytes_without_rebuilding(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    client: FlaskClient,
    exports: list[str],
    tmp_path: Path,
) -> None:
    simulate_vote_day(app, prepare_vote_day)  # publishes and builds the record
    assert exports == [DAY]
    first = fetch(client, f"{BASE}/record.zip")
    second = fetch(client, f"{BASE}/record.zip")
    assert exports == [DAY]  # no request built anything
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    digest = hashlib.sha256(first.get_data()).hexdigest()
    assert first.headers["ETag"] == f'"{digest}"'
    path = tmp_path / "record.zip"
    path.write_bytes(second.get_data())
    run = subprocess.run(
        [sys.executable, "-m", "voting.verify", str(path), "--witnesses", "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_headers_revalidation_and_the_immutable_version(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], client: FlaskClient
) -> None:
    simulate_vote_day(app, prepare_vote_day)
    response = fetch(client, f"{BASE}/record.zip")
    etag = response.headers["ETag"]
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{DAY}-record.zip"'
    again = fetch(client, f"{BASE}/record.zip", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    sha = etag.strip('"')
    version = fetch(client, f"{BASE}/record-{sha}.zip")
    assert version.status_code == 200 and version.get_data() == response.get_data()
    assert version.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    other = fetch(client, f"{BASE}/record-{'0' * 64}.zip")
    assert other.status_code == 404 and sha in other.get_data(as_text=True)


def test_an_unpublished_vote_day_has_no_record_and_builds_none(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    client: FlaskClient,
    exports: list[str],
) -> None:
    simulate_vote_day(app, prepare_vote_day, publish=False)  # tallied, not published
    response = fetch(client, f"{BASE}/record.zip")
    assert response.status_code == 404
    assert "built when its results are published" in response.get_data(as_text=True)
    assert "record.zip" not in fetch(client, f"{BASE}/").get_data(as_text=True)
    with pytest.raises(RecordNotPublished, match="tallied"):
        build_record(db.session, DAY, record_folder(), signing=log_signing(app))
    assert exports == []
    assert not (record_folder() / DAY).exists()


def test_a_rebuild_without_new_cosignatures_keeps_the_file(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], exports: list[str]
) -> None:
    simulate_vote_day(app, prepare_vote_day)
    before = stored_record(record_folder(), DAY)
    again = build_record(db.session, DAY, record_folder(), signing=log_signing(app))
    assert exports == [DAY] and again == before  # the one build is the publication's
    assert sorted(p.name for p in (record_folder() / DAY).iterdir()) == [
        "current.json",
        before.file,
    ]


def test_a_missing_file_is_rebuilt_by_the_command(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], client: FlaskClient
) -> None:
    simulate_vote_day(app, prepare_vote_day)
    stored = stored_record(record_folder(), DAY)
    stored.path(record_folder()).unlink()
    response = fetch(client, f"{BASE}/record.zip")
    assert response.status_code == 404
    assert "flask record build" in response.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["record", "build"])
    assert result.exit_code == 0, result.output
    assert f"built the record of {DAY}" in result.output
    assert fetch(client, f"{BASE}/record.zip").status_code == 200
    result = app.test_cli_runner().invoke(args=["record", "build", DAY])
    assert result.exit_code == 0 and "sha256" in result.output


def test_the_scheduler_builds_a_record_that_is_missing_and_keeps_a_current_one(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], exports: list[str]
) -> None:
    simulate_vote_day(app, prepare_vote_day)
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["schedule", "run", "--no-tiles"])  # tiles: test_schedule_tiles
    assert kept.exit_code == 0 and kept.output == "" and exports == [DAY]
    for path in (record_folder() / DAY).iterdir():
        path.unlink()
    built = runner.invoke(args=["schedule", "run"])
    assert built.exit_code == 0, built.output
    assert f"built the record of {DAY}" in built.output and exports == [DAY, DAY]
    assert stored_record(record_folder(), DAY).entries > 0
