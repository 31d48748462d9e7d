"""Casting through the real HTTP API with the voting client (issue 5 acceptance).

Every refusal has its own stable error code and leaves the log and the
tables exactly as they were.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from crypto.ballot import Ballot
from crypto.ballot import signed_message
from crypto.credentials import derive_credential
from crypto.group import L
from crypto.receipt import Receipt
from tests.crypto.invalid_points import ONE_OF_EACH
from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.models.elections import CastBallot
from voting.services.casting import counted_ballots
from voting.services.lifecycle import close_vote_day
from voting.tools.client import ClientError
from voting.tools.client import VotingClient

ANSWERS = {"bike-paths": ["yes"], "zh-tax-law": ["no"], "winterthur-square": []}


def _snapshot(vote_day: str) -> tuple[int, int]:
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot))
    db.session.commit()  # end the read transaction so the server's writes are seen next time
    return bulletin.log_size(db.session, vote_day), int(rows or 0)


def _post(server: str, vote_day: str, body: Any, path: str = "ballots") -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        f"{server}/api/vote-days/{vote_day}/{path}",
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


def _resign(ballot_json: dict[str, Any], code: str, vote_day: str) -> dict[str, Any]:
    credential = derive_credential(code, vote_day)
    parsed = Ballot.from_json({**ballot_json, "signature": "00" * 64})
    signature = credential.signing_key.sign(signed_message(parsed)).signature
    return {**ballot_json, "signature": signature.hex()}


@pytest.fixture()
def opened(prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    return prepare_vote_day()


def test_cast_ballot_is_on_log_and_receipt_verifies(
    app: Flask, live_server: str, opened: OpenVoteDay
) -> None:
    client = VotingClient(live_server)
    receipt = client.vote(opened.vote_day, opened.code(), ANSWERS)
    entry = bulletin.get_entry(db.session, opened.vote_day, receipt.index)
    assert entry.leaf_hash == receipt.leaf_hash
    assert entry.record["type"] == "ballot"
    db.session.commit()
    bulletin.issue_checkpoint(
        db.session, opened.vote_day, log_signing(app), interval=dt.timedelta(0)
    )
    later = client.latest_receipt(receipt)
    assert later.checkpoint is not None
    checkpoint = client.check_receipt(later)
    assert checkpoint.size > receipt.index
    # and a receipt without checkpoint is checked with an inclusion proof
    client.check_receipt(receipt)


def test_every_voter_gets_own_questions(live_server: str, opened: OpenVoteDay) -> None:
    client = VotingClient(live_server)
    winterthur = client.ballot_form(
        opened.vote_day, derive_credential(opened.code(), opened.vote_day)
    )
    elsau = client.ballot_form(
        opened.vote_day, derive_credential(opened.code("municipality:219"), opened.vote_day)
    )
    assert "winterthur-square" in [q.question_id for q in winterthur.questions]
    assert "winterthur-square" not in [q.question_id for q in elsau.questions]
    assert winterthur.questions[0].question_id == elsau.questions[0].question_id


class Refusals:
    """Build refused submissions for one open vote day."""

    def __init__(self, server: str, opened: OpenVoteDay) -> None:
        self.server = server
        self.opened = opened
        self.client = VotingClient(server)

    def ballot(self, n: int = 0, unit: str = "municipality:230") -> dict[str, Any]:
        ballot, _ = self.client.prepare(
            self.opened.vote_day, self.opened.code(unit, n), ANSWERS if unit.endswith("230") else {}
        )
        return ballot.to_json()


def _assert_refused(
    server: str, opened: OpenVoteDay, body: Any, code: str, status: int, path: str = "ballots"
) -> None:
    before = _snapshot(opened.vote_day)
    response = _post(server, opened.vote_day, body, path)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["error"] == code
    assert payload["message"]
    assert _snapshot(opened.vote_day) == before


def test_unknown_credential_refused(live_server: str, opened: OpenVoteDay) -> None:
    other = Refusals(live_server, opened).ballot()
    stranger = "AAAA-BBBB-CCCC-DDDD-EEEE-F"
    from crypto.credentials import normalise_code

    try:
        normalise_code(stranger)
    except ValueError:
        from crypto.credentials import generate_code

        stranger = generate_code()
    credential = derive_credential(stranger, opened.vote_day)
    forged = {**other, "credential": credential.public_key.hex()}
    _assert_refused(
        live_server, opened, _resign(forged, stranger, opened.vote_day), "unknown_credential", 403
    )


def test_second_ballot_refused_under_first_counts(live_server: str, opened: OpenVoteDay) -> None:
    client = VotingClient(live_server)
    first = client.vote(opened.vote_day, opened.code(), ANSWERS)
    second, _ = client.prepare(opened.vote_day, opened.code(), {"bike-paths": ["no"]})
    before = _snapshot(opened.vote_day)
    with pytest.raises(ClientError) as refused:
        client.cast(opened.vote_day, second)
    assert refused.value.code == "duplicate_ballot"
    assert Receipt.from_json(refused.value.body["receipt"]).leaf_hash == first.leaf_hash
    assert _snapshot(opened.vote_day) == before


def test_wrong_questions_for_unit_refused(live_server: str, opened: OpenVoteDay) -> None:
    # A Winterthur ballot (with the municipal question) under an Elsau credential.
    refusals = Refusals(live_server, opened)
    winterthur = refusals.ballot()
    elsau_code = opened.code("municipality:219")
    credential = derive_credential(elsau_code, opened.vote_day)
    moved = {**winterthur, "credential": credential.public_key.hex()}
    _assert_refused(
        live_server, opened, _resign(moved, elsau_code, opened.vote_day), "wrong_questions", 400
    )


def test_bad_signature_refused(live_server: str, opened: OpenVoteDay) -> None:
    ballot = Refusals(live_server, opened).ballot()
    signature = bytearray(bytes.fromhex(ballot["signature"]))
    signature[0] ^= 1
    _assert_refused(
        live_server, opened, {**ballot, "signature": signature.hex()}, "bad_signature", 400
    )


def test_proof_copied_from_another_ballot_refused(live_server: str, opened: OpenVoteDay) -> None:
    refusals = Refusals(live_server, opened)
    victim, attacker = refusals.ballot(0), refusals.ballot(1)
    copied = {**attacker, "answers": copy.deepcopy(victim["answers"])}
    _assert_refused(
        live_server,
        opened,
        _resign(copied, opened.code(n=1), opened.vote_day),
        "invalid_proof",
        400,
    )


@pytest.mark.parametrize(
    "path",
    [
        ("ciphertexts", 0, "pad"),
        ("ciphertexts", 1, "data"),
        ("proofs", 0, 0, "c"),
        ("proofs", 1, 1, "s"),
        ("sum_proof", 0, "s"),
        ("sum_proof", 1, "c"),
    ],
)
def test_flipped_byte_refused(live_server: str, opened: OpenVoteDay, path: tuple[Any, ...]) -> None:
    ballot = Refusals(live_server, opened).ballot()
    tampered = copy.deepcopy(ballot)
    holder: Any = tampered["answers"][0]
    for key in path[:-1]:
        holder = holder[key]
    raw = bytearray(bytes.fromhex(holder[path[-1]]))
    raw[7] ^= 0x10
    holder[path[-1]] = raw.hex()
    before = _snapshot(opened.vote_day)
    response = _post(live_server, opened.vote_day, _resign_if_parseable(tampered, opened))
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_proof", "malformed_ballot"}
    assert _snapshot(opened.vote_day) == before


def _resign_if_parseable(ballot: dict[str, Any], opened: OpenVoteDay) -> dict[str, Any]:
    try:
        return _resign(ballot, opened.code(), opened.vote_day)
    except ValueError:
        return ballot  # no longer a valid point/scalar: refused as malformed anyway


@pytest.mark.parametrize("reason", sorted(ONE_OF_EACH))
def test_invalid_ristretto255_encoding_refused(
    live_server: str, opened: OpenVoteDay, reason: str
) -> None:
    ballot = Refusals(live_server, opened).ballot()
    ballot["answers"][0]["ciphertexts"][0]["pad"] = ONE_OF_EACH[reason]
    _assert_refused(live_server, opened, ballot, "malformed_ballot", 400)


def test_second_encoding_of_a_point_refused(live_server: str, opened: OpenVoteDay) -> None:
    """The pad with bit 255 set: libsodium 1.0.18 alone would read the same element."""
    ballot = Refusals(live_server, opened).ballot()
    pad = bytearray.fromhex(ballot["answers"][0]["ciphertexts"][0]["pad"])
    pad[31] |= 0x80
    ballot["answers"][0]["ciphertexts"][0]["pad"] = pad.hex()
    _assert_refused(live_server, opened, ballot, "malformed_ballot", 400)


def test_identity_pad_refused(live_server: str, opened: OpenVoteDay) -> None:
    ballot = Refusals(live_server, opened).ballot()
    ballot["answers"][0]["ciphertexts"][0]["pad"] = "00" * 32
    _assert_refused(live_server, opened, ballot, "malformed_ballot", 400)


def test_non_canonical_scalar_refused(live_server: str, opened: OpenVoteDay) -> None:
    ballot = Refusals(live_server, opened).ballot()
    s = int.from_bytes(bytes.fromhex(ballot["answers"][0]["proofs"][0][0]["s"]), "little")
    ballot["answers"][0]["proofs"][0][0]["s"] = (s + L).to_bytes(32, "little").hex()
    _assert_refused(live_server, opened, ballot, "malformed_ballot", 400)


@pytest.mark.parametrize(
    "body", [b"{", b"null", b"[]", b'{"vote_day": 1}', b"\xff\xfe", b'"ballot"']
)
def test_malformed_json_refused(live_server: str, opened: OpenVoteDay, body: bytes) -> None:
    _assert_refused(live_server, opened, body, "malformed_ballot", 400)


def test_oversized_body_refused(live_server: str, opened: OpenVoteDay) -> None:
    before = _snapshot(opened.vote_day)
    response = _post(live_server, opened.vote_day, b"{" + b" " * (70 * 1024) + b"}")
    assert response.status_code == 413
    assert response.json()["error"] in {"ballot_too_large", "request_entity_too_large"}
    assert _snapshot(opened.vote_day) == before


def test_vote_day_not_open_refused(app: Flask, live_server: str, opened: OpenVoteDay) -> None:
    ballot = Refusals(live_server, opened).ballot()
    close_vote_day(db.session, opened.vote_day, signing=log_signing(app))
    _assert_refused(live_server, opened, ballot, "vote_day_not_open", 409)


def test_last_counts_keeps_only_newest(
    live_server: str, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    opened = prepare_vote_day(revote_policy="last-counts")
    client = VotingClient(live_server)
    first = client.vote(opened.vote_day, opened.code(), {"bike-paths": ["yes"]})
    second = client.vote(opened.vote_day, opened.code(), {"bike-paths": ["no"]})
    other = client.vote(opened.vote_day, opened.code(n=1), {"bike-paths": ["no"]})
    db.session.commit()
    counted = counted_ballots(db.session, opened.vote_day, "last-counts")
    assert counted == sorted([second.index, other.index])
    assert first.index not in counted


def test_audit_is_logged_as_spoiled_and_voter_can_still_vote(
    live_server: str, opened: OpenVoteDay
) -> None:
    client = VotingClient(live_server)
    ballot, secrets = client.prepare(opened.vote_day, opened.code(), ANSWERS, purpose="audit")
    spoiled = client.audit(opened.vote_day, ballot, secrets)
    db.session.commit()
    assert (
        bulletin.get_entry(db.session, opened.vote_day, spoiled.index).record["type"] == "spoiled"
    )
    cast = client.vote(opened.vote_day, opened.code(), ANSWERS)
    assert cast.index > spoiled.index
    assert counted_ballots(db.session, opened.vote_day, "first-counts") == [cast.index]


def test_audit_with_lying_secrets_refused(live_server: str, opened: OpenVoteDay) -> None:
    client = VotingClient(live_server)
    ballot, secrets = client.prepare(opened.vote_day, opened.code(), ANSWERS, purpose="audit")
    lying = secrets.to_json()
    lying["selections"]["bike-paths"] = [0, 1]
    body = {"ballot": ballot.to_json(), "secrets": lying}
    _assert_refused(live_server, opened, body, "invalid_proof", 400, path="audits")
