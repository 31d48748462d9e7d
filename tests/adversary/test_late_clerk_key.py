"""A clerk key logged after opening: the server signs a postal count of its own.

Attacker: the server operator (docs/threat-model.md, "Key ceremony, decryption
and channel counts"). Capability: it writes the log (and holds the log key),
so it can log a fresh ``clerk-key`` "for" a clerk once the vote day is open,
then a ``channel-counts`` record signed with that key that replaces the
clerk's real count. It does not hold the clerk's own key.

Opening freezes the clerks' keys: the server refuses a registration after
opening (tests/voting/test_channels.py) and the verifier fails any key logged
after the ``open`` record and any count that only such a key signs.
"""

from __future__ import annotations

from crypto.clerk_signature import new_clerk_key
from crypto.clerk_signature import sign_counts
from tests.voting.conftest import record_copy  # noqa: F401
from tests.voting.conftest import rehearsed  # noqa: F401 (the fixture, built once per session)
from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import Record
from tests.voting.record_tamper import failures
from tests.voting.record_tamper import messages
from tests.voting.record_tamper import run_verifier
from voting.rehearsal.rehearse import RehearsalSummary


def test_a_count_signed_by_a_key_logged_after_opening_fails_the_verifier(
    record_copy: Record,  # noqa: F811
    rehearsed: tuple[RehearsalSummary, Keys],  # noqa: F811
) -> None:
    counts_leaf = record_copy.indexes("channel-counts")[-1]
    real = record_copy.record(counts_leaf)
    opened = record_copy.indexes("open")[0]
    assert all(i < opened for i in record_copy.indexes("clerk-key"))  # the honest record
    forged_key = new_clerk_key()
    late_key = {
        "type": "clerk-key",
        "clerk": real["clerk"],
        "unit": real["unit"],
        "public_key": bytes(forged_key.verify_key).hex(),
    }
    question = next(iter(real["questions"].values()))
    question["options"][0] += 1  # one more yes, one fewer no: still consistent
    question["options"][1] -= 1
    forged = sign_counts({**real, "replaces": counts_leaf}, forged_key)
    key_leaf = len(record_copy.entries)
    record_copy.entries.extend([b"", b""])
    record_copy.set_record(key_leaf, late_key)
    record_copy.set_record(key_leaf + 1, forged)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "channel-counts" in report["failed"]
    text = messages(report, "channel-counts")
    assert "after the vote day opened" in text, text
    named = {leaf for f in failures(report, "channel-counts") for leaf in f["leaves"]}
    assert {key_leaf, key_leaf + 1} <= named
