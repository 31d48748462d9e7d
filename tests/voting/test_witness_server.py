"""The witness's C2SP tlog-witness ``add-checkpoint`` endpoint (``serve``)."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from crypto.merkle import consistency_proof
from crypto.merkle import leaf_hash
from crypto.merkle import root_hash
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import add_signatures
from crypto.note import sign_checkpoint
from crypto.witness import cosignature_key_id
from crypto.witness import verify_checkpoint_cosignature
from crypto.witness.cosignature import CosignerKey
from crypto.witness.cosignature import verify_cosignature_v1
from tests.voting.witness_fakes import ORIGIN
from tests.voting.witness_fakes import FakeLog
from voting.tools.witness.core import BadRequest
from voting.tools.witness.core import Witness
from voting.tools.witness.server import answer
from voting.tools.witness.server import make_server
from voting.tools.witness.server import parse_add_checkpoint
from voting.tools.witness.state import WitnessDirectory

NAME = "zurich.test/witness"


@pytest.fixture()
def log() -> FakeLog:
    log = FakeLog()
    log.append(*[bytes([i]) for i in range(6)])
    return log


@pytest.fixture()
def witness(tmp_path: Path, log: FakeLog) -> Witness:
    directory = WitnessDirectory(tmp_path / "w")
    directory.initialise(NAME, rng_seed=bytes(range(1, 65)))
    return Witness(directory, {ORIGIN: log.signer.verifier}, clock=lambda: 1_800_000_000.0)


def _body(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _proof(log: FakeLog, old: int, new: int) -> list[bytes]:
    return consistency_proof(log.leaves[:new], old)


def test_first_checkpoint_then_an_extension(witness: Witness, log: FakeLog) -> None:
    note3 = log.note_at(3)
    status, _, body = answer(witness, _body(0, [], note3))
    assert status == 200
    bls_line, v1_line = body.decode().splitlines(keepends=True)
    # the BLS line: key ID then a signature that verifies; the cosignature/v1 line verifies
    key = witness.keys.bls.public_key()
    payload = base64.b64decode(bls_line.split()[2])
    assert bls_line.split()[1] == NAME and payload[:4] == cosignature_key_id(NAME, key)
    verify_checkpoint_cosignature(key, note3[: note3.rindex("\n\n") + 1], payload[4:])
    cosigner = CosignerKey(NAME, bytes(witness.keys.ed25519.verify_key))
    assert verify_cosignature_v1(add_signatures(note3, [v1_line]), cosigner) == 1_800_000_000
    status, _, _ = answer(witness, _body(3, _proof(log, 3, 6), log.note_at(6)))
    assert status == 200
    assert witness.directory.load()[ORIGIN].size == 6


def test_old_size_mismatch_is_409_with_the_size(witness: Witness, log: FakeLog) -> None:
    assert answer(witness, _body(0, [], log.note_at(4)))[0] == 200
    status, content_type, body = answer(witness, _body(2, _proof(log, 2, 6), log.note_at(6)))
    assert (status, content_type, body) == (409, "text/x.tlog.size", b"4\n")


def test_bad_proof_is_422_and_kept(witness: Witness, log: FakeLog) -> None:
    assert answer(witness, _body(0, [], log.note_at(4)))[0] == 200
    proof = _proof(log, 4, 6)
    proof[0] = leaf_hash(b"wrong")
    status, _, body = answer(witness, _body(4, proof, log.note_at(6)))
    assert status == 422 and b"does not extend" in body
    assert len(list(witness.directory.evidence_dir.iterdir())) == 1
    assert witness.directory.load()[ORIGIN].size == 4


def test_old_size_above_checkpoint_is_400(witness: Witness, log: FakeLog) -> None:
    assert answer(witness, _body(0, [], log.note_at(5)))[0] == 200
    assert answer(witness, _body(5, [], log.note_at(2)))[0] == 400


def test_unknown_origin_404_and_bad_signature_403(witness: Witness, log: FakeLog) -> None:
    stranger = FakeLog(signer=NoteSigner("other.test/log", b"\x22" * 32))
    stranger.append(b"a")
    assert answer(witness, _body(0, [], stranger.served or ""))[0] == 404
    impostor = FakeLog(signer=NoteSigner(ORIGIN, b"\x33" * 32))
    impostor.append(b"a")
    assert answer(witness, _body(0, [], impostor.served or ""))[0] == 403
    assert witness.directory.load() == {}


@pytest.mark.parametrize(
    "body",
    [
        b"old 01\n\nx",
        b"old -1\n\nx",
        b"new 1\n\nx",
        b"old 1\nnot base64!\n\nx",
        b"old 1\n" + base64.b64encode(b"short") + b"\n\nx",
        b"old 0\n",
        b"\xff\xfe",
        b"old 0\n" + b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\nx",
    ],
)
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_add_checkpoint(body)


@pytest.fixture()
def server(witness: Witness) -> Iterator[str]:
    httpd = make_server(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def test_live_server_on_loopback(server: str, log: FakeLog) -> None:
    url = f"{server}/add-checkpoint"
    first = requests.post(url, data=_body(0, [], log.note_at(2)), timeout=30)
    assert first.status_code == 200
    assert first.text.count("— zurich.test/witness ") == 2
    stale = requests.post(url, data=_body(0, [], log.note_at(2)), timeout=30)
    assert (stale.status_code, stale.text) == (409, "2\n")
    assert stale.headers["Content-Type"] == "text/x.tlog.size"
    assert requests.post(f"{server}/other", data=b"x", timeout=30).status_code == 404


# C2SP tlog-witness conformance: one test per rule of the add-checkpoint section


def test_same_size_other_root_is_422(witness: Witness, log: FakeLog) -> None:
    """C2SP/C2SP#280: same size, other root is an inconsistent request, 422 (it was 409).

    Every 409 now carries the ``text/x.tlog.size`` body a client retries with.
    """
    assert answer(witness, _body(0, [], log.note_at(4)))[0] == 200
    forked = [leaf_hash(bytes([i + 100])) for i in range(4)]
    status, content_type, body = answer(witness, _body(4, [], log.note_at(4, forked)))
    assert (status, content_type) == (422, "text/plain; charset=utf-8")
    assert b"two different roots" in body
    kept = witness.directory.load()[ORIGIN].root
    assert kept == base64.b64encode(root_hash(log.leaves[:4])).decode()


def test_old_size_above_checkpoint_is_400_even_when_it_is_not_the_cosigned_size(
    witness: Witness, log: FakeLog
) -> None:
    """'The old size MUST be equal to or lower than the checkpoint size. Otherwise ... 400'.

    That check comes before the old-size match: the witness is at 4, the
    client claims 5 for a checkpoint of 2, which used to answer 409 with a size.
    """
    assert answer(witness, _body(0, [], log.note_at(4)))[0] == 200
    status, content_type, body = answer(witness, _body(5, [], log.note_at(2)))
    assert (status, content_type) == (400, "text/plain; charset=utf-8")
    assert b"old size 5 is above the checkpoint's size 2" in body
    assert witness.directory.load()[ORIGIN].size == 4
    # never cosigned anything: old 3 for a checkpoint of 1 is a bad request, not 409 "0"
    fresh = Witness(_fresh_directory(witness), {ORIGIN: log.signer.verifier})
    assert answer(fresh, _body(3, [], log.note_at(1)))[0] == 400


def test_size_zero_checkpoint_with_the_empty_root_is_cosigned(
    witness: Witness, log: FakeLog
) -> None:
    status, _, body = answer(witness, _body(0, [], log.note_at(0)))
    assert status == 200 and body.count("— zurich.test/witness ".encode()) == 2
    # and the log then grows from the empty tree
    assert answer(witness, _body(0, [], log.note_at(3)))[0] == 200


def test_size_zero_checkpoint_with_another_root_is_422(witness: Witness, log: FakeLog) -> None:
    """A size-0 tree's root is SHA-256(""); any other root proves nothing consistent."""
    bogus = sign_checkpoint(Checkpoint(ORIGIN, 0, b"\x07" * 32), log.signer)
    status, _, body = answer(witness, _body(0, [], bogus))
    assert status == 422 and b'SHA-256("")' in body
    assert witness.directory.load() == {}


