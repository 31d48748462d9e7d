"""The shape of the log: canonical entries of known types, and the lifecycle in order.

docs/record.md lists the record types. The lifecycle records carry a
``status`` and come once each, in this order (lifecycle.py)::

    key-ceremony → election-key (credentials) → open → close (closed)
                 → tallied → published

The trustee ceremony's records come before the election key, the credential
lists and the manifest between the election key and the opening, ballots and
audits between the opening and the close record, and the tally after it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from crypto.encoding import canonical_json
from crypto.errors import InvalidEncoding
from crypto.merkle import leaf_hash
from voting.tools.verify.report import Report
from voting.tools.verify.store import Store

__all__ = [
    "LIFECYCLE",
    "RECORD_KEYS",
    "RECORD_TYPES",
    "Entries",
    "check_sequence",
    "finish_entries",
    "index_entry",
    "parse_entries",
]

LIFECYCLE = (
    ("key-ceremony", "key-ceremony"),
    ("election-key", "credentials"),
    ("open", "open"),
    ("close", "closed"),
    ("tallied", "tallied"),
    ("published", "published"),
)
"""(record type, status) of the lifecycle records, in order."""

CEREMONY_TYPES = frozenset(
    {"trustee-commitment", "trustee-shares", "trustee-complaint", "trustee-reveal", "trustee-ready"}
)
OPENING_TYPES = frozenset({"credentials", "manifest", "return-code-keys", "return-code-lookup"})
CASTING_TYPES = frozenset({"ballot", "spoiled"})
RETURN_CODE_TYPES = frozenset({"return-codes", "confirmation"})
"""The authorities' answers while the vote day is open (docs/return-codes.md)."""
TALLY_TYPES = frozenset(
    {
        "encrypted-totals",
        "decryption-shares",
        "electronic-counts",
        "channel-counts",
        "result",
    }
)
ANYTIME_TYPES = frozenset({"clerk-key"})
WITNESS_TYPES = frozenset({"witness", "cosigner"})
"""An administrator's approval of a BLS witness or listing of a C2SP witness
(docs/witnesses.md): any time after leaf 0."""
RECORD_TYPES = (
    frozenset(t for t, _ in LIFECYCLE)
    | CEREMONY_TYPES
    | OPENING_TYPES
    | CASTING_TYPES
    | RETURN_CODE_TYPES
    | TALLY_TYPES
    | ANYTIME_TYPES
    | WITNESS_TYPES
)
_LIFECYCLE_KEYS = frozenset({"type", "vote_day", "status", "at"})
RECORD_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "key-ceremony": (_LIFECYCLE_KEYS | {"trustees", "threshold"}, frozenset()),
    "trustee-commitment": (frozenset({"type", "commitment"}), frozenset()),
    "trustee-shares": (frozenset({"type", "index", "shares"}), frozenset()),
    "trustee-complaint": (frozenset({"type", "complaint"}), frozenset()),
    "trustee-reveal": (frozenset({"type", "revealed"}), frozenset()),
    "trustee-ready": (frozenset({"type", "index", "ready"}), frozenset()),
    "election-key": (
        _LIFECYCLE_KEYS | {"public_key", "verification_keys", "disqualified"},
        frozenset(),
    ),
    "credentials": (frozenset({"type", "unit", "part", "parts", "keys"}), frozenset()),
    "manifest": (
        frozenset(
            {
                "type",
                "version",
                "vote_day",
                "date",
                "titles",
                "revote_policy",
                "election_key",
                "threshold",
                "trustees",
                "log",
                "jurisdictions",
                "questions",
            }
        ),
        frozenset({"min_electronic_ballots", "schedule", "return_codes"}),
    ),
    "return-code-keys": (frozenset({"type", "part", "parts", "voters"}), frozenset()),
    "return-code-lookup": (frozenset({"type", "vote_day", "size", "root"}), frozenset()),
    "return-codes": (
        frozenset(
            {"type", "vote_day", "ballot", "credential", "ballot_record", "partial_codes"}
            | {"answers"}
        ),
        frozenset(),
    ),
    "confirmation": (
        frozenset(
            {"type", "vote_day", "ballot", "credential", "pbck", "proof", "answers", "confirmed"}
        ),
        frozenset({"entry"}),
    ),
    "open": (_LIFECYCLE_KEYS | {"manifest_hash"}, frozenset()),
    "ballot": (frozenset({"type", "ballot"}), frozenset()),
    "spoiled": (frozenset({"type", "ballot", "secrets"}), frozenset()),
    "close": (_LIFECYCLE_KEYS, frozenset()),
    "encrypted-totals": (frozenset({"type", "unit", "units", "ballots", "questions"}), frozenset()),
    "decryption-shares": (frozenset({"type", "unit", "share", "signature"}), frozenset()),
    "electronic-counts": (
        frozenset({"type", "unit", "units", "ballots", "questions", "shares"}),
        frozenset(),
    ),
    "clerk-key": (frozenset({"type", "clerk", "unit", "public_key"}), frozenset()),
    "channel-counts": (
        frozenset(
            {
                "type",
                "vote_day",
                "unit",
                "channel",
                "clerk",
                "ballots_cast",
                "questions",
                "replaces",
                "signature",
            }
        ),
        frozenset(),
    ),
    "tallied": (_LIFECYCLE_KEYS, frozenset()),
    "result": (
        frozenset(
            {"type", "vote_day", "question", "jurisdiction", "kind", "rule", "options"}
            | {"part", "parts", "units"}
        ),
        frozenset({"outcome"}),
    ),
    "published": (_LIFECYCLE_KEYS, frozenset()),
    "witness": (
        frozenset(
            {"type", "log", "position", "name", "public_key", "proof_of_possession"}
            | {"cosigner_key", "approved_by"}
        ),
        frozenset(),
    ),
    "cosigner": (frozenset({"type", "log", "name", "vkey", "url", "approved_by"}), frozenset()),
}
"""The top-level keys of each record type: (required, optional). docs/record.md and the
JSON Schemas in docs/schemas/ give the whole shape; a record with another key carries
something no check reads (a server could publish anything there under the witnesses'
cosignature), so it fails the ``entries`` check."""
DEFERRED = CASTING_TYPES
"""Types whose canonical form the ballot workers check (they parse them anyway)."""


