"""Witnesses for tests: keys, signed registration requests and submissions, approval."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy.orm as so
from flask import Flask
from flask.testing import FlaskClient
from nacl.signing import SigningKey

from crypto.note import parse_note
from crypto.witness import WitnessSecretKey
from crypto.witness import prove_possession
from crypto.witness import sign_checkpoint
from crypto.witness.requests import registration_message
from crypto.witness.requests import sign_request
from crypto.witness.requests import submission_message
from tests.official_actions import FAST_HASH
from voting.app.log_signing import log_signing
from voting.errors import OfficialNotFound
from voting.models.officials import Official
from voting.models.witness import LogWitness
from voting.services import officials
from voting.services import witness_roster


@dataclass(frozen=True)
class LocalWitness:
    """A witness's keys (BLS and Ed25519) with its name; its proof is computed once."""

    name: str
    bls: WitnessSecretKey
    ed25519: SigningKey
    proof: bytes

    @classmethod
    def make(cls, name: str, seed: int) -> LocalWitness:
        bls = WitnessSecretKey.generate(rng=lambda n: bytes([seed]) * n)
        ed25519 = SigningKey(hashlib.sha256(b"test-witness" + bytes([seed])).digest())
        return cls(name, bls, ed25519, prove_possession(bls))

    def named(self, name: str) -> LocalWitness:
        return LocalWitness(name, self.bls, self.ed25519, self.proof)

    def request(self, log: str, **override: Any) -> dict[str, Any]:
        """The signed registration request for ``log`` (fields replaced by ``override``)."""
        public_key = self.bls.public_key().data
        cosigner = bytes(self.ed25519.verify_key)
        message = registration_message(log, self.name, public_key, self.proof, cosigner)
        body = {
            "name": self.name,
            "public_key": public_key.hex(),
            "proof_of_possession": self.proof.hex(),
            "cosigner_key": cosigner.hex(),
            "signature": sign_request(self.ed25519, message).hex(),
        }
        return {**body, **override}

    def submission(self, log: str, note: str, **override: Any) -> dict[str, Any]:
        """A signed cosignature submission of ``note`` (fields replaced by ``override``)."""
        text = parse_note(note).text
        signature = sign_checkpoint(self.bls, text)
        auth = sign_request(self.ed25519, submission_message(log, self.name, text, signature))
        body = {"witness": self.name, "checkpoint": note, "signature": signature.hex()}
        return {**body, "auth": auth.hex(), **override}


def administrator(session: so.Session, username: str = "admin") -> Official:
    official = officials.create_official(session, username, "a long passphrase", limits=FAST_HASH)
    officials.grant_role(session, official, witness_roster.APPROVER_ROLE)
    return official


def register_and_approve(
    app: Flask, client: FlaskClient, session: so.Session, log: str, witness: LocalWitness
) -> LogWitness:
    """Ask through the HTTP API, then approve as an administrator (created if missing)."""
    answer = client.post(f"/api/logs/{log}/witnesses", json=witness.request(log))
    assert answer.status_code == 202, answer.get_json()
    try:
        admin = officials.get_official(session, "admin")
    except OfficialNotFound:  # the first approval creates the administrator
        admin = administrator(session)
    return witness_roster.approve(
        session, log, answer.get_json()["request"], admin, signing=log_signing(app)
    )
