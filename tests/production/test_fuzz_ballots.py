"""Property-based tests of casting: any change to a valid ballot is refused calmly.

A valid ballot is prepared with the voting client; hypothesis then mutates it
(a value replaced by arbitrary JSON, a key dropped or added, one hex digit
changed, a list shortened, reordered or padded) or sends arbitrary bytes. Every
such request must be refused with a 4xx JSON error naming a casting refusal,
and must leave the log and the ballot index exactly as they were. At the end
the untouched ballot is accepted, so the refusals were the mutations' doing.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from crypto.ballot import Ballot
from crypto.ballot import signed_message
from crypto.credentials import derive_credential
from crypto.errors import InvalidEncoding
from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.log import bulletin
from voting.models.elections import CastBallot
from voting.tools.client import VotingClient

pytestmark = pytest.mark.production

EXAMPLES = int(os.environ.get("URNA_FUZZ_EXAMPLES", "12")) * 5
# CI runs the same examples every time; a bigger run (URNA_FUZZ_EXAMPLES) draws new ones.
DERANDOMIZE = "URNA_FUZZ_EXAMPLES" not in os.environ
ANSWERS = {"bike-paths": ["yes"], "zh-tax-law": ["no"], "winterthur-square": []}
REFUSALS = {
    "malformed_ballot",
    "wrong_questions",
    "bad_signature",
    "invalid_proof",
    "unknown_credential",
    "ballot_too_large",
    "vote_day_not_open",
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=70),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)
HEX = "0123456789abcdef"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in a JSON value (the root is ``()``)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def mutated(draw: st.DrawFn, ballot: dict[str, Any]) -> Any:
    """The ballot with one random change somewhere in it."""
    document = copy.deepcopy(ballot)
    path = draw(st.sampled_from(_paths(document)))
    target = _get(document, path)
    actions = ["replace"]
    if isinstance(target, dict):
        actions += ["drop_key", "add_key"]
    if isinstance(target, list) and target:
        actions += ["shorten", "reverse", "pad"]
    if isinstance(target, str) and target and all(c in HEX for c in target):
        actions += ["hex_digit"]
    action = draw(st.sampled_from(actions))
    if action == "replace":
        new: Any = draw(JSON)
    elif action == "drop_key":
        assume(target)
        new = dict(target)
        del new[draw(st.sampled_from(sorted(target)))]
    elif action == "add_key":
        new = {**target, draw(st.text(min_size=1, max_size=12)): draw(JSON)}
    elif action == "shorten":
        new = target[: draw(st.integers(0, len(target) - 1))]
    elif action == "reverse":
        new = target[::-1]
    elif action == "pad":
        new = [*target, copy.deepcopy(draw(st.sampled_from(target)))]
    else:
        i = draw(st.integers(0, len(target) - 1))
        digit = draw(st.sampled_from([c for c in HEX if c != target[i]]))
        new = target[:i] + digit + target[i + 1 :]
    if not path:
        return new
    _get(document, path[:-1])[path[-1]] = new
    return document


def _state(vote_day: str) -> tuple[int, int]:
    db.session.rollback()
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot))
    return bulletin.log_size(db.session, vote_day), int(rows or 0)


def _post(client: FlaskClient, vote_day: str, data: bytes) -> Any:
    return client.post(
        f"/api/vote-days/{vote_day}/ballots", data=data, content_type="application/json"
    )


def _refused(response: Any) -> str:
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str), body
    return str(body["error"])


def _resigned(document: Any, code: str, vote_day: str) -> Any:
    """Sign a mutated ballot again, so that the change reaches the checks after the signature."""
    try:
        parsed = Ballot.from_json({**document, "signature": "00" * 64})
    except (InvalidEncoding, TypeError):
        return document  # not parseable: nothing to sign
    key = derive_credential(code, vote_day).signing_key
    return {**document, "signature": key.sign(signed_message(parsed)).signature.hex()}


@pytest.fixture()
def ballot(
    app: Flask, live_server: str, prepare_vote_day: Callable[..., OpenVoteDay]
) -> tuple[str, str, dict[str, Any]]:
    app.config["URNA_CAST_LIMIT"] = (10**9, 60)  # the limit has its own tests
    opened = prepare_vote_day()
    prepared, _ = VotingClient(live_server).prepare(opened.vote_day, opened.code(), ANSWERS)
    return opened.vote_day, opened.code(), prepared.to_json()


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=list(HealthCheck),
)


def test_any_change_to_a_ballot_is_refused_and_stores_nothing(
    client: FlaskClient, ballot: tuple[str, str, dict[str, Any]]
) -> None:
    vote_day, voting_code, valid = ballot
    before = _state(vote_day)
    seen: set[str] = set()

    @SETTINGS
    @given(mutated(valid), st.booleans())
    def run(document: Any, resign: bool) -> None:
        assume(document != valid)
        if resign and isinstance(document, dict):
            document = _resigned(document, voting_code, vote_day)
        code = _refused(_post(client, vote_day, json.dumps(document).encode()))
        assert code in REFUSALS, code
        seen.add(code)

    run()
    assert _state(vote_day) == before
    assert len(seen) >= 3  # the mutations reached several different checks
    accepted = _post(client, vote_day, json.dumps(valid).encode())
    assert accepted.status_code == 201
    assert _state(vote_day) == (before[0] + 1, before[1] + 1)


def test_arbitrary_bytes_are_refused_and_store_nothing(
    client: FlaskClient, ballot: tuple[str, str, dict[str, Any]]
) -> None:
    vote_day, _, valid = ballot
    before = _state(vote_day)

    @SETTINGS
    @given(st.binary(max_size=2048) | JSON.map(lambda v: json.dumps(v).encode()))
    def run(data: bytes) -> None:
        assert _refused(_post(client, vote_day, data)) in REFUSALS

    run()
    too_large = json.dumps({**valid, "padding": "0" * 70_000}).encode()
    assert _refused(_post(client, vote_day, too_large)) == "ballot_too_large"
    assert _state(vote_day) == before