class Records:
    """The parsed entries by leaf, read back from the store on demand (a read-only sequence).

    A ``ballot`` or ``spoiled`` leaf reads as ``{"type": kind}`` only: the
    ballot workers parse those; an entry that did not parse reads as None.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def __getitem__(self, leaf: int) -> dict[str, Any] | None:
        if not 0 <= leaf < self.store.size:
            raise IndexError(leaf)
        return self.store.record(leaf)

    def __len__(self) -> int:
        return self.store.size

    def __bool__(self) -> bool:
        return self.store.size > 0


@dataclass
class Entries:
    """The parsed entries (kept in the store) and the lifecycle records' leaves."""

    store: Store
    lifecycle: dict[str, int] = field(default_factory=dict)
    """leaf index of each lifecycle record type that is present"""

    @property
    def records(self) -> Records:
        return Records(self.store)

    def of(self, kind: str) -> list[int]:
        return self.store.of(kind)

    def first(self, kind: str) -> int | None:
        indexes = self.of(kind)
        return indexes[0] if indexes else None


def parse_entries(report: Report, raw: Iterable[bytes], store: Store | None = None) -> Entries:
    """JSON-decode every entry; check the non-ballot ones are canonical with a known type."""
    entries = Entries(store or Store())
    for index, data in enumerate(raw):
        index_entry(report, entries.store, index, data)
    finish_entries(report, entries)
    return entries


def index_entry(report: Report, store: Store, index: int, data: bytes) -> None:
    """Parse one entry into the store (the streaming verifier's first pass, entry by entry)."""
    record = _decode(report, index, data)
    store.size = index + 1
    if record is None:
        store.add_record(index, None, None)
        return
    kind = record["type"]
    if kind not in RECORD_TYPES:
        report.fail("entries", f"entry of unknown type {kind!r}", [index])
    elif kind not in DEFERRED:
        _check_keys(report, index, kind, record)
    if kind in CASTING_TYPES:
        ballot = record.get("ballot")
        credential = ballot.get("credential") if isinstance(ballot, dict) else None
        credential = credential if isinstance(credential, str) else None
        store.add_casting(index, kind, credential, leaf_hash(data))
    else:
        store.add_record(index, kind, data)


def finish_entries(report: Report, entries: Entries) -> None:
    report.done("entries", f"{entries.store.size} entries")


