"""The return-code checks (docs/return-codes.md, docs/verifier.md "Return codes").

For a record whose manifest has ``return_codes``, with the authorities' keys
from the user (``--return-code-authorities FILE``, never from the record):

- the manifest names exactly the user's authorities, in order;
- every registered credential has its X_c and one V_{j,c} per authority
  (``return-code-keys``), and the lookup tree's root is logged once
  (``return-code-lookup``) before the vote day opens;
- every ``return-codes`` record: its ballot is the logged ballot at its leaf,
  each partial code's proof verifies against the ballot and X_c, and every
  authority's answer is signed by that authority and exponentiated right
  (a wrong one is named);
- every ``confirmation`` record: the device's proof, every authority's
  answer, and, for a confirmed one, the combined long code's lookup key is
  the entry's and the entry is in the lookup tree committed at opening;
- only a credential's first ballot with a valid confirmation is counted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto import merkle
from crypto import returncode_messages as rcm
from crypto import returncode_table
from crypto import returncodes as rc
from crypto.ballot import Ballot
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.encoding import canonical_json
from crypto.errors import CodeNotFound
from crypto.errors import InvalidAuthorityAnswer
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidInclusionProof
from crypto.errors import InvalidProof
from crypto.errors import UnsupportedQuestion
from crypto.group import Point
from crypto.proofs import SchnorrProof
from voting.tools.verify.manifest_checks import ElectionFacts
from voting.tools.verify.record import UnusableRecord
from voting.tools.verify.report import Report
from voting.tools.verify.structure import Entries

CHECK = "return-codes"
MAX_CONFIRMATIONS = 5


@dataclass(frozen=True)
class Authority:
    """A return-code authority as the user knows it: its name and Ed25519 key (hex)."""

    name: str
    key: str


class MissingAuthorities(UnusableRecord):
    """The record has return codes but the user gave no authorities' keys."""


