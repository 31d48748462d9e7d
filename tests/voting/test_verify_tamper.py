"""Tampered records: each makes the verifier exit 1 and name the check that caught it.

What each tamper shows depends on what the tamperer holds:

- nothing but the record: any change to an entry breaks the Merkle root under
  the cosigned final checkpoint;
- its own key: it can recompute the tree and sign a new checkpoint, which the
  log's key does not verify (nor do the witnesses);
- the log's and the witnesses' keys (an insider, or an honest server that
  logged something wrong): the checkpoint verifies, and the content checks
  must catch the change, naming the entries (and the trustee or clerk) at fault.
"""

from __future__ import annotations

import copy

import pytest

from crypto.group import G
from crypto.group import Point
from crypto.merkle import leaf_hash
from crypto.trustees import Ceremony
from crypto.trustees import Complaint
from crypto.trustees import sign
from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import Record
from tests.voting.record_tamper import failures
from tests.voting.record_tamper import messages
from tests.voting.record_tamper import run_verifier
from voting.rehearsal.rehearse import RehearsalSummary

Rehearsed = tuple[RehearsalSummary, Keys]
ATTACKER_SEED = bytes(range(32))


def _flip_hex(text: str) -> str:
    return ("1" if text[0] != "1" else "2") + text[1:]


def _a_ballot(record: Record, n: int = 0) -> int:
    return record.indexes("ballot")[n]


def test_one_byte_changed_in_a_ballot_breaks_the_merkle_root(record_copy: Record) -> None:
    leaf = _a_ballot(record_copy)
    data = bytearray(record_copy.entries[leaf])
    position = data.index(b'"pad":"') + 10
    data[position] = ord("0") if data[position] != ord("0") else ord("1")
    record_copy.entries[leaf] = bytes(data)
    record_copy.save()
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "merkle-root" in report["failed"]
    assert "ballots" in report["failed"]
    assert any(leaf in f["leaves"] for f in failures(report, "ballots"))


def test_altered_ballot_resigned_by_an_attacker_fails_the_log_signature(
    record_copy: Record, rehearsed: Rehearsed
) -> None:
    leaf = _a_ballot(record_copy)
    record = record_copy.record(leaf)
    record["ballot"]["signature"] = _flip_hex(record["ballot"]["signature"])
    record_copy.set_record(leaf, record)
    record_copy.reseal(ATTACKER_SEED, rehearsed[1].origin)
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "checkpoint-signature" in report["failed"]
    assert "merkle-root" not in report["failed"]  # the tree was recomputed
    assert leaf in failures(report, "ballots")[0]["leaves"]


def test_altered_ballot_with_the_real_keys_fails_the_ballot_check(
    record_copy: Record, rehearsed: Rehearsed
) -> None:
    leaf = _a_ballot(record_copy, 3)
    record = record_copy.record(leaf)
    record["ballot"]["signature"] = _flip_hex(record["ballot"]["signature"])
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert report["failed"] == ["ballots"]
    assert "signature" in messages(report, "ballots")
    assert failures(report, "ballots")[0]["leaves"] == [leaf]


def test_a_ballot_removed(record_copy: Record, rehearsed: Rehearsed) -> None:
    leaf = _a_ballot(record_copy, 5)
    del record_copy.entries[leaf]
    record_copy.save()
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "merkle-root" in report["failed"]
    record_copy.reseal_as_insider(rehearsed[1])  # even an insider cannot hide it
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "encrypted-totals" in report["failed"]
    assert "not the sums of its counted ballots" in messages(report, "encrypted-totals")


def test_two_entries_swapped(record_copy: Record, rehearsed: Rehearsed) -> None:
    a, b = _a_ballot(record_copy, 1), _a_ballot(record_copy, 2)
    record_copy.entries[a], record_copy.entries[b] = record_copy.entries[b], record_copy.entries[a]
    record_copy.save()
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert report["failed"] == ["merkle-root"]


def test_ballot_moved_after_the_close_record(record_copy: Record, rehearsed: Rehearsed) -> None:
    close = record_copy.indexes("close")[0]
    leaf = close - 1
    assert record_copy.record(leaf)["type"] == "ballot"
    record_copy.entries[leaf], record_copy.entries[close] = (
        record_copy.entries[close],
        record_copy.entries[leaf],
    )
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "after-close" in report["failed"]
    assert failures(report, "after-close")[0]["leaves"] == [close]


