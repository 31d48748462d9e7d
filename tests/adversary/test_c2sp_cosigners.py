"""Attacks on the C2SP witnesses' cosignatures of a log (docs/threat-model.md).

A malicious log operator holds the log key and the database: it can sign a
second tree (a split view), copy a witness's genuine cosignature line from
the tree the witness saw onto the other one, or simply never push to the
witnesses. The observer's defence is its own roster file and ``--witnesses
N``: a pinned witness's line must verify over the very checkpoint served.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crypto.merkle import leaf_hash
from crypto.merkle import root_hash
from crypto.note import Checkpoint
from crypto.note import add_signatures
from crypto.note import parse_note
from crypto.note import sign_checkpoint
from tests.interop.spec_server import WitnessServer
from tests.interop.test_push_to_spec_witness import BASE
from tests.interop.test_push_to_spec_witness import NAME
from tests.interop.test_push_to_spec_witness import grow
from tests.interop.test_push_to_spec_witness import listed
from tests.interop.test_push_to_spec_witness import spec_witness
from tests.interop.test_push_to_spec_witness import witness_check
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log import cosigners
from voting.models.log import LogCheckpoint


@pytest.fixture()
def log_vkey(app: Flask) -> str:
    signing = log_signing(app)
    bulletin.create_log(db.session, NAME, origin=signing.origin_for(NAME))
    return str(signing.verifier_key(signing.origin_for(NAME)))


@pytest.fixture()
def server(log_vkey: str) -> Iterator[WitnessServer]:
    with WitnessServer(spec_witness(log_vkey)).running() as running:
        yield running


def test_a_cosignature_copied_onto_another_tree_fails_the_verifier(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    """Attacker: the log operator serving a split view with a witness's real line.

    The witness cosigned the tree everyone else sees; the operator signs
    another tree of the same size (other entries) with the log key and
    appends the witness's line. Counting lines by name (no signature check
    over the served checkpoint) would count it.
    """
    listed(app, server)
    grow(app, 5)
    assert cosigners.push(db.session, NAME, timeout=5)[0].cosigned
    honest = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    line = parse_note(honest).signatures[-1].line()
    origin = log_signing(app).origin_for(NAME)
    fork = Checkpoint(origin, 5, root_hash([leaf_hash(b"other %d" % i) for i in range(5)]))
    forged = add_signatures(sign_checkpoint(fork, log_signing(app).signer(origin)), [line])
    row = db.session.query(LogCheckpoint).filter_by(size=5).one()
    row.note = forged  # what the operator's server now serves
    db.session.query(cosigners.CosignerSignature).delete()
    db.session.commit()
    client_note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    assert server.witness.name in client_note
    status, message, _ = witness_check(client, log_vkey, server.witness.vkey())
    assert status == "failed"
    assert f"cosignature/v1 line of {server.witness.name!r}" in message
    assert "copied from another checkpoint" in message


def test_a_log_that_never_pushes_fails_the_observers_threshold(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    """Attacker: the log operator withholding pushes so that no witness sees the tree."""
    listed(app, server)
    grow(app, 5)  # ... and no push
    status, message, facts = witness_check(client, log_vkey, server.witness.vkey())
    assert status == "failed"
    assert "0 of the 1 witnesses in your roster" in message
    assert facts["witnesses_cosigned"] == 0
    assert server.requests == []


def test_a_lying_witness_alone_does_not_reach_a_threshold_of_two(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    """Attacker: one witness colluding with the log (it cosigns whatever it is sent).

    The observer pinned two witnesses and requires both: one line is not enough.
    """
    listed(app, server)
    grow(app, 5)
    assert cosigners.push(db.session, NAME, timeout=5)[0].cosigned
    honest_elsewhere = spec_witness(log_vkey, "ngo.example/w2", seed=11).vkey()
    roster = f"{server.witness.vkey()}\n{honest_elsewhere}\n"
    status, message, _ = witness_check(client, log_vkey, roster, required=2)
    assert status == "failed"
    assert "1 of the 2 witnesses in your roster" in message
