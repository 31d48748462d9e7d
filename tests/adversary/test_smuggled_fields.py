"""Fields smuggled into log records: data no check reads, published under the cosignature.

Attacker: the server operator (docs/threat-model.md, "Log, checkpoints,
witnesses and the log key"). Capability: it writes the log, so it can add
any key to a record it logs (the trustee's commitment it relays, its own
lifecycle records). Before the verifier checked each record type's keys, a
record with an extra field — a voter's name beside a ballot's leaf, a
"corrected" figure beside the real one, a link that a reader might trust —
verified as VALID: the checks read only the fields they know, and the
witnesses cosign whatever tree they are shown. Now the verifier's `entries`
check refuses it, naming the leaf, and so does the record's JSON Schema
(docs/schemas/).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from crypto.testing import deterministic_rng
from crypto.trustees import commit
from crypto.trustees import new_trustee
from tests.fixtures_casting import DEMO_VOTE_DAY
from tests.record_schemas import errors
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log import reads
from voting.rehearsal.demo import load_demo
from voting.services import ceremony as ceremony_service
from voting.services.lifecycle import begin_key_ceremony
from voting.tools.verify.ceremony_checks import check_ceremony
from voting.tools.verify.report import Report
from voting.tools.verify.structure import parse_entries

NAMES = ("alice", "bob", "carol")


def _verify_ceremony(stored: list[reads.Entry]) -> Report:
    """The verifier's entries and ceremony checks over the log as stored."""
    report = Report()
    entries = parse_entries(report, [e.data for e in stored])
    check_ceremony(report, entries, [e.leaf_hash for e in stored])
    return report


def test_a_field_smuggled_into_a_relayed_commitment_fails_the_entries_check(app: Flask) -> None:
    list(load_demo())
    session, signing = db.session, log_signing(app)
    begin_key_ceremony(session, DEMO_VOTE_DAY, trustees=NAMES, threshold=2, signing=signing)
    ceremony = ceremony_service.ceremony_state(session, DEMO_VOTE_DAY).ceremony
    secrets = [new_trustee(ceremony, n, rng=deterministic_rng(n.encode())) for n in NAMES]
    honest = commit(ceremony, secrets[0]).to_json()
    ceremony_service.submit_commitment(session, DEMO_VOTE_DAY, "alice", honest, signing=signing)
    # the server relays bob's real commitment with a field of its own, in its own log
    smuggled: dict[str, Any] = {
        "type": "trustee-commitment",
        "commitment": commit(ceremony, secrets[1]).to_json(),
        "note": "bob's key is escrowed with the operator",
    }
    leaf = bulletin.append(session, DEMO_VOTE_DAY, smuggled, signing=signing).index
    size = reads.log_size(session, DEMO_VOTE_DAY)
    stored = reads.get_entries(session, DEMO_VOTE_DAY, 0, size)

    report = _verify_ceremony(stored)
    # the ceremony itself is sound: only the shape check sees the extra field
    assert not report.failed("ceremony"), report.checks["ceremony"].failures
    assert report.failed("entries")
    failure = report.checks["entries"].failures[0]
    assert list(failure.leaves) == [leaf]
    assert "unknown keys ['note']" in failure.message
    assert any("'note' was unexpected" in e for e in errors(smuggled))
    # the honest records of the same log pass the schema and the check
    assert [errors(e.record) for e in stored if e.index != leaf] == [[]] * (size - 1)