def test_forged_checkpoint(record_copy: Record, rehearsed: Rehearsed) -> None:
    record_copy.reseal(ATTACKER_SEED, rehearsed[1].origin)  # same tree, another key
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "checkpoint-signature" in report["failed"]
    assert "no signature by" in messages(report, "checkpoint-signature")


def test_attacker_replacing_the_log_key_too_is_caught_by_the_manifest(
    record_copy: Record, rehearsed: Rehearsed
) -> None:
    from crypto.note import NoteSigner

    origin = rehearsed[1].origin
    record_copy.reseal(ATTACKER_SEED, origin)
    attacker_key = str(NoteSigner(origin, ATTACKER_SEED).verifier)
    (record_copy.path / "log-key.txt").write_text(attacker_key + "\n")
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert {"manifest", "witnesses"} <= set(report["failed"])
    real_key = str(NoteSigner(origin, rehearsed[1].log_seed).verifier)
    code, report = run_verifier(record_copy.path, "--log-key", real_key)  # the observer's pin
    assert code == 1
    assert "is not the key you gave" in messages(report, "checkpoint-signature")


def test_decryption_share_replaced(record_copy: Record, rehearsed: Rehearsed) -> None:
    shares = record_copy.indexes("decryption-shares")
    first, other = record_copy.record(shares[0]), record_copy.record(shares[1])
    assert first["unit"] != other["unit"] or first["share"]["trustee"] != other["share"]["trustee"]
    forged = copy.deepcopy(first)
    forged["share"] = other["share"]  # a share of something else, under this unit's name
    record_copy.set_record(shares[0], forged)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "decryption-shares" in report["failed"]
    assert shares[0] in failures(report, "decryption-shares")[0]["leaves"]
    assert first["unit"] in messages(report, "decryption-shares")


def test_trustee_bad_decryption_is_named(record_copy: Record, rehearsed: Rehearsed) -> None:
    leaf = record_copy.indexes("decryption-shares")[0]
    record = record_copy.record(leaf)
    trustee = record["share"]["trustee"]
    d = Point.from_hex(record["share"]["shares"][0])
    record["share"]["shares"][0] = (d + G).hex()  # a wrong partial decryption D_j
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "decryption-shares" in report["failed"]
    assert f"trustee {trustee!r}" in messages(report, "decryption-shares")
    assert "electronic-counts" in report["failed"]  # the counts rest on that share


def test_trustee_bad_commitment_is_named(record_copy: Record, rehearsed: Rehearsed) -> None:
    leaf = record_copy.indexes("trustee-commitment")[2]
    record = record_copy.record(leaf)
    trustee = record["commitment"]["trustee"]
    proof = record["commitment"]["proofs"][1]
    proof["s"] = _flip_hex(proof["s"])
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "ceremony" in report["failed"]
    assert f"trustee {trustee!r}" in messages(report, "ceremony")
    assert leaf in failures(report, "ceremony")[0]["leaves"]


def test_unanswered_complaint_disqualifies_the_trustee(
    record_copy: Record, rehearsed: Rehearsed
) -> None:
    """A complaint nobody answered: the log's election key should have left carol out.

    The complaint is alice's own (signed with her key), so only the missing
    answer is wrong with this record.
    """
    ready = record_copy.indexes("trustee-ready")[0]
    accused = record_copy.record(record_copy.indexes("trustee-commitment")[2])["commitment"]
    alice = rehearsed[0].trustee_secrets[0]
    first = record_copy.record(0)
    ceremony = Ceremony(
        ceremony_id=leaf_hash(record_copy.entries[0]),
        threshold=first["threshold"],
        trustees=tuple(t["name"] for t in first["trustees"]),
    )
    signed = sign(
        ceremony,
        alice,
        Complaint(
            accuser="alice",
            accuser_index=1,
            accused=accused["trustee"],
            accused_index=accused["index"],
            reason="missing",
        ),
    )
    complaint = {"type": "trustee-complaint", "complaint": signed.to_json()}
    record_copy.entries.insert(ready, b"")
    record_copy.set_record(ready, complaint)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    text = messages(report, "election-key") + messages(report, "ceremony")
    assert accused["trustee"] in text, text


