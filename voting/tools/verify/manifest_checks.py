"""The manifest and the credential lists: what every ballot is checked against.

docs/spec.md section 6.2: the manifest hash is SHA-256 of the manifest
record's canonical JSON; the open record names it and every ballot proof is
bound to it. A voter's ballot answers the questions of every ancestor-or-self
of the voter's unit, from the nation down, each tier's questions in the
manifest's order (voting.services.votedays.ballot_for_unit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import MutableMapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from crypto.encoding import canonical_json
from crypto.errors import CryptoError
from crypto.group import Point
from crypto.note import VerifierKey
from voting.tools.verify.ceremony_checks import CeremonyOutcome
from voting.tools.verify.report import Report
from voting.tools.verify.structure import Entries

__all__ = ["ElectionFacts", "check_credentials", "check_manifest", "check_schedule"]

REVOTE_POLICIES = ("first-counts", "last-counts")
SpecTuple = tuple[str, int, int, int]
"""(question id, options, min selections, max selections)"""


@dataclass
class ElectionFacts:
    """The manifest's content the other checks need."""

    vote_day: str
    manifest: dict[str, Any]
    manifest_hash: bytes
    public_key: bytes
    revote_policy: str
    parents: dict[str, str | None]
    units: dict[str, dict[str, Any]]
    questions: list[dict[str, Any]]
    unit_questions: dict[str, tuple[SpecTuple, ...]] = field(default_factory=dict)
    credentials: MutableMapping[str, str] = field(default_factory=dict)
    """public key (hex) → unit ref (the streaming verifier keeps it on disk)"""
    credential_units: dict[str, int] = field(default_factory=dict)
    """unit ref → number of credentials"""
    confirmed: set[int] | None = None
    """with return codes: the leaves of the confirmed ballots (only they may count)"""

    def chain(self, unit: str) -> list[str]:
        """The unit and its ancestors, from the top down."""
        out = [unit]
        while (parent := self.parents.get(out[-1])) is not None and len(out) <= len(self.parents):
            out.append(parent)
        return list(reversed(out))

    def questions_of(self, unit: str) -> tuple[SpecTuple, ...]:
        if unit not in self.unit_questions:
            chain = self.chain(unit) if unit in self.parents else []
            self.unit_questions[unit] = tuple(
                (q["id"], len(q["options"]), q["min_selections"], q["max_selections"])
                for tier in chain
                for q in self.questions
                if q["jurisdiction"] == tier
            )
        return self.unit_questions[unit]


def check_manifest(
    report: Report, entries: Entries, ceremony: CeremonyOutcome, log_key: VerifierKey
) -> ElectionFacts | None:
    """Check the manifest against the open record, the ceremony and the log; return its facts."""
    found = entries.of("manifest")
    if not found:
        if "open" in entries.lifecycle:
            report.fail("manifest", "the vote day opened without a manifest")
        report.skip("manifest", "the record has no manifest (the vote day never opened)")
        return None
    if len(found) > 1:
        report.fail("manifest", f"{len(found)} manifests", found)
    index = found[0]
    manifest = entries.records[index] or {}
    try:
        facts = _facts(manifest)
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        report.fail("manifest", f"the manifest is malformed: {exc}", [index])
        return None
    _check_hash(report, entries, index, facts)
    _check_binding(report, entries, index, facts, ceremony, log_key)
    report.facts["vote_day"] = facts.vote_day
    report.facts["manifest_hash"] = facts.manifest_hash.hex()
    report.facts["revote_policy"] = facts.revote_policy
    report.done(
        "manifest",
        f"{len(facts.questions)} questions, {len(facts.units)} units, hash "
        f"{facts.manifest_hash.hex()[:16]}…",
    )
    return facts


def _facts(manifest: dict[str, Any]) -> ElectionFacts:
    units = {u["ref"]: u for u in manifest["jurisdictions"]}
    parents = {ref: u["parent"] for ref, u in units.items()}
    for ref, parent in parents.items():
        if parent is not None and parent not in units:
            raise ValueError(f"unit {ref} has unknown parent {parent}")
    questions = list(manifest["questions"])
    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError("question ids are not unique")
    for q in questions:
        if q["jurisdiction"] not in units:
            raise ValueError(f"question {q['id']} belongs to unknown unit {q['jurisdiction']}")
        if not 0 <= q["min_selections"] <= q["max_selections"] <= len(q["options"]):
            raise ValueError(f"question {q['id']} has impossible selection limits")
    if manifest["revote_policy"] not in REVOTE_POLICIES:
        raise ValueError(f"unknown re-vote policy {manifest['revote_policy']!r}")
    return ElectionFacts(
        vote_day=manifest["vote_day"],
        manifest=manifest,
        manifest_hash=hashlib.sha256(canonical_json(manifest)).digest(),
        public_key=Point.from_hex(manifest["election_key"]).encoded,
        revote_policy=manifest["revote_policy"],
        parents=parents,
        units=units,
        questions=questions,
    )


def _check_hash(report: Report, entries: Entries, index: int, facts: ElectionFacts) -> None:
    opened = entries.lifecycle.get("open")
    if opened is None:
        report.fail("manifest", "a manifest but no open record", [index])
        return
    named = (entries.records[opened] or {}).get("manifest_hash")
    if named != facts.manifest_hash.hex():
        report.fail(
            "manifest",
            f"the open record names manifest hash {named}, the manifest hashes to "
            f"{facts.manifest_hash.hex()}",
            [index, opened],
        )


