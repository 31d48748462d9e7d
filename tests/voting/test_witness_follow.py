"""The witness command's follow logic: cosign, persist first, refuse rollbacks and forks."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from crypto.merkle import leaf_hash
from crypto.witness import WitnessPublicKey
from crypto.witness import verify_checkpoint_cosignature
from tests.voting.witness_fakes import BASE
from tests.voting.witness_fakes import FakeLog
from voting.tools.witness.__main__ import EXIT_MISBEHAVIOUR
from voting.tools.witness.__main__ import main
from voting.tools.witness.core import ForkDetected
from voting.tools.witness.core import InconsistentCheckpoint
from voting.tools.witness.core import RollbackRefused
from voting.tools.witness.core import Witness
from voting.tools.witness.follow import FollowError
from voting.tools.witness.follow import LogClient
from voting.tools.witness.follow import follow
from voting.tools.witness.follow import follow_once
from voting.tools.witness.state import StateError
from voting.tools.witness.state import WitnessDirectory

SEED = bytes(range(64))


@pytest.fixture()
def directory(tmp_path: Path) -> WitnessDirectory:
    directory = WitnessDirectory(tmp_path / "witness")
    directory.initialise("bern.test/witness", rng_seed=SEED)
    return directory


@pytest.fixture()
def log() -> FakeLog:
    return FakeLog()


def _follow(directory: WitnessDirectory, log: FakeLog):  # type: ignore[no-untyped-def]
    witness = Witness(directory, {log.signer.name: log.signer.verifier})
    return follow_once(witness, LogClient(BASE, log), log.signer.verifier)


def test_init_creates_private_files_and_refuses_to_overwrite(
    directory: WitnessDirectory,
) -> None:
    for path in (directory.key_file, directory.state_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(StateError, match="refusing to overwrite"):
        directory.initialise("other", rng_seed=SEED)
    assert directory.load_keys().name == "bern.test/witness"
    assert "secret" in repr(directory.load_keys())


def test_follow_cosigns_each_new_checkpoint(directory: WitnessDirectory, log: FakeLog) -> None:
    log.append(b"a", b"b", b"c")
    first = _follow(directory, log)
    assert first.cosigned is not None and first.size == 3
    log.append(b"d", b"e")
    second = _follow(directory, log)
    assert second.cosigned is not None and second.size == 5
    # the cosignature sent verifies for the witness's registered key
    sent = log.received[-1]
    key = directory.load_keys().bls.public_key()
    text = sent["checkpoint"][: sent["checkpoint"].rindex("\n\n") + 1]
    verify_checkpoint_cosignature(key, text, bytes.fromhex(sent["signature"]))
    # nothing new: no signing, nothing sent
    assert _follow(directory, log).cosigned is None
    assert len(log.received) == 2
    state = directory.load()[log.signer.name]
    assert (state.size, state.submitted) == (5, True)


def test_state_is_persisted_before_sending(directory: WitnessDirectory, log: FakeLog) -> None:
    log.append(b"a", b"b")
    _follow(directory, log)
    log.append(b"c")
    log.fail_posts = True
    with pytest.raises(FollowError, match="simulated"):
        _follow(directory, log)
    # the crash happened after the state reached the disk: size 3 is recorded, not yet sent
    state = json.loads(directory.state_file.read_text())["logs"][log.signer.name]
    assert (state["size"], state["submitted"]) == (3, False)
    # the next round sends the cosignature again (BLS signing is deterministic)
    log.fail_posts = False
    again = _follow(directory, log)
    assert again.size == 3 and len(log.received) == 2
    assert directory.load()[log.signer.name].submitted


def test_rollback_is_refused_with_evidence(directory: WitnessDirectory, log: FakeLog) -> None:
    log.append(b"a", b"b", b"c", b"d")
    _follow(directory, log)
    log.served = log.note_at(2)
    with pytest.raises(RollbackRefused, match="rollback refused") as caught:
        _follow(directory, log)
    evidence = json.loads(Path(str(caught.value.evidence)).read_text())
    assert evidence["kind"] == "RollbackRefused"
    assert "\n4\n" in evidence["cosigned_checkpoint"] and "\n2\n" in evidence["offered_checkpoint"]
    assert directory.load()[log.signer.name].size == 4  # state unchanged


def test_same_size_fork_is_refused_with_evidence(directory: WitnessDirectory, log: FakeLog) -> None:
    log.append(b"a", b"b", b"c")
    _follow(directory, log)
    forked = [leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"EVIL")]
    log.served = log.note_at(3, forked)
    with pytest.raises(ForkDetected, match="two different roots") as caught:
        _follow(directory, log)
    evidence = json.loads(Path(str(caught.value.evidence)).read_text())
    assert evidence["cosigned_checkpoint"] != evidence["offered_checkpoint"]
    assert stat.S_IMODE(Path(str(caught.value.evidence)).stat().st_mode) == 0o600


def test_non_extending_checkpoint_is_refused(directory: WitnessDirectory, log: FakeLog) -> None:
    log.append(b"a", b"b", b"c")
    _follow(directory, log)
    # the log rewrites leaf 1 and grows: no consistency proof can link the roots
    log.leaves[1] = leaf_hash(b"rewritten")
    log.append(b"d", b"e")
    with pytest.raises(InconsistentCheckpoint, match="does not extend"):
        _follow(directory, log)
    assert directory.load()[log.signer.name].size == 3
    assert len(list(directory.evidence_dir.iterdir())) == 1


def test_follow_loop_reports_transient_errors_and_stops_on_misbehaviour(
    directory: WitnessDirectory, log: FakeLog
) -> None:
    witness = Witness(directory, {log.signer.name: log.signer.verifier})
    client = LogClient(BASE, log)
    lines: list[str] = []
    follow(witness, client, log.signer.verifier, interval=0, report=lines.append, rounds=1)
    assert "will retry" in lines[0]  # the log has no checkpoint yet (404)
    log.append(b"a", b"b")
    follow(witness, client, log.signer.verifier, interval=0, report=lines.append, rounds=1)
    assert lines[-1] == f"cosigned {log.signer.name} at size 2"
    log.served = log.note_at(1)
    with pytest.raises(RollbackRefused):
        follow(witness, client, log.signer.verifier, interval=0, report=lines.append, rounds=2)


def test_command_line_exit_statuses(tmp_path: Path, log: FakeLog, capsys) -> None:  # type: ignore[no-untyped-def]
    state = str(tmp_path / "w")
    assert main(["init", "--state", state, "--name", "ngo.test/w"]) == 0
    registration = json.loads(capsys.readouterr().out)
    WitnessPublicKey.from_hex(registration["public_key"])
    key = str(log.signer.verifier)
    log.append(b"a", b"b", b"c")
    follow_args = ["follow", "--state", state, "--log", BASE, "--log-key", key, "--once"]
    assert main(follow_args, transport=log) == 0
    log.served = log.note_at(1)
    assert main(follow_args, transport=log) == EXIT_MISBEHAVIOUR
    assert "REFUSED" in capsys.readouterr().err
    assert main(["register", "--state", str(tmp_path / "none"), "--log", BASE]) == 1