def _decode(report: Report, index: int, data: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        report.fail("entries", "entry is not JSON", [index])
        return None
    if not isinstance(record, dict) or not isinstance(record.get("type"), str):
        report.fail("entries", "entry is not a JSON object with a string 'type'", [index])
        return None
    if record["type"] not in DEFERRED:
        check_canonical(report, index, record, data)
    return record


def _check_keys(report: Report, index: int, kind: str, record: dict[str, Any]) -> None:
    """Exactly the record type's keys (ballots and audits: the ballot workers check them)."""
    required, optional = RECORD_KEYS[kind]
    extra = sorted(set(record) - required - optional)
    missing = sorted(required - set(record))
    if extra or missing:
        problems = ([f"unknown keys {extra}"] if extra else []) + (
            [f"missing keys {missing}"] if missing else []
        )
        report.fail(
            "entries", f"a {kind} record with {' and '.join(problems)} (docs/record.md)", [index]
        )


def check_canonical(report: Report, index: int, record: Any, data: bytes) -> None:
    try:
        canonical = canonical_json(record)
    except InvalidEncoding as exc:
        report.fail("entries", f"entry cannot be canonical JSON: {exc}", [index])
        return
    if canonical != data:
        report.fail("entries", "entry is not in canonical JSON form (RFC 8785)", [index])


def check_sequence(report: Report, entries: Entries, vote_day: str | None) -> None:
    """Lifecycle records once each, in order, for one vote day; other records in their phase."""
    records = entries.records
    if not records or records[0] is None or records[0].get("type") != "key-ceremony":
        report.fail("sequence", "leaf 0 must be the key-ceremony record", [0] if records else [])
    previous = -1
    for kind, status in LIFECYCLE:
        found = entries.of(kind)
        if len(found) > 1:
            report.fail("sequence", f"the {kind} record appears {len(found)} times", found)
        if not found:
            continue
        index = found[0]
        entries.lifecycle[kind] = index
        record = records[index] or {}
        if record.get("status") != status or (vote_day and record.get("vote_day") != vote_day):
            report.fail(
                "sequence",
                f"the {kind} record must have status {status!r} and vote day {vote_day!r}",
                [index],
            )
        if index < previous:
            report.fail("sequence", f"the {kind} record comes before an earlier step", [index])
        if not _utc_time(record.get("at")):
            report.fail(
                "sequence",
                f"the {kind} record's time {record.get('at')!r} is not ISO 8601 in UTC",
                [index],
            )
        previous = max(previous, index)
    _check_missing_steps(report, entries)
    _check_phases(report, entries)
    reached = [kind for kind, _ in LIFECYCLE if kind in entries.lifecycle]
    report.done("sequence", f"lifecycle: {' → '.join(reached) or 'none'}")


def _utc_time(value: Any) -> bool:
    """An ISO 8601 date and time with the UTC offset (docs/record.md: ``at``)."""
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.utcoffset() == dt.timedelta(0)


def _check_missing_steps(report: Report, entries: Entries) -> None:
    present = [kind in entries.lifecycle for kind, _ in LIFECYCLE]
    for position, (kind, _) in enumerate(LIFECYCLE):
        if not present[position] and any(present[position + 1 :]):
            report.fail("sequence", f"the {kind} step is missing but later steps are present")


def _check_phases(report: Report, entries: Entries) -> None:
    size = len(entries.records)
    key = entries.lifecycle.get("election-key", size)
    opened = entries.lifecycle.get("open", size)
    closed = entries.lifecycle.get("close", size)
    tallied = entries.lifecycle.get("tallied", size)
    published = entries.lifecycle.get("published", size)
    phases = {
        "ceremony": (CEREMONY_TYPES, 0, key),
        "opening": (OPENING_TYPES, key, opened),
        "tally": (TALLY_TYPES - {"result", "channel-counts"}, closed, tallied),
        "counting": (frozenset({"channel-counts"}), closed, published),
        "results": (frozenset({"result"}), tallied, published),
        "voting": (RETURN_CODE_TYPES, opened, closed),
        "any": (ANYTIME_TYPES, 0, published),
        "witnesses": (WITNESS_TYPES, 0, size),
    }
    for name, (kinds, lo, hi) in phases.items():
        for kind in kinds:
            outside = [i for i in entries.of(kind) if not lo < i < hi]
            if outside:
                report.fail("sequence", f"{kind} records outside the {name} phase", outside)
    for kind in CASTING_TYPES:
        early, late = entries.store.casting_outside(kind, opened, closed)
        if early:
            report.fail("sequence", f"{kind} records before the vote day opened", early)
        if late:
            report.fail("after-close", f"{len(late)} {kind} records after the close record", late)
    if "after-close" not in report.checks:
        report.done("after-close", "no ballot after the close record")
