"""The key ceremony's API routes and ``flask --app app ceremony``: who may post what.

Every refusal is a 4xx JSON answer with the service's error code, and the log
does not grow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from crypto.trustees import Ceremony
from crypto.trustees import Complaint
from crypto.trustees import TrusteeSecrets
from crypto.trustees import commit
from crypto.trustees import deal_shares
from crypto.trustees import declare_ready
from crypto.trustees import new_trustee
from crypto.trustees import sign
from tests.fixtures_casting import DEMO_VOTE_DAY
from tests.official_actions import FAST_HASH
from tests.official_actions import PASSWORD
from tests.official_actions import OfficialActions
from tests.voting.trustee_tool_helpers import TRUSTEES
from tests.voting.trustee_tool_helpers import create_officials
from voting.app.extensions import db
from voting.log import bulletin
from voting.models.votedays import VoteDay
from voting.rehearsal.demo import load_demo
from voting.services import officials

API = f"/api/vote-days/{DEMO_VOTE_DAY}"


def _as(actions: OfficialActions, username: str) -> None:
    actions.log_out()
    assert actions.log_in(username).status_code == 303


def _size() -> int:
    db.session.commit()
    return bulletin.log_size(db.session, DEMO_VOTE_DAY)


@pytest.fixture()
def begun(app: Flask, official_actions: OfficialActions) -> Iterator[Ceremony]:
    """The demo vote day's ceremony begun over the API by an administrator."""
    list(load_demo())
    create_officials()
    assert official_actions.log_in("ada").status_code == 303
    started = official_actions.post_json(
        f"{API}/ceremony/begin", {"trustees": list(TRUSTEES), "threshold": 2}
    )
    assert started.status_code == 201, started.get_json()
    body = official_actions.client.get(f"{API}/ceremony").get_json()
    yield Ceremony.from_json(body["ceremony"])


def _secrets(ceremony: Ceremony) -> dict[str, TrusteeSecrets]:
    return {name: new_trustee(ceremony, name) for name in ceremony.trustees}


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.get_json()
    assert response.is_json and response.get_json()["error"] == code


def test_begin_checks_the_officials_and_the_roles(
    app: Flask, official_actions: OfficialActions
) -> None:
    list(load_demo())
    create_officials()
    officials.create_official(db.session, "rita", PASSWORD, limits=FAST_HASH)
    body = {"trustees": ["alice", "bob", "rita"], "threshold": 2}
    assert official_actions.log_in("alice").status_code == 303
    _refused(official_actions.post_json(f"{API}/ceremony/begin", body), 403, "role_required")
    _as(official_actions, "ada")
    _refused(
        official_actions.post_json(f"{API}/ceremony/begin", body), 400, "not_trustee_officials"
    )
    assert db.session.get_one(VoteDay, DEMO_VOTE_DAY).status == "draft"
    nope = official_actions.post_json("/api/vote-days/nope/ceremony/begin", body)
    assert nope.status_code == 404
    body["trustees"] = list(TRUSTEES)
    assert official_actions.post_json(f"{API}/ceremony/begin", body).status_code == 201
    _refused(official_actions.post_json(f"{API}/ceremony/begin", body), 409, "transition_refused")


