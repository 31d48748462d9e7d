"""Witness endpoints under /api/logs/<name>/ and the cosigned checkpoint they produce."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from flask.testing import FlaskClient

from crypto.errors import NotEnoughCosignatures
from crypto.note import parse_note
from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessPublicKey
from crypto.witness import parse_witness_verifier_key
from crypto.witness import sign_checkpoint
from crypto.witness import verify_cosigned_checkpoint
from crypto.witness.requests import sign_request
from crypto.witness.requests import submission_message
from tests.official_actions import OfficialActions
from tests.witness_helpers import LocalWitness
from tests.witness_helpers import register_and_approve
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log.witnesses import Unverifiable
from voting.models.witness import LogWitness
from voting.models.witness import WitnessCosignature
from voting.models.witness import WitnessRequest

NAME = "2026-11-29-ch"
API = f"/api/logs/{NAME}"


@pytest.fixture(scope="module")
def keys() -> list[LocalWitness]:
    """Two witnesses' keys with their proofs of possession, made once."""
    return [LocalWitness.make("bern.test/w", 7), LocalWitness.make("zurich.test/w", 8)]


@pytest.fixture()
def log(app: Flask, db_session: so.Session) -> str:
    signing = log_signing(app)
    bulletin.create_log(db_session, NAME, origin=signing.origin_for(NAME))
    bulletin.append_many(db_session, NAME, [{"type": "test", "n": i} for i in range(5)])
    bulletin.issue_checkpoint(db_session, NAME, signing, interval=dt.timedelta(0))
    return NAME


def _roster(client: FlaskClient) -> Roster:
    listed = client.get(f"{API}/witnesses").get_json()
    members = [
        RosterMember(w["name"], WitnessPublicKey.from_hex(w["public_key"]))
        for w in listed["witnesses"]
    ]
    return Roster(listed["roster"], tuple(members))


def _text(note: str) -> str:
    return parse_note(note).text


def _count(db_session: so.Session, model: type) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_a_request_waits_for_an_administrator_then_is_a_log_record(
    app: Flask, client: FlaskClient, db_session: so.Session, log: str, keys: list[LocalWitness]
) -> None:
    answer = client.post(f"{API}/witnesses", json=keys[0].request(NAME))
    assert answer.status_code == 202
    assert answer.get_json()["status"] == "pending"
    assert client.get(f"{API}/witnesses").get_json()["witnesses"] == []
    size = bulletin.log_size(db_session, NAME)
    first = register_and_approve(app, client, db_session, NAME, keys[0])
    assert (first.position, first.leaf_index) == (0, size)
    record = bulletin.get_entry(db_session, NAME, size).data
    assert b'"type":"witness"' in record and b'"approved_by":"admin"' in record
    assert register_and_approve(app, client, db_session, NAME, keys[1]).position == 1
    listed = client.get(f"{API}/witnesses").get_json()
    assert [w["name"] for w in listed["witnesses"]] == ["bern.test/w", "zurich.test/w"]
    assert listed["roster"].endswith("/witnesses")
    name, key = parse_witness_verifier_key(listed["witnesses"][0]["verifier_key"])
    assert (name, key) == ("bern.test/w", keys[0].bls.public_key())
    assert _count(db_session, WitnessRequest) == 0  # approved requests are gone


