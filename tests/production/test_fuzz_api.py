"""schemathesis against docs/openapi.yaml: casting, the log API and the witness endpoints.

For every operation, valid and invalid requests are generated from the
OpenAPI description (half of them aimed at a real open vote day, so that
they reach the services, not only the 404 of an unknown name). Every answer
must be a documented status, never a 5xx; every refusal a JSON error with a
code and a message; and nothing a refused request sent may reach the log or
the tables behind it.

``URNA_FUZZ_EXAMPLES`` (default 12, per operation and mode) makes the run
bigger: docs/operations.md, "Fuzzing".
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET

from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.log import bulletin
from voting.models.elections import CastBallot

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
EXAMPLES = int(os.environ.get("URNA_FUZZ_EXAMPLES", "12"))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]

pytestmark = pytest.mark.production


def _has_inputs(operation: Any) -> bool:
    """Whether invalid requests can be generated (a body or a non-path parameter)."""
    if operation.method.upper() in {"POST", "PUT", "PATCH"}:
        return True
    return any(p.location != "path" for p in operation.iter_parameters())


def _strategy(operation: Any, vote_day: str) -> st.SearchStrategy[Any]:
    aimed = {name: vote_day for name in ("vote_day", "name") if f"{{{name}}}" in operation.path}
    modes = [GenerationMode.POSITIVE]
    if _has_inputs(operation):
        modes.append(GenerationMode.NEGATIVE)
    return st.one_of(
        *[
            operation.as_strategy(generation_mode=mode, path_parameters=params)
            for mode in modes
            for params in (None, aimed)
        ]
    )


def _send(client: FlaskClient, case: Any) -> Any:
    path = case.operation.path
    for name, value in (case.path_parameters or {}).items():
        path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
    kwargs: dict[str, Any] = {"method": case.method.upper(), "query_string": case.query or {}}
    if case.body is not NOT_SET:
        body = case.body
        kwargs["data"] = body if isinstance(body, bytes) else json.dumps(body)
        kwargs["content_type"] = case.media_type or "application/json"
    return client.open(path, **kwargs)


def _state() -> tuple[int, ...]:
    """What a refused request must not change: the log and the rows behind it."""
    db.session.rollback()
    tables = ("log_leaves", "log_nodes", "log_checkpoints", "cast_ballots", "witnesses")
    counts = [db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables]  # noqa: S608
    return tuple(int(c) for c in counts)


def _check(operation: Any, response: Any) -> None:
    status = response.status_code
    label = f"{operation.method.upper()} {operation.path}"
    assert status < 500, f"{label} answered {status}: {response.get_data(as_text=True)[:300]}"
    documented = set(operation.definition.raw["responses"])
    assert str(status) in documented, (
        f"{label} answered undocumented {status}: {response.get_data(as_text=True)[:300]}"
    )
    if status >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict), f"{label} {status} is not a JSON error"
        assert isinstance(body.get("error"), str) and body["error"], body
        assert isinstance(body.get("message"), str) and body["message"], body


@pytest.fixture()
def open_day(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> OpenVoteDay:
    # Rate limits would turn later examples into 429s: they have their own tests.
    app.config["URNA_CAST_LIMIT"] = (10**9, 60)
    app.config["URNA_CODE_LIMIT"] = (10**9, 60)
    return prepare_vote_day()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_operation_answers_calmly(
    operation: Any, open_day: OpenVoteDay, client: FlaskClient
) -> None:
    # A checkpoint exists and the checkpoint endpoint may issue at most one more.
    bulletin.latest_checkpoint_note(db.session, open_day.vote_day)
    before = _state()
    seen: set[int] = set()

    # Ballot-shaped bodies are slow to generate (about 1 s each); the mutations
    # of real ballots in test_fuzz_ballots.py cover casting more deeply.
    ballot_body = operation.method.upper() == "POST" and "/vote-days/" in operation.path

    @settings(
        max_examples=max(4, EXAMPLES // 2) if ballot_body else EXAMPLES,
        deadline=None,
        database=None,
        derandomize="URNA_FUZZ_EXAMPLES" not in os.environ,  # CI: the same examples each run
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, open_day.vote_day))
    def run(case: Any) -> None:
        response = _send(client, case)
        _check(operation, response)
        seen.add(response.status_code)

    run()
    after = _state()
    if operation.method.upper() == "GET":
        # Reads change nothing (the checkpoint endpoint may sign the tree, nothing else).
        assert after[:2] == before[:2] and after[3:] == before[3:]
    else:
        assert after == before, "a refused request changed the log or its tables"
        assert not seen & {200, 201}, "a generated request was accepted"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot)) == 0
