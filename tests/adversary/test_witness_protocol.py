"""A dishonest log against a C2SP tlog-witness (``python -m voting.witness serve``).

Attacker: the log operator, holding the log's signing key and able to send
any ``add-checkpoint`` request to the witness (requests are unauthenticated).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from crypto.merkle import consistency_proof
from crypto.merkle import leaf_hash
from crypto.merkle import root_hash
from crypto.note import Checkpoint
from crypto.note import sign_checkpoint
from tests.voting.witness_fakes import ORIGIN
from tests.voting.witness_fakes import FakeLog
from voting.tools.witness.core import Witness
from voting.tools.witness.server import answer
from voting.tools.witness.state import WitnessDirectory


@pytest.fixture()
def log() -> FakeLog:
    return FakeLog()


@pytest.fixture()
def witness(tmp_path: Path, log: FakeLog) -> Witness:
    directory = WitnessDirectory(tmp_path / "w")
    directory.initialise("ngo.test/witness", rng_seed=bytes(range(3, 67)))
    return Witness(directory, {ORIGIN: log.signer.verifier}, clock=lambda: 1_800_000_000.0)


def _body(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def test_log_cannot_get_a_size_zero_head_with_a_made_up_root_cosigned(
    witness: Witness, log: FakeLog
) -> None:
    """The log signs ``size 0, root R`` with R != SHA-256("") and asks a fresh witness.

    Cosigned, it would be a witnessed tree head of no tree, and it would wedge
    the witness: no consistency proof leads from (0, R) anywhere, so every
    later honest checkpoint would be refused and the log would look
    unwitnessed. The witness answers 422, cosigns nothing, keeps the signed
    head as evidence, and still cosigns the honest log afterwards.
    """
    forged = sign_checkpoint(Checkpoint(ORIGIN, 0, leaf_hash(b"made up")), log.signer)
    status, _, body = answer(witness, _body(0, [], forged))
    assert status == 422, body
    assert b"\xe2\x80\x94" not in body  # no signature line of any kind
    assert witness.directory.load() == {}
    assert len(list(witness.directory.evidence_dir.iterdir())) == 1
    log.append(b"a", b"b")
    status, _, _ = answer(witness, _body(0, [], log.served or ""))
    assert status == 200
    assert witness.directory.load()[ORIGIN].size == 2


def test_log_cannot_fork_at_the_cosigned_size(witness: Witness, log: FakeLog) -> None:
    """The log shows the witness two different trees of the same size (a split view).

    The witness refuses with 422 (an inconsistent request, C2SP/C2SP#280);
    before, it answered 409, which a tlog-witness client takes for "retry
    from the size in the body" and which carried no size.
    """
    log.append(b"a", b"b", b"c")
    assert answer(witness, _body(0, [], log.served or ""))[0] == 200
    other = [leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"EVIL")]
    status, _, body = answer(witness, _body(3, [], log.note_at(3, other)))
    assert status == 422 and b"two different roots" in body  # C2SP/C2SP#280: 422, not 409
    # nor by claiming the witness is still empty (409 with the size to retry from)
    assert answer(witness, _body(0, [], log.note_at(3, other)))[2] == b"3\n"
    status, _, _ = answer(witness, _body(3, consistency_proof(other, 2), log.note_at(3, other)))
    assert status == 422
    kept = witness.directory.load()[ORIGIN].root
    assert kept == base64.b64encode(root_hash(log.leaves)).decode()