def test_registration_refusals_store_nothing(
    app: Flask, client: FlaskClient, db_session: so.Session, log: str, keys: list[LocalWitness]
) -> None:
    app.config["URNA_WITNESS_REQUEST_LIMIT"] = (100, 3600)  # the rate limit is tested below
    bern, zurich = keys
    register_and_approve(app, client, db_session, NAME, bern)
    other_signature = zurich.request(NAME)["signature"]

    def post(body: object, log_name: str = NAME):  # type: ignore[no-untyped-def]
        return client.post(f"/api/logs/{log_name}/witnesses", json=body)

    cases = [
        (post(zurich.named("bern.test/w").request(NAME)), 409),  # name on the roster
        (post(bern.named("other.test/w").request(NAME)), 409),  # key on the roster
        (post(zurich.request(NAME, signature=other_signature[:-2] + "00")), 400),
        (post(zurich.request(NAME, name="changed.test/w")), 400),  # signature of another name
        (post(zurich.request("another-log")), 400),  # signed for another log
        (post(zurich.request(NAME, name="has space")), 400),
        (post(zurich.request(NAME, proof_of_possession="00" * 95)), 400),
        (post(zurich.request(NAME, cosigner_key="00" * 31)), 400),
        (client.post(f"{API}/witnesses", data="not json"), 400),
        (post(["a list"]), 400),
        (post({"name": "x", "public_key": "00" * 48}), 400),
        (post({}, "nope"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.get_json()
        assert response.get_json()["message"]
    assert _count(db_session, LogWitness) == 1
    assert _count(db_session, WitnessRequest) == 0


def test_the_same_request_twice_is_one_request(
    client: FlaskClient, db_session: so.Session, log: str, keys: list[LocalWitness]
) -> None:
    first = client.post(f"{API}/witnesses", json=keys[0].request(NAME)).get_json()
    again = client.post(f"{API}/witnesses", json=keys[0].request(NAME)).get_json()
    assert first["request"] == again["request"]
    assert _count(db_session, WitnessRequest) == 1


def test_approval_routes_need_an_administrator(
    client: FlaskClient,
    db_session: so.Session,
    log: str,
    keys: list[LocalWitness],
    official_actions: OfficialActions,
) -> None:
    request_id = client.post(f"{API}/witnesses", json=keys[0].request(NAME)).get_json()["request"]
    approve = f"{API}/witnesses/requests/{request_id}/approve"
    assert client.post(approve, json={}).status_code in (
        400,
        401,
    )  # anonymous: no token, no session
    official_actions.log_in_as("registrar", username="reggie")
    assert official_actions.post_json(approve, {}).status_code == 403
    assert client.get(f"{API}/witnesses/requests").status_code == 403
    official_actions.log_out()
    official_actions.log_in_as("administrator", username="ada")
    listed = client.get(f"{API}/witnesses/requests").get_json()["requests"]
    assert [r["name"] for r in listed] == ["bern.test/w"]
    answer = official_actions.post_json(approve, {})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["position"] == 0
    assert official_actions.post_json(approve, {}).status_code == 404  # decided already
    second = client.post(f"{API}/witnesses", json=keys[1].request(NAME)).get_json()["request"]
    reject = official_actions.post_json(f"{API}/witnesses/requests/{second}/reject", {})
    assert reject.status_code == 200
    assert [w["name"] for w in client.get(f"{API}/witnesses").get_json()["witnesses"]] == [
        "bern.test/w"
    ]


def test_an_approval_with_a_bad_proof_drops_the_request_and_logs_nothing(
    app: Flask, client: FlaskClient, db_session: so.Session, log: str, keys: list[LocalWitness]
) -> None:
    bern, zurich = keys
    stolen = LocalWitness(zurich.name, zurich.bls, zurich.ed25519, bern.proof)  # bern's proof
    size = bulletin.log_size(db_session, NAME)
    with pytest.raises(Unverifiable, match="dropped"):
        register_and_approve(app, client, db_session, NAME, stolen)
    assert bulletin.log_size(db_session, NAME) == size
    assert _count(db_session, WitnessRequest) == 0
    assert _count(db_session, LogWitness) == 0


def test_cosignatures_aggregate_into_the_served_checkpoint(
    app: Flask, client: FlaskClient, db_session: so.Session, log: str, keys: list[LocalWitness]
) -> None:
    for witness in keys:
        register_and_approve(app, client, db_session, NAME, witness)
    bulletin.issue_checkpoint(db_session, NAME, log_signing(app), interval=dt.timedelta(0))
    note = client.get(f"{API}/checkpoint").get_data(as_text=True)
    log_key = log_signing(app).verifier_key(bulletin.log_origin(db_session, NAME))
    body = keys[1].submission(NAME, note)
    assert client.post(f"{API}/cosignatures", json=body).status_code == 201
    assert client.post(f"{API}/cosignatures", json=body).status_code == 201  # idempotent
    served = client.get(f"{API}/checkpoint").get_data(as_text=True)
    roster = _roster(client)
    result = verify_cosigned_checkpoint(served, log_key, roster, required=1)
    assert [w.name for w in result.witnesses] == ["zurich.test/w"]
    with pytest.raises(NotEnoughCosignatures):
        verify_cosigned_checkpoint(served, log_key, roster, required=2)
    # the first witness cosigns the served note (with the aggregate line on it)
    body = keys[0].submission(NAME, served)
    assert client.post(f"{API}/cosignatures", json=body).status_code == 201
    served = client.get(f"{API}/checkpoint").get_data(as_text=True)
    assert served.count(f"— {roster.name} ") == 1
    verify_cosigned_checkpoint(served, log_key, roster, required=2)


def test_cosignature_refusals_store_nothing(
    app: Flask, client: FlaskClient, db_session: so.Session, log: str, keys: list[LocalWitness]
) -> None:
    bern, zurich = keys
    register_and_approve(app, client, db_session, NAME, bern)
    bulletin.issue_checkpoint(db_session, NAME, log_signing(app), interval=dt.timedelta(0))
    note = client.get(f"{API}/checkpoint").get_data(as_text=True)
    size = parse_note(note).text.split("\n")[1]
    foreign = sign_checkpoint(zurich.bls, _text(note)).hex()
    other_text = _text(note).replace(f"\n{size}\n", "\n4\n")
    forged_note = other_text + "\n" + note.split("\n\n")[1]
    rewritten = _text(note)[:-10] + "AAAAAAAAA=\n"
    good = bern.submission(NAME, note)

    def post(**fields: object):  # type: ignore[no-untyped-def]
        return client.post(f"{API}/cosignatures", json={**good, **fields})

    foreign_auth = sign_request(
        bern.ed25519, submission_message(NAME, bern.name, _text(note), bytes.fromhex(foreign))
    ).hex()
    cases = [
        (post(signature=foreign, auth=foreign_auth), 422),  # another witness's signature
        (post(signature=foreign), 400),  # the auth covers another signature
        (post(auth=zurich.submission(NAME, note)["auth"]), 400),  # signed by another key
        (post(auth=None), 400),
        (post(auth="00" * 64), 400),
        (post(witness="stranger.test/w"), 404),
        (post(witness=["w0"]), 400),
        (post(checkpoint=forged_note), 404),  # this log signed no checkpoint of size 4
        (post(checkpoint=rewritten + "\n" + note.split("\n\n")[1]), 400),
        (post(checkpoint="not a note"), 400),
        (post(checkpoint=None), 400),
        (post(checkpoint="x" * 20000), 413),  # over the body bound: too large
        (post(signature=good["signature"][:-2]), 400),
        (post(signature="zz" * 96), 400),
        (client.post(f"{API}/cosignatures", data=b"\xff"), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.get_json()
        assert response.get_json()["message"]
    assert _count(db_session, WitnessCosignature) == 0
    assert "/witnesses " not in client.get(f"{API}/checkpoint").get_data(as_text=True)


def test_cosignatures_are_rate_limited_per_witness(
    app: Flask, client: FlaskClient, db_session: so.Session, log: str, keys: list[LocalWitness]
) -> None:
    app.config["URNA_WITNESS_COSIGN_LIMIT"] = (2, 60)
    register_and_approve(app, client, db_session, NAME, keys[0])
    bulletin.issue_checkpoint(db_session, NAME, log_signing(app), interval=dt.timedelta(0))
    body = keys[0].submission(NAME, client.get(f"{API}/checkpoint").get_data(as_text=True))
    statuses = [client.post(f"{API}/cosignatures", json=body).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_registration_requests_are_rate_limited_per_address(
    app: Flask, client: FlaskClient, db_session: so.Session, log: str, keys: list[LocalWitness]
) -> None:
    app.config["URNA_WITNESS_REQUEST_LIMIT"] = (2, 3600)
    bodies = [keys[0].named(f"w{i}.test/w").request(NAME) for i in range(3)]
    statuses = [client.post(f"{API}/witnesses", json=b).status_code for b in bodies]
    assert statuses == [202, 202, 429]
    assert _count(db_session, WitnessRequest) == 2


def test_only_an_administrator_lists_a_c2sp_witness_and_bad_input_changes_nothing(
    client: FlaskClient, db_session: so.Session, log: str, official_actions: OfficialActions
) -> None:
    from crypto.witness.cosignature import CosignerKey

    vkey = CosignerKey("witness.example/w1", b"\x09" * 32).vkey()
    body = {"vkey": vkey, "url": "https://witness.example/"}
    size = bulletin.log_size(db_session, NAME)
    assert client.post(f"{API}/cosigners", json=body).status_code in (400, 401)  # anonymous
    official_actions.log_in_as("registrar", username="reggie")
    assert official_actions.post_json(f"{API}/cosigners", body).status_code == 403
    official_actions.log_out()
    official_actions.log_in_as("administrator", username="ada")
    for bad in (
        {"vkey": vkey[:-4] + "AAA=", "url": body["url"]},  # the key ID no longer matches
        {"vkey": vkey, "url": "file:///etc/passwd"},
        {"vkey": vkey, "url": "https://witness.example/?x=1"},
        {"url": body["url"]},
    ):
        answer = official_actions.post_json(f"{API}/cosigners", bad)
        assert answer.status_code == 400, (bad, answer.get_json())
    assert bulletin.log_size(db_session, NAME) == size  # nothing logged
    answer = official_actions.post_json(f"{API}/cosigners", body)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["url"] == "https://witness.example"
    assert bulletin.log_size(db_session, NAME) == size + 1  # the cosigner record
    record = bulletin.get_entries(db_session, NAME, size, size + 1)[0].data.decode()
    assert '"type":"cosigner"' in record and '"approved_by":"ada"' in record
    assert official_actions.post_json(f"{API}/cosigners", body).status_code == 409
    assert [c["vkey"] for c in client.get(f"{API}/witnesses").get_json()["cosigners"]] == [vkey]
