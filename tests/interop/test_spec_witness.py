"""A C2SP witness written from the specs (tests/interop/c2sp_witness.py) against Urna.

It cosigns a growing Urna log from what the log API serves, Urna's
``crypto.witness.cosignature`` verifies its ``cosignature/v1`` lines with a
key parsed from its vkey, and Urna's own witness gives the same HTTP status
as the independent one to every ``add-checkpoint`` case of the spec.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crypto.errors import InvalidCosignature
from crypto.merkle import consistency_proof
from crypto.merkle import leaf_hash
from crypto.merkle import root_hash
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import add_signatures
from crypto.note import sign_checkpoint
from crypto.witness.cosignature import CosignerKey
from crypto.witness.cosignature import verify_cosignature_v1
from tests.interop.c2sp_witness import SpecWitness
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.tools.witness.core import Witness
from voting.tools.witness.server import answer
from voting.tools.witness.state import WitnessDirectory

NAME = "2026-11-29-ch"
BASE = f"/api/logs/{NAME}"
WITNESS_NAME = "witness.example/w1"
NOW = 1_800_000_000


def _body(old: int, proof: list[str], note: str) -> str:
    return "\n".join([f"old {old}", *proof]) + "\n\n" + note


def _hex_to_b64(proof: list[str]) -> list[str]:
    return [base64.b64encode(bytes.fromhex(h)).decode() for h in proof]


@pytest.fixture()
def log(app: Flask) -> str:
    bulletin.create_log(db.session, NAME, origin=log_signing(app).origin_for(NAME))
    return NAME


def _grow(app: Flask, n: int) -> None:
    start = bulletin.log_size(db.session, NAME)
    bulletin.append_many(db.session, NAME, [{"type": "ballot", "n": i} for i in range(start, n)])
    bulletin.issue_checkpoint(db.session, NAME, log_signing(app), interval=dt.timedelta(0))


def test_spec_witness_cosigns_a_growing_urna_log_and_urna_verifies_it(
    app: Flask, client: FlaskClient, log: str
) -> None:
    vkey = client.get(f"{BASE}/key").get_json()["verifier_key"]
    # a seed whose vkey has a '+' in its base64 (the from_vkey bug of issue 16)
    seed = next(
        bytes([i]) * 32
        for i in range(256)
        if "+" in SpecWitness(WITNESS_NAME, bytes([i]) * 32, vkey).vkey().split("+", 2)[2]
    )
    witness = SpecWitness(WITNESS_NAME, seed, vkey)
    cosigner = CosignerKey.from_vkey(witness.vkey())
    cosigned = 0
    for step, size in enumerate([1, 5, 8, 21, 22]):
        _grow(app, size)
        note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
        proof = client.get(f"{BASE}/proof/consistency?old={cosigned}&new={size}").get_json()
        body = _body(cosigned, _hex_to_b64(proof["proof"]) if cosigned else [], note)
        status, lines = witness.add_checkpoint(body, NOW + step)
        assert status == 200, lines
        assert verify_cosignature_v1(add_signatures(note, [lines]), cosigner) == NOW + step
        cosigned = size
    # a cosignature does not carry over to another checkpoint of the log
    other = add_signatures(client.get(f"{BASE}/checkpoint").get_data(as_text=True), [])
    with pytest.raises(InvalidCosignature):
        verify_cosignature_v1(other, cosigner)


ORIGIN = "urna.test/log/2026-11-29"
LOG = NoteSigner(ORIGIN, b"\x21" * 32)


def _note(size: int, salt: bytes = b"") -> str:
    leaves = [leaf_hash(salt + bytes([i])) for i in range(size)]
    return sign_checkpoint(Checkpoint(ORIGIN, size, root_hash(leaves)), LOG)


def _proof(old: int, new: int, salt: bytes = b"") -> list[str]:
    leaves = [leaf_hash(salt + bytes([i])) for i in range(new)]
    return [base64.b64encode(h).decode() for h in consistency_proof(leaves, old)]


CASES = [
    ("first checkpoint", [], (0, [], 4)),
    ("extension", [(0, [], 4)], (4, "proof 4 6", 6)),
    ("stale old size", [(0, [], 4)], (2, "proof 2 6", 6)),
    ("old size above size", [(0, [], 4)], (5, [], 2)),
    ("same size other root", [(0, [], 4)], (4, [], "fork 4")),
    ("bad proof", [(0, [], 4)], (4, "proof 3 6", 6)),
    ("proof from size 0", [], (0, "proof 2 6", 6)),
    ("size 0, empty root", [], (0, [], 0)),
    ("size 0, other root", [], (0, [], "zero")),
    ("unknown origin", [], (0, [], "stranger")),
    ("bad log signature", [], (0, [], "impostor")),
    ("old size with a leading zero", [(0, [], 4)], ("04", "proof 4 6", 6)),
    ("64 proof lines", [(0, [], 4)], (4, "64 lines", 6)),
    ("a proof line that is not a hash", [(0, [], 4)], (4, "not base64", 6)),
    ("no blank line before the checkpoint", [(0, [], 4)], (4, "no blank line", 6)),
    ("an unknown key's signature beside the log's", [(0, [], 4)], (4, "proof 4 6", "cosigned 6")),
]


EXPECTED = {
    "first checkpoint": 200,
    "extension": 200,
    "stale old size": 409,
    "old size above size": 400,
    "same size other root": 422,
    "bad proof": 422,
    "proof from size 0": 422,
    "size 0, empty root": 200,
    "size 0, other root": 422,
    "unknown origin": 404,
    "bad log signature": 403,
    "old size with a leading zero": 400,
    "64 proof lines": 400,
    "a proof line that is not a hash": 400,
    "no blank line before the checkpoint": 400,
    "an unknown key's signature beside the log's": 200,
}
"""The status c2sp.org/tlog-witness asks for in each case (both witnesses must give it)."""


def _request(old: int | str, proof: object, what: object) -> str:
    if proof == "64 lines":
        proof = [_proof(4, 6)[0]] * 64
    elif proof == "not base64":
        proof = ["not a hash!", *_proof(4, 6)[1:]]
    elif proof == "no blank line":
        return f"old {old}\n" + "\n".join(_proof(4, 6)) + "\n" + _note(int(str(what)))
    elif isinstance(proof, str):
        _, m, n = proof.split()
        proof = _proof(int(m), int(n))
    note = {
        "fork 4": lambda: _note(4, b"fork"),
        "zero": lambda: sign_checkpoint(Checkpoint(ORIGIN, 0, b"\x05" * 32), LOG),
        "stranger": lambda: sign_checkpoint(
            Checkpoint("other.test/log", 1, b"\x05" * 32),
            NoteSigner("other.test/log", b"\x02" * 32),
        ),
        "impostor": lambda: sign_checkpoint(
            Checkpoint(ORIGIN, 1, b"\x05" * 32), NoteSigner(ORIGIN, b"\x03" * 32)
        ),
        "cosigned 6": lambda: add_signatures(
            _note(6), ["— other.test/witness " + base64.b64encode(bytes(72)).decode() + "\n"]
        ),
    }.get(str(what), lambda: _note(int(str(what))))()
    assert isinstance(proof, list)
    return _body(old, proof, note)


@pytest.mark.parametrize(("case", "before", "request_"), CASES, ids=[c[0] for c in CASES])
def test_urna_witness_answers_as_the_spec_witness(
    tmp_path: Path, case: str, before: list[tuple[int, object, object]], request_: tuple
) -> None:
    directory = WitnessDirectory(tmp_path / "urna")
    directory.initialise("urna.test/witness", rng_seed=bytes(range(64)))
    urna = Witness(directory, {ORIGIN: LOG.verifier}, clock=lambda: float(NOW))
    spec = SpecWitness("spec.test/witness", b"\x09" * 32, str(LOG.verifier))
    for old, proof, what in before:
        body = _request(old, proof, what)
        assert answer(urna, body.encode())[0] == spec.add_checkpoint(body, NOW)[0] == 200
    body = _request(*request_)
    urna_status, urna_type, urna_body = answer(urna, body.encode())
    spec_status, spec_body = spec.add_checkpoint(body, NOW)
    assert urna_status == spec_status, (case, urna_body, spec_body)
    assert spec_status == EXPECTED[case], (case, spec_body)
    if spec_status == 409:  # "The response MUST have a Content-Type of text/x.tlog.size"
        assert urna_type == "text/x.tlog.size"
    if spec_status == 409 and spec_body[:1].isdigit():
        assert urna_body.decode() == spec_body  # the size body of a stale old size
