"""Every record of a vote day's log against its JSON Schema (docs/schemas/, docs/record.md).

The records come from the richest vote day the tests build: the rehearsal
(tests/voting/conftest.py: trustees, credentials, a clerk's key and postal
counts with a correction, ballots, audits and refused re-votes, a witness,
the tally and the published results) and, for the two record types an
honest ceremony does not produce, a key ceremony through the services in
which a trustee complains and the accused answers. Validation is by the
`jsonschema` package (Draft 2020-12, formats checked), not by our code.

The adversarial half: records the verifier refuses for their shape (an
unknown key, a hex string of the wrong length, a time without its offset)
are refused by the schema too, so the schemas are never looser than the
verifier where shape is concerned.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from crypto.encoding import canonical_json
from crypto.testing import deterministic_rng
from crypto.trustees import Complaint
from crypto.trustees import commit
from crypto.trustees import deal_shares
from crypto.trustees import new_trustee
from crypto.trustees import reveal_share
from crypto.trustees import sign
from crypto.witness.cosignature import CosignerKey
from tests.fixtures_casting import DEMO_VOTE_DAY
from tests.record_schemas import SCHEMAS
from tests.record_schemas import errors
from tests.record_schemas import record_types
from tests.record_schemas import second_validator
from tests.record_schemas import validator
from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import Record
from tests.voting.record_tamper import failures
from tests.voting.record_tamper import run_verifier
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import cosigners
from voting.log import reads
from voting.rehearsal.demo import load_demo
from voting.rehearsal.rehearse import RehearsalSummary
from voting.services import ceremony as ceremony_service
from voting.services.lifecycle import begin_key_ceremony
from voting.tools.verify.report import Report
from voting.tools.verify.structure import DEFERRED
from voting.tools.verify.structure import RECORD_KEYS
from voting.tools.verify.structure import RECORD_TYPES
from voting.tools.verify.structure import parse_entries

Rehearsed = tuple[RehearsalSummary, Keys]
ROOT = Path(__file__).resolve().parents[2]


RETURN_CODE_RECORDS = {"return-code-keys", "return-code-lookup", "return-codes", "confirmation"}
"""A vote day with return codes needs its authorities running: its records are checked
against their schemas by tests/voting/test_return_codes.py."""


def _rehearsed_records(rehearsed: Rehearsed) -> list[dict[str, Any]]:
    lines = (rehearsed[0].record / "entries.jsonl").read_bytes().splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture()
def disputed_ceremony(app: Flask) -> list[dict[str, Any]]:
    """The log of a key ceremony in which bob complains about alice and alice reveals,
    and an administrator lists a C2SP witness (a ``cosigner`` record)."""
    list(load_demo())
    session, signing = db.session, log_signing(app)
    names = ("alice", "bob", "carol")
    begin_key_ceremony(session, DEMO_VOTE_DAY, trustees=names, threshold=2, signing=signing)
    ceremony = ceremony_service.ceremony_state(session, DEMO_VOTE_DAY).ceremony
    secrets = [new_trustee(ceremony, n, rng=deterministic_rng(n.encode())) for n in names]
    for s in secrets:
        body = commit(ceremony, s).to_json()
        ceremony_service.submit_commitment(session, DEMO_VOTE_DAY, s.trustee, body, signing=signing)
    commitments = list(ceremony_service.ceremony_state(session, DEMO_VOTE_DAY).commitments.values())
    for s in secrets:
        shares = [sh.to_json() for sh in deal_shares(ceremony, s, commitments)]
        ceremony_service.submit_shares(session, DEMO_VOTE_DAY, s.trustee, shares, signing=signing)
    alice, bob = secrets[0], secrets[1]
    complaint = sign(
        ceremony,
        bob,
        Complaint(
            accuser="bob", accuser_index=2, accused="alice", accused_index=1, reason="missing"
        ),
    )
    ceremony_service.submit_complaint(
        session, DEMO_VOTE_DAY, "bob", complaint.to_json(), signing=signing
    )
    answer = reveal_share(ceremony, alice, complaint)
    ceremony_service.submit_reveal(
        session, DEMO_VOTE_DAY, "alice", answer.to_json(), signing=signing
    )
    witness = CosignerKey("witness.example/w1", bytes(range(1, 33)))
    cosigners.add_cosigner(
        session,
        DEMO_VOTE_DAY,
        witness.vkey(),
        "https://witness.example/w1/",
        approved_by="admin",
        signing=signing,
    )
    size = reads.log_size(session, DEMO_VOTE_DAY)
    return [e.record for e in reads.get_entries(session, DEMO_VOTE_DAY, 0, size)]


def test_the_schemas_are_valid_draft_2020_12_and_formats_are_checked() -> None:
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))
    # without rfc3339-validator, jsonschema silently skips "date-time": the test would lie
    assert {"date", "date-time"} <= set(Draft202012Validator.FORMAT_CHECKER.checkers)


def test_every_record_of_a_vote_day_matches_its_schema(
    rehearsed: Rehearsed, disputed_ceremony: list[dict[str, Any]]
) -> None:
    records = _rehearsed_records(rehearsed) + disputed_ceremony
    for index, record in enumerate(records):
        found = errors(record)
        assert found == [], f"record {index} ({record['type']}): {found}"
        assert second_validator().is_valid(record), f"record {index}: jsonschema-rs disagrees"
        assert errors(record, record["type"]) == []
    seen = {r["type"] for r in records} | RETURN_CODE_RECORDS
    assert seen == record_types(), f"no record of {sorted(record_types() - seen)} on the log"
    rehearsed_kinds = {r["type"] for r in _rehearsed_records(rehearsed)}
    assert {"spoiled", "channel-counts", "clerk-key", "witness", "result"} <= rehearsed_kinds
    postal = [r for r in _rehearsed_records(rehearsed) if r["type"] == "channel-counts"]
    assert any(r["replaces"] is not None for r in postal), "the correction of postal counts"


def _record_types_in_code() -> dict[str, str]:
    """Every ``{"type": <string>, ...}`` literal of the server and tools that writes a record.

    A dict literal whose "type" is a string constant (or a module constant
    such as ``WITNESS_RECORD``) and that is built where records are written:
    the services, the log, the rehearsal, the tools. Keys are the types, values
    where one was found.
    """
    found: dict[str, str] = {}
    roots = [ROOT / "voting" / d for d in ("services", "log", "rehearsal", "tools")]
    roots.append(ROOT / "crypto")
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants = {
                t.id: node.value.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                for t in node.targets
                if isinstance(t, ast.Name) and isinstance(node.value.value, str)
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Dict):
                    continue
                for key, value in zip(node.keys, node.values, strict=True):
                    if not (isinstance(key, ast.Constant) and key.value == "type"):
                        continue
                    kind = None
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        kind = value.value
                    elif isinstance(value, ast.Name):
                        kind = constants.get(value.id)
                    if kind is not None:
                        found.setdefault(kind, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


NOT_RECORDS = {
    "found": "the verifier's receipt fact {'index', 'type': 'found'}",
    "rc-setup-request": "the registrar's setup request to an authority (a file, not logged)",
    "rc-setup-voter": "a voter line of that request",
    "rc-setup-answer-header": "an authority's setup answer file (to the registrar)",
    "rc-setup-answer": "a voter line of that answer",
    "rc-choice-codes": "an authority's HTTP answer, logged inside a return-codes record",
    "rc-confirm": "an authority's HTTP answer, logged inside a confirmation record",
}
"""``{"type": ...}`` literals in that code that are no log record (why, for a reader)."""


def test_every_record_type_in_the_code_has_a_schema() -> None:
    in_code = _record_types_in_code()
    without = {
        k: where for k, where in in_code.items() if k not in record_types() | set(NOT_RECORDS)
    }
    assert without == {}, f"record types written without a schema in docs/schemas/: {without}"
    assert set(in_code) >= record_types(), "the scan missed a record type: it cannot be trusted"
    # the verifier knows the same types, and the same top-level keys
    assert RECORD_TYPES == record_types()
    assert set(RECORD_KEYS) == record_types()
    for kind, (required, optional) in RECORD_KEYS.items():
        schema = validator(kind).schema
        assert set(schema["required"]) == required, kind
        assert set(schema["properties"]) == required | optional, kind
        assert schema["additionalProperties"] is False, kind


def test_record_md_links_every_schema_and_embeds_none() -> None:
    text = (ROOT / "docs" / "record.md").read_text(encoding="utf-8")
    for kind in record_types():
        assert f"schemas/{kind}.schema.json" in text, kind
    assert '"additionalProperties"' not in text, "a schema copy embedded in docs/record.md"


# --- records the verifier refuses for their shape -------------------------------------


DISPUTED_ONLY = {"cosigner", "trustee-complaint", "trustee-reveal"}
"""Record types the rehearsal never writes: :func:`disputed_ceremony` makes them on the
suite's database, so their cases are marked ``database`` (the PostgreSQL pass runs them)."""


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(kind, marks=pytest.mark.database) if kind in DISPUTED_ONLY else kind
        for kind in sorted(RECORD_TYPES - DEFERRED - RETURN_CODE_RECORDS)
    ],
)
def test_an_unknown_key_is_refused_by_the_verifier_and_the_schema(
    rehearsed: Rehearsed, request: pytest.FixtureRequest, kind: str
) -> None:
    """A server adds a field no check reads (it could say anything under the witnesses'
    cosignature): the verifier's entries check and the schema both refuse it."""
    records = _rehearsed_records(rehearsed)
    if kind not in {r["type"] for r in records}:  # a complaint or a reveal
        records = request.getfixturevalue("disputed_ceremony")
    index = next(i for i, r in enumerate(records) if r["type"] == kind)
    tampered = {**records[index], "note": "counted by hand, trust us"}
    leaves = [canonical_json(r) for r in records]
    leaves[index] = canonical_json(tampered)
    report = Report()
    parse_entries(report, leaves)
    assert report.failed("entries")
    assert index in {leaf for f in report.checks["entries"].failures for leaf in f.leaves}
    assert "unknown keys ['note']" in str([f.message for f in report.checks["entries"].failures])
    assert any("'note' was unexpected" in e for e in errors(tampered))
    assert not second_validator().is_valid(tampered)


