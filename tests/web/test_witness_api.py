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
from crypto.witness import WitnessSecretKey
from crypto.witness import prove_possession
from crypto.witness import sign_checkpoint
from crypto.witness import verify_cosigned_checkpoint
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.models.witness import LogWitness
from voting.models.witness import WitnessCosignature

NAME = "2026-11-29-ch"
API = f"/api/logs/{NAME}"


@pytest.fixture(scope="module")
def keys() -> list[tuple[WitnessSecretKey, str]]:
    """Two witness keys with their proofs of possession (hex), made once."""
    secrets = [WitnessSecretKey.generate(rng=lambda n, i=i: bytes([i]) * n) for i in (7, 8)]
    return [(s, prove_possession(s).hex()) for s in secrets]


@pytest.fixture()
def log(app: Flask, db_session: so.Session) -> str:
    signing = log_signing(app)
    bulletin.create_log(db_session, NAME, origin=signing.origin_for(NAME))
    bulletin.append_many(db_session, NAME, [{"type": "test", "n": i} for i in range(5)])
    bulletin.issue_checkpoint(db_session, NAME, signing, interval=dt.timedelta(0))
    return NAME


def _register(client: FlaskClient, name: str, key: WitnessSecretKey, pop: str):  # type: ignore[no-untyped-def]
    body = {"name": name, "public_key": key.public_key().hex(), "proof_of_possession": pop}
    return client.post(f"{API}/witnesses", json=body)


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


def test_register_and_list(client: FlaskClient, log: str, keys) -> None:  # type: ignore[no-untyped-def]
    answer = _register(client, "bern.test/w", *keys[0])
    assert answer.status_code == 201
    assert answer.get_json()["position"] == 0
    assert _register(client, "zurich.test/w", *keys[1]).get_json()["position"] == 1
    listed = client.get(f"{API}/witnesses").get_json()
    assert [w["name"] for w in listed["witnesses"]] == ["bern.test/w", "zurich.test/w"]
    assert listed["roster"].endswith("/witnesses")


def test_registration_refusals_store_nothing(
    client: FlaskClient, db_session: so.Session, log: str, keys
) -> None:  # type: ignore[no-untyped-def]
    (key, pop), (other, other_pop) = keys
    assert _register(client, "bern.test/w", key, pop).status_code == 201
    cases = [
        (_register(client, "bern.test/w", other, other_pop), 409),  # name taken
        (_register(client, "other.test/w", key, pop), 409),  # key taken
        (_register(client, "zurich.test/w", other, pop), 422),  # someone else's proof
        (_register(client, "has space", other, other_pop), 400),
        (_register(client, "zurich.test/w", other, other_pop[:-2]), 400),
        (client.post(f"{API}/witnesses", data="not json"), 400),
        (client.post(f"{API}/witnesses", json=["a list"]), 400),
        (client.post(f"{API}/witnesses", json={"name": "x", "public_key": "00" * 48}), 400),
        (client.post("/api/logs/nope/witnesses", json={}), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.get_json()
        assert response.get_json()["message"]
    assert _count(db_session, LogWitness) == 1


def test_cosignatures_aggregate_into_the_served_checkpoint(
    app: Flask, client: FlaskClient, db_session: so.Session, log: str, keys
) -> None:  # type: ignore[no-untyped-def]
    for i, (key, pop) in enumerate(keys):
        assert _register(client, f"w{i}.test/w", key, pop).status_code == 201
    note = client.get(f"{API}/checkpoint").get_data(as_text=True)
    log_key = log_signing(app).verifier_key(bulletin.log_origin(db_session, NAME))
    signature = sign_checkpoint(keys[1][0], _text(note))
    body = {"witness": "w1.test/w", "checkpoint": note, "signature": signature.hex()}
    assert client.post(f"{API}/cosignatures", json=body).status_code == 201
    assert client.post(f"{API}/cosignatures", json=body).status_code == 201  # idempotent
    served = client.get(f"{API}/checkpoint").get_data(as_text=True)
    roster = _roster(client)
    result = verify_cosigned_checkpoint(served, log_key, roster, required=1)
    assert [w.name for w in result.witnesses] == ["w1.test/w"]
    with pytest.raises(NotEnoughCosignatures):
        verify_cosigned_checkpoint(served, log_key, roster, required=2)
    # the second witness cosigns the served note (with the aggregate line on it)
    body = {
        "witness": "w0.test/w",
        "checkpoint": served,
        "signature": sign_checkpoint(keys[0][0], _text(note)).hex(),
    }
    assert client.post(f"{API}/cosignatures", json=body).status_code == 201
    served = client.get(f"{API}/checkpoint").get_data(as_text=True)
    assert served.count(f"— {roster.name} ") == 1
    verify_cosigned_checkpoint(served, log_key, roster, required=2)


def test_cosignature_refusals_store_nothing(
    client: FlaskClient, db_session: so.Session, log: str, keys
) -> None:  # type: ignore[no-untyped-def]
    assert _register(client, "w0.test/w", *keys[0]).status_code == 201
    note = client.get(f"{API}/checkpoint").get_data(as_text=True)
    good = sign_checkpoint(keys[0][0], _text(note)).hex()
    foreign = sign_checkpoint(keys[1][0], _text(note)).hex()
    other_text = _text(note).replace("\n5\n", "\n4\n")
    forged_note = other_text + "\n" + note.split("\n\n")[1]
    rewritten = _text(note)[:-10] + "AAAAAAAAA=\n"

    def post(**fields: object):  # type: ignore[no-untyped-def]
        body = {"witness": "w0.test/w", "checkpoint": note, "signature": good, **fields}
        return client.post(f"{API}/cosignatures", json=body)

    cases = [
        (post(signature=foreign), 422),  # another witness's signature
        (post(witness="stranger.test/w"), 404),
        (post(witness=["w0"]), 400),
        (post(checkpoint=forged_note), 404),  # this log signed no checkpoint of size 4
        (post(checkpoint=rewritten + "\n" + note.split("\n\n")[1]), 400),
        (post(checkpoint="not a note"), 400),
        (post(checkpoint=None), 400),
        (post(signature=good[:-2]), 400),
        (post(signature="zz" * 96), 400),
        (post(signature="00" * 96), 422),
        (client.post(f"{API}/cosignatures", data=b"\xff"), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.get_json()
        assert response.get_json()["message"]
    assert _count(db_session, WitnessCosignature) == 0
    assert "/witnesses " not in client.get(f"{API}/checkpoint").get_data(as_text=True)