def test_public_state_and_the_trustee_messages(
    begun: Ceremony, official_actions: OfficialActions
) -> None:
    client = official_actions.client
    state = client.get(f"{API}/ceremony").get_json()
    assert state["status"] == "key-ceremony" and state["election_key"] is None
    assert state["ceremony"]["trustees"] == list(TRUSTEES) and state["commitments"] == []
    secrets = _secrets(begun)
    commitments = {name: commit(begun, s) for name, s in secrets.items()}

    size = _size()
    _as(official_actions, "ada")  # not a trustee official
    post = official_actions.post_json
    _refused(post(f"{API}/ceremony/commitment", commitments["alice"].to_json()), 403,
             "role_required")  # fmt: skip
    officials.grant_role(db.session, officials.get_official(db.session, "ada"), "trustee", None)
    _refused(post(f"{API}/ceremony/commitment", commitments["alice"].to_json()), 403,
             "not_a_trustee")  # fmt: skip
    _as(official_actions, "bob")
    _refused(post(f"{API}/ceremony/commitment", commitments["alice"].to_json()), 403,
             "wrong_trustee")  # fmt: skip
    forged = commitments["bob"].to_json()
    forged["proofs"][0] = forged["proofs"][1]
    _refused(post(f"{API}/ceremony/commitment", forged), 400, "invalid_trustee_message")
    assert client.post(f"{API}/ceremony/commitment", json=forged).status_code == 400  # no CSRF
    _refused(post(f"{API}/ceremony/shares", {"shares": []}), 409, "ceremony_refused")
    assert _size() == size  # nothing logged

    for name in TRUSTEES:
        _as(official_actions, name)
        assert post(f"{API}/ceremony/commitment", commitments[name].to_json()).status_code == 201
    _refused(post(f"{API}/ceremony/commitment", commitments["carol"].to_json()), 409,
             "ceremony_refused")  # fmt: skip
    dealt = {
        name: [s.to_json() for s in deal_shares(begun, s, list(commitments.values()))]
        for name, s in secrets.items()
    }
    _refused(post(f"{API}/ceremony/shares", {"shares": dealt["alice"]}), 403, "wrong_trustee")
    ready = {name: declare_ready(begun, s).to_json() for name, s in secrets.items()}
    _refused(
        post(f"{API}/ceremony/ready", ready["carol"]), 409, "ceremony_refused"
    )  # not all dealt
    for name in TRUSTEES:
        _as(official_actions, name)
        assert post(f"{API}/ceremony/shares", {"shares": dealt[name]}).status_code == 201
    unsigned = Complaint(
        accuser="carol", accuser_index=3, accused="alice", accused_index=1, reason="wrong-share"
    )
    complaint = sign(begun, secrets["carol"], unsigned).to_json()
    size = _size()
    by_alice = Complaint(
        accuser="alice", accuser_index=1, accused="bob", accused_index=2, reason="missing"
    )  # a real signature, but alice's: it does not make carol's complaint
    forged = {**complaint, "signature": sign(begun, secrets["alice"], by_alice).signature.hex()}
    _refused(post(f"{API}/ceremony/complaints", forged), 400, "invalid_trustee_message")
    assert _size() == size  # carol's session alone does not make a complaint carol's
    assert post(f"{API}/ceremony/complaints", complaint).status_code == 201
    _refused(post(f"{API}/ceremony/complaints", complaint), 409, "ceremony_refused")  # twice
    fake = {**complaint, "accused": "bob"}  # bob is not trustee #1
    _refused(post(f"{API}/ceremony/complaints", fake), 400, "invalid_trustee_message")
    for name in TRUSTEES:
        _as(official_actions, name)
        _refused(post(f"{API}/ceremony/ready", {}), 400, "invalid_trustee_message")  # unsigned
        assert post(f"{API}/ceremony/ready", ready[name]).status_code == 201

    _as(official_actions, "ada")
    size = _size()
    _refused(post(f"{API}/ceremony/complete", {}), 409, "ceremony_refused")  # unanswered
    assert client.get(f"{API}/ceremony").get_json()["unanswered"] == [complaint]
    _refused(post(f"{API}/ceremony/complete", {"unanswered": "yes"}), 400, "invalid_request")
    assert _size() == size
    done = post(f"{API}/ceremony/complete", {"unanswered": True})
    assert done.status_code == 201 and done.get_json()["status"] == "credentials"
    final = client.get(f"{API}/ceremony").get_json()
    assert final["status"] == "credentials"
    assert final["election_key"]["disqualified"] == ["alice"]
    assert client.get(f"{API}/decryption-shares").get_json() == {
        "vote_day": DEMO_VOTE_DAY,
        "units": {},
    }


def test_ceremony_commands(app: Flask, runner: FlaskCliRunner) -> None:
    list(load_demo())
    create_officials()
    bad = runner.invoke(args=["ceremony", "begin", DEMO_VOTE_DAY, "--trustee", "zed",
                              "--threshold", "1"])  # fmt: skip
    assert bad.exit_code == 1 and "not active officials with the trustee role" in bad.output
    names = [arg for name in TRUSTEES for arg in ("--trustee", name)]
    began = runner.invoke(args=["ceremony", "begin", DEMO_VOTE_DAY, *names, "--threshold", "2"])
    assert began.exit_code == 0, began.output
    early = runner.invoke(args=["ceremony", "complete", DEMO_VOTE_DAY])
    assert early.exit_code == 1 and "waiting for trustees" in early.output
    status = runner.invoke(args=["ceremony", "status", DEMO_VOTE_DAY])
    assert status.exit_code == 0 and '"committed": []' in status.output