def _check_binding(
    report: Report,
    entries: Entries,
    index: int,
    facts: ElectionFacts,
    ceremony: CeremonyOutcome,
    log_key: VerifierKey,
) -> None:
    manifest = facts.manifest
    first = entries.records[0] or {}
    if facts.vote_day != first.get("vote_day"):
        report.fail("manifest", f"the manifest is for vote day {facts.vote_day!r}", [index, 0])
    if manifest.get("threshold") != first.get("threshold") or manifest.get("trustees") != first.get(
        "trustees"
    ):
        report.fail("manifest", "the manifest's trustees or threshold differ from leaf 0", [index])
    if ceremony.key is not None and ceremony.key.public_key.encoded != facts.public_key:
        report.fail("manifest", "the manifest's election key is not the logged one", [index])
    log = manifest.get("log") or {}
    if log.get("key") != str(log_key) or log.get("origin") != log_key.name:
        report.fail(
            "manifest",
            f"the manifest names log key {log.get('key')}, the record's key is {log_key}",
            [index],
        )


def check_schedule(report: Report, entries: Entries, facts: ElectionFacts) -> None:
    """The logged opening and closing times against the manifest's ``schedule``.

    The server takes these times from the database's clock and refuses to
    open or close before the scheduled times (docs/lifecycle.md); a record
    whose open or close record says otherwise was made by a server that
    opened or closed early (or whose log was rewritten).
    """
    schedule = facts.manifest.get("schedule")
    if schedule is None:
        report.done("schedule", "the manifest has no schedule (opened and closed by hand)")
        return
    if not isinstance(schedule, dict) or set(schedule) != {"opens_at", "closes_at"}:
        report.fail("schedule", "the manifest's schedule is malformed", entries.of("manifest"))
        return
    times: dict[str, dt.datetime] = {}
    for kind, key in (("open", "opens_at"), ("close", "closes_at")):
        index = entries.lifecycle.get(kind)
        scheduled = _time(schedule[key]) if schedule[key] is not None else None
        if schedule[key] is not None and scheduled is None:
            report.fail("schedule", f"the manifest's {key} is not a time: {schedule[key]!r}")
            continue
        if index is None:
            continue
        at = _time((entries.records[index] or {}).get("at"))
        if at is None:
            report.fail("schedule", f"the {kind} record's time is missing or malformed", [index])
            continue
        times[kind] = at
        if scheduled is not None and at < scheduled:
            report.fail(
                "schedule",
                f"the vote day {'opened' if kind == 'open' else 'closed'} at {at.isoformat()}, "
                f"{(scheduled - at).total_seconds():.0f} s before its scheduled time "
                f"{scheduled.isoformat()}",
                [index],
            )
    if "open" in times and "close" in times and times["close"] < times["open"]:
        report.fail(
            "schedule",
            "the close record's time is before the open record's",
            [entries.lifecycle["open"], entries.lifecycle["close"]],
        )
    opened, closed = schedule["opens_at"], schedule["closes_at"]
    report.done("schedule", f"scheduled {opened or 'by hand'} to {closed or 'by hand'}")


def _time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time with its offset, or None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def check_credentials(report: Report, entries: Entries, facts: ElectionFacts) -> None:
    """Each unit's lists: parts 1..n complete, keys sorted, every key once in the whole record."""
    parts: dict[str, dict[int, int]] = {}
    for index in entries.of("credentials"):
        record = entries.records[index] or {}
        try:
            unit, part, total, keys = (
                record["unit"],
                record["part"],
                record["parts"],
                record["keys"],
            )
            _check_keys(keys)
        except (KeyError, TypeError, ValueError) as exc:
            report.fail("credentials", f"malformed credentials record: {exc}", [index])
            continue
        if unit not in facts.units:
            report.fail("credentials", f"credentials for {unit}, which the manifest lacks", [index])
        seen = parts.setdefault(unit, {})
        if part in seen or not 1 <= part <= total:
            report.fail(
                "credentials",
                f"{unit}: part {part} of {total} is repeated or out of range",
                [index],
            )
        seen[part] = total
        for key in keys:
            if key in facts.credentials:
                report.fail("credentials", f"credential {key[:16]}… is listed twice", [index])
            facts.credentials[key] = unit
        facts.credential_units[unit] = facts.credential_units.get(unit, 0) + len(keys)
    for unit, seen in parts.items():
        totals = set(seen.values())
        if len(totals) != 1 or sorted(seen) != list(range(1, max(totals) + 1)):
            report.fail("credentials", f"{unit}: the credential list's parts are incomplete")
    report.facts["credentials"] = len(facts.credentials)
    report.done(
        "credentials",
        f"{len(facts.credentials)} credentials in {len(facts.credential_units)} units",
    )


def _check_keys(keys: Any) -> None:
    if not isinstance(keys, list) or keys != sorted(keys):
        raise ValueError("keys must be a sorted list")
    for key in keys:
        if not isinstance(key, str) or len(key) != 64 or key != key.lower():
            raise ValueError("each key is 64 lowercase hex digits")
        bytes.fromhex(key)