def test_postal_count_altered(record_copy: Record, rehearsed: Rehearsed) -> None:
    leaf = record_copy.indexes("channel-counts")[-1]
    record = record_copy.record(leaf)
    question = next(iter(record["questions"].values()))
    question["options"][0] += 1  # one more yes, one fewer no: still consistent
    question["options"][1] -= 1
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "channel-counts" in report["failed"]
    assert f"clerk {record['clerk']!r}" in messages(report, "channel-counts")
    assert failures(report, "channel-counts")[0]["leaves"] == [leaf]


def test_result_altered(record_copy: Record, rehearsed: Rehearsed) -> None:
    leaf = record_copy.indexes("result")[0]
    record = record_copy.record(leaf)
    record["units"][0]["total"]["options"][0] += 1
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert report["failed"] == ["results"]
    assert record["question"] in messages(report, "results")


def test_outcome_altered(record_copy: Record, rehearsed: Rehearsed) -> None:
    leaf = next(
        i for i in record_copy.indexes("result") if "accepted" in record_copy.record(i)["outcome"]
    )
    record = record_copy.record(leaf)
    record["outcome"]["accepted"] = not record["outcome"]["accepted"]
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert report["failed"] == ["results"]
    assert "outcome is not what the rule" in messages(report, "results")


def test_electronic_counts_altered(record_copy: Record, rehearsed: Rehearsed) -> None:
    leaf = record_copy.indexes("electronic-counts")[0]
    record = record_copy.record(leaf)
    first = next(iter(record["questions"]))
    record["questions"][first][0] += 1
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "electronic-counts" in report["failed"]
    assert record["unit"] in messages(report, "electronic-counts")


@pytest.mark.parametrize(
    "kind",
    [
        "manifest",
        "credentials",
        "election-key",
        "spoiled",
        "encrypted-totals",
        "electronic-counts",
        "channel-counts",
        "result",
    ],
)
def test_malformed_records_fail_without_crashing(
    record_copy: Record, rehearsed: Rehearsed, kind: str
) -> None:
    leaf = record_copy.indexes(kind)[0]
    record_copy.set_record(leaf, {"type": kind, "unit": 7, "questions": "none", "ballot": []})
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1, report
    assert (
        any(leaf in f["leaves"] for c in report["failed"] for f in failures(report, c))
        or (report["failed"])
    )


def test_junk_in_an_audits_secrets_fails_the_spoiled_check(
    record_copy: Record, rehearsed: Rehearsed
) -> None:
    leaf = record_copy.indexes("spoiled")[0]
    record = record_copy.record(leaf)
    question = next(iter(record["secrets"]["nonces"]))
    record["secrets"]["selections"]["<script>"] = [0]
    record["secrets"]["nonces"]["<script>"] = [record["secrets"]["nonces"][question][0]]
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert report["failed"] == ["spoiled"]
    assert "exactly the ballot's questions" in messages(report, "spoiled")
    assert failures(report, "spoiled")[0]["leaves"] == [leaf]


def test_a_ballot_logged_twice_names_both_leaves(record_copy: Record, rehearsed: Rehearsed) -> None:
    first, second = _a_ballot(record_copy, 0), _a_ballot(record_copy, 1)
    record_copy.entries[second] = record_copy.entries[first]  # a replay where a ballot was
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "ballots" in report["failed"]
    replayed = [f for f in failures(report, "ballots") if "same ballot content" in f["message"]]
    assert [f["leaves"] for f in replayed] == [[first, second]]


def test_an_audited_ballot_counted_as_cast_fails_the_ballot_check(
    record_copy: Record, rehearsed: Rehearsed
) -> None:
    spoiled = record_copy.indexes("spoiled")[0]
    victim = next(i for i in record_copy.indexes("ballot") if i > spoiled)
    ballot = record_copy.record(spoiled)["ballot"]
    record_copy.set_record(victim, {"type": "ballot", "ballot": ballot})
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    found = failures(report, "ballots")
    assert [spoiled, victim] in [f["leaves"] for f in found]
    assert any("cast ballot" in f["message"] for f in found if f["leaves"] == [victim])
