"""Hostile clients against the published record: its cost and what it reveals (issue 14, 5-6).

Rows of docs/threat-model.md, "Hostile clients (availability and privacy)".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures_casting import OpenVoteDay
from tests.web.test_observer_pages import BASE
from tests.web.test_observer_pages import DAY
from tests.web.test_observer_pages import simulate_vote_day
from voting.services import record_export


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