def test_get_serves_the_last_cosigned_checkpoint(
    server: str, witness: Witness, log: FakeLog
) -> None:
    """The monitoring API: ``GET /<hex SHA-256 of the origin>/checkpoint``."""
    url = f"{server}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint"
    assert requests.get(url, timeout=30).status_code == 404  # nothing cosigned yet
    note = log.note_at(5)
    first = requests.post(f"{server}/add-checkpoint", data=_body(0, [], note), timeout=30)
    assert first.status_code == 200
    served = requests.get(url, timeout=30)
    assert served.status_code == 200
    assert served.text == add_signatures(note, first.text.splitlines(keepends=True))
    cosigner = CosignerKey(NAME, bytes(witness.keys.ed25519.verify_key))
    assert verify_cosignature_v1(served.text, cosigner) == 1_800_000_000
    assert requests.post(url, data=b"x", timeout=30).status_code == 405
    other = hashlib.sha256(b"other.test/log").hexdigest()
    assert requests.get(f"{server}/{other}/checkpoint", timeout=30).status_code == 404
    assert requests.get(f"{server}/{ORIGIN}/checkpoint", timeout=30).status_code == 404


def test_get_signs_once_per_cosigned_checkpoint(
    witness: Witness, log: FakeLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stranger's GETs cost no signing: the served note is made once per checkpoint."""
    import voting.tools.witness.core as core

    signed: list[str] = []
    real_sign = core.sign_checkpoint
    monkeypatch.setattr(core, "sign_checkpoint", lambda k, t: signed.append(t) or real_sign(k, t))
    assert answer(witness, _body(0, [], log.note_at(3)))[0] == 200
    first = witness.latest(ORIGIN)
    assert [witness.latest(ORIGIN) for _ in range(3)] == [first] * 3
    assert len(signed) == 2  # the cosigning, then the first GET
    assert answer(witness, _body(3, _proof(log, 3, 6), log.note_at(6)))[0] == 200
    assert "\n6\n" in witness.latest(ORIGIN) and len(signed) == 4


def test_add_checkpoint_is_post_only(server: str) -> None:
    got = requests.get(f"{server}/add-checkpoint", timeout=30)
    assert (got.status_code, got.headers["Allow"]) == (405, "POST")
    assert requests.get(f"{server}/elsewhere", timeout=30).status_code == 404


def _fresh_directory(witness: Witness) -> WitnessDirectory:
    directory = WitnessDirectory(witness.directory.path.parent / "fresh")
    directory.initialise("fresh.test/witness", rng_seed=bytes(range(2, 66)))
    return directory
