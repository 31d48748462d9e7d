"""Go's ``golang.org/x/mod/sumdb/note`` and ``sumdb/tlog`` check what Urna's log API serves.

The Go program (tests/interop/go/urnacheck) verifies the checkpoint with the
log's vkey, recomputes the tree hash from the entries, checks Urna's
inclusion and consistency proofs and compares them with the ones tlog
computes itself. The negative cases show that the checker can fail.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import nacl.signing
import pytest
from flask import Flask
from flask.testing import FlaskClient

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin

NAME = "2026-11-29-ch"
BASE = f"/api/logs/{NAME}"
FIRST, SECOND = 7, 21


def _check(urnacheck: Path, document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(urnacheck)],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture()
def served(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """What an observer fetches from the log API of a log that grew from 7 to 21 entries."""
    signing = log_signing(app)
    bulletin.create_log(db.session, NAME, origin=signing.origin_for(NAME))
    bulletin.append_many(db.session, NAME, [{"type": "ballot", "n": i} for i in range(FIRST)])
    assert client.get(f"{BASE}/checkpoint").status_code == 200  # the first checkpoint: 7
    more = [{"type": "ballot", "n": i, "text": "grüezi +/="} for i in range(FIRST, SECOND)]
    bulletin.append_many(db.session, NAME, more)
    bulletin.issue_checkpoint(db.session, NAME, signing, interval=dt.timedelta(0))
    checkpoint = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    entries = client.get(f"{BASE}/entries?start=0&end={SECOND}").get_json()["entries"]
    pairs = [(0, 1), (3, FIRST), (0, SECOND), (6, SECOND), (13, SECOND), (20, SECOND)]
    inclusion = [
        client.get(f"{BASE}/proof/inclusion?index={i}&size={n}").get_json() for i, n in pairs
    ]
    steps = [(FIRST, SECOND), (1, SECOND), (4, 8), (8, SECOND), (SECOND, SECOND)]
    consistency = [
        client.get(f"{BASE}/proof/consistency?old={m}&new={n}").get_json() for m, n in steps
    ]
    return {
        "verifier_key": client.get(f"{BASE}/key").get_json()["verifier_key"],
        "checkpoint": checkpoint,
        "entries": [e["data"] for e in entries],
        "inclusion": inclusion,
        "consistency": consistency,
    }


def test_go_verifies_checkpoint_tree_hash_and_proofs(
    urnacheck: Path, served: dict[str, Any]
) -> None:
    result = _check(urnacheck, served)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    origin = served["verifier_key"].split("+")[0]
    assert (found["origin"], found["size"], found["signed_by"]) == (origin, SECOND, origin)
    assert found["tree_hash"] == found["root_hash"] == served["inclusion"][-1]["root_hash"]
    assert (found["inclusion_proofs_checked"], found["consistency_proofs_checked"]) == (6, 5)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda d: d.update(checkpoint=d["checkpoint"].replace("\n21\n", "\n20\n")), "verify"),
        (lambda d: d.update(verifier_key=_other_vkey(d["verifier_key"])), "does not verify"),
        (lambda d: d.update(verifier_key=_swapped_key(d["verifier_key"])), "invalid verifier"),
        (lambda d: d["entries"].__setitem__(4, d["entries"][4] + " "), "tree hash"),
        (lambda d: d["inclusion"][2]["proof"].reverse(), "inclusion proof"),
        (lambda d: d["consistency"][0]["proof"].pop(), "consistency proof"),
    ],
)
def test_go_refuses_a_tampered_log(
    urnacheck: Path, served: dict[str, Any], tamper: Any, message: str
) -> None:
    tamper(served)
    result = _check(urnacheck, served)
    assert result.returncode == 1 and message in result.stderr, result.stderr


def _other_vkey(vkey: str) -> str:
    """A well-formed vkey of the same name for another Ed25519 key."""
    name = vkey.split("+", 1)[0]
    material = b"\x01" + bytes(nacl.signing.SigningKey(b"\x11" * 32).verify_key)
    key_id = hashlib.sha256(name.encode() + b"\n" + material).digest()[:4].hex()
    return f"{name}+{key_id}+{base64.b64encode(material).decode()}"


def _swapped_key(vkey: str) -> str:
    """The log's name and key ID with another key: the key ID gives it away."""
    name, key_id, _ = vkey.split("+", 2)
    return f"{name}+{key_id}+{_other_vkey(vkey).split('+', 2)[2]}"