def _short(text: str) -> str:
    return text[:-2]


def _short_nonce(nonces: dict[str, list[str]]) -> None:
    first = nonces[next(iter(nonces))]
    first[0] = _short(first[0])


SHAPES: list[tuple[str, str, Callable[[dict[str, Any]], None], str]] = [
    ("ballot", "an unknown key", lambda r: r.update(note="x"), "ballots"),
    (
        "ballot",
        "a credential of 31 bytes",
        lambda r: r["ballot"].update(credential=_short(r["ballot"]["credential"])),
        "ballots",
    ),
    ("spoiled", "a nonce of 31 bytes", lambda r: _short_nonce(r["secrets"]["nonces"]), "spoiled"),
    (
        "trustee-commitment",
        "a verify key of 31 bytes",
        lambda r: r["commitment"].update(verify_key=_short(r["commitment"]["verify_key"])),
        "ceremony",
    ),
    (
        "decryption-shares",
        "an unknown key in the share",
        lambda r: r["share"].update(note="x"),
        "decryption-shares",
    ),
    (
        "channel-counts",
        "a signature of 63 bytes",
        lambda r: r.update(signature=_short(r["signature"])),
        "channel-counts",
    ),
    (
        "encrypted-totals",
        "a ciphertext with an unknown key",
        lambda r: r["questions"][0]["ciphertexts"][0].update(note="x"),
        "encrypted-totals",
    ),
    (
        "credentials",
        "an upper-case credential",
        lambda r: r["keys"].__setitem__(0, r["keys"][0].upper()),
        "credentials",
    ),
    ("close", "a time without its offset", lambda r: r.update(at=r["at"][:-6]), "sequence"),
    (
        "result",
        "an unknown key in a unit's row",
        lambda r: r["units"][0].update(note="x"),
        "results",
    ),
]


def test_records_of_the_wrong_shape_fail_the_verifier_and_the_schema(
    record_copy: Record, rehearsed: Rehearsed
) -> None:
    """An insider (log and witness keys) logs malformed records: the verifier's check names
    each one's leaf, and the record's schema refuses each (one verifier run for all)."""
    tampered: list[tuple[int, str, str]] = []
    for kind, what, tamper, check in SHAPES:
        index = next(i for i in record_copy.indexes(kind) if i not in {t[0] for t in tampered})
        record = record_copy.record(index)
        tamper(record)
        assert errors(record) != [], f"the schema accepts {kind} with {what}"
        assert not second_validator().is_valid(record), f"jsonschema-rs accepts {what}"
        record_copy.set_record(index, record)
        tampered.append((index, what, check))
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    for index, what, check in tampered:
        named = {leaf for f in failures(report, check) for leaf in f["leaves"]}
        assert index in named, f"{what} (leaf {index}): not named by the {check} check"
