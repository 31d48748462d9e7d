"""A credential holder making the server check partial-code proofs without end.

Attacker: whoever holds a voting code (the voter, or malware on the voter's
device), posting casts whose ballot is validly signed but whose partial choice
codes do not match it, or re-posting a ballot already cast. Each such post cost
the server the partial-code proof checks (about 3.6 ms of CPU per question) and
counted against no limit. docs/threat-model.md, "Return codes" (proof flood):
the checks count against the credential's cast limit, a credential over it is
refused before them, and a credential that has cast is refused before them.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from crypto import returncodes as rc
from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.testing import deterministic_rng
from tests.fixtures_casting import OpenVoteDay
from tests.returncode_authorities import CodedVoteDay
from tests.returncode_authorities import coded_vote_day
from voting.app.extensions import db
from voting.models.returncodes import ReturnCodeBallot
from voting.tools.client import ClientError
from voting.tools.client import VotingClient
from voting.tools.client import return_codes as device

WINTERTHUR = "municipality:230"
PICKED = {"bike-paths": ["yes"], "winterthur-square": ["eulach"]}
LIMIT = 3


@pytest.fixture()
def coded(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], tmp_path: Path
) -> Iterator[CodedVoteDay]:
    app.config["URNA_CAST_LIMIT"] = (LIMIT, 15 * 60)
    with coded_vote_day(
        app, prepare_vote_day, tmp_path / "authorities", voters={WINTERTHUR: 1}, timeout=30.0
    ) as coded:
        yield coded


@pytest.fixture()
def proof_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many partial-code proofs the server checked (the expensive step)."""
    calls: list[int] = []
    real = rc.verify_partial_code

    def counting(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        real(*args, **kwargs)

    monkeypatch.setattr(rc, "verify_partial_code", counting)
    return calls


def _mismatched_body(client: VotingClient, coded: CodedVoteDay) -> dict[str, Any]:
    """A validly signed ballot with the partial codes of another encryption."""
    code = coded.opened.code(WINTERTHUR, 0)
    credential = derive_credential(code, coded.vote_day)
    form = client.ballot_form(coded.vote_day, credential)
    ballots = [
        encrypt_ballot(
            form.selections(PICKED),
            questions=form.questions,
            election=form.election,
            credential=credential,
            rng=deterministic_rng(seed),
        )
        for seed in (b"cast", b"other")
    ]
    (ballot, _), (other, other_secrets) = ballots
    partial = device.partial_codes(form, other, other_secrets, code, rng=deterministic_rng(b"p"))
    return {"ballot": ballot.to_json(), "return_codes": partial}


def _post(client: VotingClient, coded: CodedVoteDay, body: dict[str, Any]) -> ClientError:
    with pytest.raises(ClientError) as refused:
        client.post_json(f"/api/vote-days/{coded.vote_day}/ballots", body)
    return refused.value


def test_refused_partial_codes_count_against_the_credential_and_stop_at_its_limit(
    coded: CodedVoteDay, live_server: str, proof_checks: list[int]
) -> None:
    client = VotingClient(live_server)
    body = _mismatched_body(client, coded)
    for _ in range(LIMIT):
        assert _post(client, coded, body).code == "return_codes_refused"
    checked = len(proof_checks)
    assert checked >= LIMIT
    for _ in range(3):
        refused = _post(client, coded, body)
        assert (refused.status, refused.code) == (429, "too_many_attempts")
    assert len(proof_checks) == checked  # refused before any proof is checked


def test_a_credential_that_has_cast_is_refused_before_its_proofs_are_checked(
    coded: CodedVoteDay, live_server: str, proof_checks: list[int]
) -> None:
    client = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 0)
    cast = device.cast_with_codes(client, coded.vote_day, code, PICKED)
    checked = len(proof_checks)
    body = _mismatched_body(client, coded)
    refused = _post(client, coded, body)
    assert refused.code == "duplicate_ballot"
    assert refused.body["receipt"]["index"] == cast.receipt.index
    assert len(proof_checks) == checked
    for _ in range(LIMIT):  # each refusal counted: the credential is soon over its limit
        _post(client, coded, body)
    assert _post(client, coded, body).code == "too_many_attempts"
    assert len(proof_checks) == checked


def test_a_resent_request_checked_anew_counts_against_the_credential_too(
    coded: CodedVoteDay, live_server: str, proof_checks: list[int]
) -> None:
    """The server lost the request after the cast (its row is gone): asking again checks
    the partial codes anew, so wrong ones count and stop at the limit as a cast's do."""
    client = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 0)
    device.cast_with_codes(client, coded.vote_day, code, PICKED)
    db.session.execute(sa.delete(ReturnCodeBallot))
    db.session.commit()
    partial = _mismatched_body(client, coded)["return_codes"]
    credential = derive_credential(code, coded.vote_day).public_key.hex()
    body = {"credential": credential, "return_codes": partial}
    path = f"/api/vote-days/{coded.vote_day}/return-codes"
    codes = []
    for _ in range(LIMIT + 2):
        with pytest.raises(ClientError) as refused:
            client.post_json(path, body)
        codes.append(refused.value.code)
    checked = len(proof_checks)
    with pytest.raises(ClientError) as refused:
        client.post_json(path, body)
    assert refused.value.code == "too_many_attempts"
    assert len(proof_checks) == checked
    assert "return_codes_refused" in codes and codes[-1] == "too_many_attempts"
