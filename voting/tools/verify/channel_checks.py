"""Other channels: clerks' keys, their signatures on counts, consistency, corrections.

docs/record.md, records 17 and 18. A ``channel-counts`` record is checked
against the latest ``clerk-key`` of the same clerk and unit before it
(Ed25519 over lp("urna/v1/channel-counts") ‖ lp(JCS(record without
signature)), :mod:`crypto.clerk_signature`), and only keys logged before the
``open`` record count (opening freezes them: a key logged later may be the
server's own); its counts must be consistent
(the unit's ballot questions, options + blank + invalid = ballots cast for a
single-choice question, no more ballots than electors); and a correction
must replace exactly the record in force for its unit and channel. The
records in force feed the results.
"""

from __future__ import annotations

from typing import Any

from crypto.clerk_signature import check_clerk_key
from crypto.clerk_signature import verify_counts
from crypto.errors import CryptoError
from voting.tools.verify.manifest_checks import ElectionFacts
from voting.tools.verify.report import Report
from voting.tools.verify.structure import Entries

__all__ = ["check_channel_counts", "electorate_of"]

CHANNELS = ("postal", "polling-station")
RECORD_KEYS = frozenset(
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
)


def electorate_of(facts: ElectionFacts, unit: str) -> int:
    """A unit's electorate: its own, or the sum of its subtree's leaves."""
    return sum(
        u["electorate"]
        for ref, u in facts.units.items()
        if u["electorate"] is not None and unit in facts.chain(ref)
    )


def check_channel_counts(
    report: Report, entries: Entries, facts: ElectionFacts
) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    """Check every clerk key and counts record; return (unit, channel) → the record in force."""
    events = sorted(entries.of("clerk-key") + entries.of("channel-counts"))
    opened = entries.lifecycle.get("open")
    keys: dict[tuple[str, str], bytes] = {}
    in_force: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for index in events:
        record = entries.records[index] or {}
        if record["type"] == "clerk-key":
            if opened is not None and index > opened:
                report.fail(
                    "channel-counts",
                    f"clerk {record.get('clerk')!r}: a key logged after the vote day opened "
                    f"(entry {opened}); clerks' keys are fixed before opening, so counts it "
                    "signs are not accepted",
                    [index],
                )
                continue
            _clerk_key(report, index, record, facts, keys)
        else:
            _counts(report, index, record, facts, keys, in_force)
    counted = len(entries.of("channel-counts"))
    if events:
        report.done(
            "channel-counts",
            f"{len(entries.of('clerk-key'))} clerk keys, {counted} signed counts, "
            f"{len(in_force)} in force",
        )
    else:
        report.done("channel-counts", "no postal or polling-station counts")
    return in_force


def _clerk_key(
    report: Report,
    index: int,
    record: dict[str, Any],
    facts: ElectionFacts,
    keys: dict[tuple[str, str], bytes],
) -> None:
    if set(record) != {"type", "clerk", "unit", "public_key"}:
        report.fail("channel-counts", "a clerk-key record has the wrong fields", [index])
        return
    try:
        key = check_clerk_key(record["public_key"])
    except CryptoError as exc:
        report.fail("channel-counts", f"clerk {record['clerk']!r}: unusable key: {exc}", [index])
        return
    if record["unit"] not in facts.units:
        report.fail("channel-counts", f"a clerk key for {record['unit']}, not in the tree", [index])
    keys[(record["clerk"], record["unit"])] = key


def _counts(
    report: Report,
    index: int,
    record: dict[str, Any],
    facts: ElectionFacts,
    keys: dict[tuple[str, str], bytes],
    in_force: dict[tuple[str, str], tuple[int, dict[str, Any]]],
) -> None:
    if set(record) != RECORD_KEYS or record.get("channel") not in CHANNELS:
        report.fail("channel-counts", "a channel-counts record has the wrong fields", [index])
        return
    who, unit, channel = record["clerk"], record["unit"], record["channel"]
    key = keys.get((who, unit))
    if key is None:
        report.fail(
            "channel-counts",
            f"clerk {who!r} registered no key for {unit} before the vote day opened",
            [index],
        )
    else:
        try:
            verify_counts(record, key)
        except CryptoError as exc:
            report.fail(
                "channel-counts", f"{channel} counts of {unit} by clerk {who!r}: {exc}", [index]
            )
    if record["vote_day"] != facts.vote_day:
        report.fail("channel-counts", f"counts signed for vote day {record['vote_day']!r}", [index])
    problem = consistency_problem(facts, record)
    if problem:
        report.fail("channel-counts", f"{channel} counts of {unit}: {problem}", [index])
    current = in_force.get((unit, channel))
    expected = None if current is None else current[0]
    if record["replaces"] != expected:
        report.fail(
            "channel-counts",
            f"{channel} counts of {unit} replace entry {record['replaces']}, but the counts "
            f"in force are entry {expected}",
            [index],
        )
    in_force[(unit, channel)] = (index, record)


def consistency_problem(facts: ElectionFacts, record: dict[str, Any]) -> str | None:
    """Rules 1 to 4 of docs/record.md, "channel-counts"; None if the counts are consistent."""
    unit, cast = record["unit"], record["ballots_cast"]
    if unit not in facts.units:
        return "the unit is not in the vote day's tree"
    if not _count(cast) or cast > electorate_of(facts, unit):
        return f"{cast} ballots cast is not a count within the electorate"
    chain = set(facts.chain(unit))
    expected = {q["id"]: q for q in facts.questions if q["jurisdiction"] in chain}
    given = record["questions"]
    if not isinstance(given, dict) or set(given) != set(expected):
        return "the counts do not answer exactly the questions of the unit's ballot"
    for key, counts in given.items():
        problem = _question_problem(expected[key], counts, cast)
        if problem:
            return f"{key}: {problem}"
    return None


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _question_problem(question: dict[str, Any], counts: Any, cast: int) -> str | None:
    if not isinstance(counts, dict) or set(counts) != {"options", "blank", "invalid"}:
        return "malformed counts"
    options, blank, invalid = counts["options"], counts["blank"], counts["invalid"]
    if not isinstance(options, list) or len(options) != len(question["options"]):
        return "one count per option is needed"
    if not all(_count(v) for v in [*options, blank, invalid]):
        return "every count is a non-negative integer"
    if question["max_selections"] == 1:
        if sum(options) + blank + invalid != cast:
            return f"options + blank + invalid = {sum(options) + blank + invalid}, not {cast}"
        return None
    answered = cast - blank - invalid
    if (
        answered < 0
        or max(options) > answered
        or sum(options) > question["max_selections"] * answered
    ):
        return "the option counts do not fit the ballots cast"
    return None