def parse_authorities(text: str) -> tuple[Authority, ...]:
    """``{"authorities": [{"name", "key"}, ...]}`` (or the bare list), from the user's file.

    Raises:
        InvalidEncoding: not that shape, or a key that is not 64 hex digits.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEncoding(f"not JSON: {exc}") from exc
    items = document.get("authorities") if isinstance(document, dict) else document
    if not isinstance(items, list) or not items:
        raise InvalidEncoding('expected {"authorities": [{"name": ..., "key": hex}, ...]}')
    out = []
    for item in items:
        if not isinstance(item, dict) or not {"name", "key"} <= set(item):
            raise InvalidEncoding("each authority is {name, key}")
        name, key = item["name"], item["key"]
        if not isinstance(name, str) or not isinstance(key, str) or len(key) != 64:
            raise InvalidEncoding(f"authority {name!r}: the key must be 64 hex digits")
        bytes.fromhex(key)
        out.append(Authority(name, key))
    return tuple(out)


def require_authorities(facts: ElectionFacts, authorities: Sequence[Authority] | None) -> None:
    """Refuse a record with return codes verified without the user's authorities.

    Raises:
        MissingAuthorities: what to pass.
    """
    if "return_codes" in facts.manifest and authorities is None:
        named = facts.manifest["return_codes"].get("authorities", [])
        names = ", ".join(str(a.get("name")) for a in named)
        raise MissingAuthorities(
            "this vote day has return codes: pass --return-code-authorities FILE with the "
            f"return-code authorities' names and keys as you obtained them ({names}), "
            'as {"authorities": [{"name": ..., "key": <hex>}, ...]}'
        )


@dataclass
class _Voters:
    keys: dict[str, tuple[Point, tuple[Point, ...]]]
    root: bytes | None
    size: int


def check_return_codes(
    report: Report, entries: Entries, facts: ElectionFacts, authorities: Sequence[Authority]
) -> set[int]:
    """Run the checks; return the leaves of the confirmed ballots (the ones that may count)."""
    named = facts.manifest["return_codes"]["authorities"]
    if [(a["name"], a["key"]) for a in named] != [(a.name, a.key) for a in authorities]:
        report.fail(
            CHECK,
            "the manifest's return-code authorities are not the ones you gave "
            f"(manifest: {[a['name'] for a in named]}, yours: {[a.name for a in authorities]})",
            [entries.first("manifest") or 0],
        )
        return set()
    voters = _voters(report, entries, facts, len(authorities))
    codes = {}
    for leaf in entries.of("return-codes"):
        record = entries.records[leaf] or {}
        if _check_codes(report, entries, facts, authorities, voters, leaf, record):
            codes[record["ballot"]] = leaf
    confirmed = _confirmations(report, entries, facts, authorities, voters, codes)
    if CHECK not in report.checks:
        report.done(
            CHECK,
            f"{len(codes)} ballots with choice codes, {len(confirmed)} confirmed "
            f"({len(authorities)} authorities' answers checked)",
        )
    report.facts["return_codes"] = {
        "with_codes": len(codes),
        "confirmed": len(confirmed),
        "unconfirmed_by_unit": _unconfirmed_by_unit(entries, facts, codes, confirmed),
    }
    return confirmed


def _unconfirmed_by_unit(
    entries: Entries, facts: ElectionFacts, codes: dict[int, int], confirmed: set[int]
) -> dict[str, int]:
    """Ballots with choice codes never confirmed (listed, not counted), per voter's home unit
    (the leaf of the credential list; observers sum them up the tree as the results do)."""
    counts: dict[str, int] = {}
    for ballot, leaf in codes.items():
        if ballot in confirmed:
            continue
        credential = (entries.records[leaf] or {}).get("credential")
        unit = facts.credentials.get(credential, "?") if isinstance(credential, str) else "?"
        counts[unit] = counts.get(unit, 0) + 1
    return dict(sorted(counts.items()))


def _voters(report: Report, entries: Entries, facts: ElectionFacts, count: int) -> _Voters:
    keys: dict[str, tuple[Point, tuple[Point, ...]]] = {}
    for leaf in entries.of("return-code-keys"):
        for voter in (entries.records[leaf] or {}).get("voters", []):
            try:
                points = tuple(Point.from_hex(k) for k in voter["authority_keys"])
                if len(points) != count:
                    raise InvalidEncoding(f"{len(points)} authority keys for {count} authorities")
                keys[voter["credential"]] = (Point.from_hex(voter["voter_key"]), points)
            except (InvalidEncoding, KeyError, TypeError) as exc:
                report.fail(CHECK, f"a malformed voter in return-code-keys: {exc}", [leaf])
    missing = [c for c in facts.credentials if c not in keys]
    if missing:
        report.fail(CHECK, f"{len(missing)} credentials have no return-code keys")
    lookups = entries.of("return-code-lookup")
    if len(lookups) != 1:
        report.fail(CHECK, f"expected one return-code-lookup record, found {len(lookups)}", lookups)
        return _Voters(keys, None, 0)
    record = entries.records[lookups[0]] or {}
    return _Voters(keys, bytes.fromhex(record["root"]), int(record["size"]))


def _check_codes(
    report: Report,
    entries: Entries,
    facts: ElectionFacts,
    authorities: Sequence[Authority],
    voters: _Voters,
    leaf: int,
    record: dict[str, Any],
) -> bool:
    """One ``return-codes`` record: ballot, partial codes and every authority's answer."""
    credential = record.get("credential")
    index = record.get("ballot")
    ballot_json = record.get("ballot_record")
    if credential not in voters.keys or not isinstance(index, int):
        report.fail(CHECK, "return codes for an unknown credential or ballot", [leaf])
        return False
    hashed = entries.store.casting_hash(index)
    logged = merkle.leaf_hash(canonical_json({"type": "ballot", "ballot": ballot_json}))
    if hashed is None or hashed != logged:
        report.fail(CHECK, f"return codes for leaf {index}, which is not that ballot", [leaf])
        return False
    voter_key, keys = voters.keys[credential]
    try:
        ballot = Ballot.from_json(ballot_json)
        request = rcm.ChoiceCodesRequest(
            ballot=ballot,
            leaf_index=index,
            partial_codes=tuple(rc.PartialCode.from_json(p) for p in record["partial_codes"]),
        )
        unit = facts.credentials.get(credential)
        specs = rc.return_code_questions([QuestionSpec(*q) for q in facts.questions_of(unit or "")])
        election = ElectionContext(
            facts.vote_day, facts.manifest_hash, Point.from_bytes(facts.public_key)
        )
        if len(specs) != len(request.partial_codes):
            raise InvalidProof("not one partial code per single-choice question")
        for spec, code in zip(specs, request.partial_codes, strict=True):
            rc.verify_partial_code(code, ballot, spec, election=election, voter_key=voter_key)
    except (InvalidEncoding, InvalidProof, UnsupportedQuestion, KeyError, TypeError) as exc:
        report.fail(CHECK, f"the partial choice codes do not match the ballot: {exc}", [leaf])
        return False
    return _answers_ok(report, leaf, record.get("answers"), authorities, keys, request)


def _answers_ok(
    report: Report,
    leaf: int,
    answers: Any,
    authorities: Sequence[Authority],
    keys: tuple[Point, ...],
    request: rcm.ChoiceCodesRequest | rcm.ConfirmRequest,
) -> bool:
    if not isinstance(answers, list) or len(answers) != len(authorities):
        report.fail(CHECK, "not one answer per return-code authority", [leaf])
        return False
    ok = True
    for authority, key, answer in zip(authorities, keys, answers, strict=True):
        verify = (
            rcm.verify_choice_answer
            if isinstance(request, rcm.ChoiceCodesRequest)
            else rcm.verify_confirm_answer
        )
        try:
            verify(
                answer,
                request,  # type: ignore[arg-type]
                authority=authority.name,
                authority_key=bytes.fromhex(authority.key),
                verification_key=key,
            )
        except InvalidAuthorityAnswer as exc:
            report.fail(
                CHECK, f"return-code authority {exc.authority} answered wrongly: {exc}", [leaf]
            )
            ok = False
    return ok


def _confirmations(
    report: Report,
    entries: Entries,
    facts: ElectionFacts,
    authorities: Sequence[Authority],
    voters: _Voters,
    codes: dict[int, int],
) -> set[int]:
    confirmed: set[int] = set()
    tries: dict[str, int] = {}
    for leaf in entries.of("confirmation"):
        record = entries.records[leaf] or {}
        credential = str(record.get("credential"))
        tries[credential] = tries.get(credential, 0) + 1
        if tries[credential] > MAX_CONFIRMATIONS:
            report.fail(CHECK, f"more than {MAX_CONFIRMATIONS} confirmation tries", [leaf])
            continue
        index = record.get("ballot")
        if index not in codes or credential not in voters.keys:
            report.fail(CHECK, "a confirmation of a ballot without checked choice codes", [leaf])
            continue
        if _check_confirmation(report, facts, authorities, voters, leaf, record):
            if record.get("confirmed") is True:
                confirmed.add(int(index))  # type: ignore[arg-type]
    return confirmed


def _check_confirmation(
    report: Report,
    facts: ElectionFacts,
    authorities: Sequence[Authority],
    voters: _Voters,
    leaf: int,
    record: dict[str, Any],
) -> bool:
    credential = record["credential"]
    voter_key, keys = voters.keys[credential]
    try:
        pbck = Point.from_hex(record["pbck"])
        proof = SchnorrProof.from_json(record["proof"])
        rc.verify_confirmation(
            proof,
            vote_day_id=facts.vote_day,
            credential=bytes.fromhex(credential),
            voter_key=voter_key,
            pbck=pbck,
        )
    except (InvalidEncoding, InvalidProof, KeyError, ValueError) as exc:
        report.fail(CHECK, f"the confirmation's proof does not verify: {exc}", [leaf])
        return False
    request = rcm.ConfirmRequest(facts.vote_day, bytes.fromhex(credential), pbck, proof)
    if not _answers_ok(report, leaf, record.get("answers"), authorities, keys, request):
        return False
    long_code = rc.combine([Point.from_hex(a["value"]) for a in record["answers"]])
    key = returncode_table.lookup_key(long_code)
    entry = record.get("entry")
    if record.get("confirmed") is not True:
        if entry is not None:
            report.fail(CHECK, "an unconfirmed try carries a lookup entry", [leaf])
        return True
    return _check_entry(report, voters, leaf, entry, key, long_code)


def _check_entry(
    report: Report, voters: _Voters, leaf: int, entry: Any, key: bytes, long_code: Point
) -> bool:
    try:
        if entry["lookup"] != key.hex():
            raise InvalidProof("the entry is not the one the authorities' answers look up")
        if voters.root is None or entry["size"] != voters.size:
            raise InvalidProof("the entry's tree is not the lookup tree committed at opening")
        data = bytes.fromhex(entry["lookup"]) + bytes.fromhex(entry["sealed"])
        merkle.verify_inclusion(
            merkle.leaf_hash(data),
            entry["position"],
            voters.size,
            [bytes.fromhex(h) for h in entry["proof"]],
            voters.root,
        )
        returncode_table.open_entry(long_code, {key: bytes.fromhex(entry["sealed"])})
    except (
        InvalidProof,
        InvalidInclusionProof,
        CodeNotFound,
        KeyError,
        ValueError,
        TypeError,
    ) as exc:
        report.fail(CHECK, f"the confirmation's lookup entry does not hold: {exc}", [leaf])
        return False
    return True
