"""The published results, recomputed from the logged counts (docs/record.md, record 20).

Each unit's own figures are its ``electronic-counts`` (ballots cast =
ballots; blank = ballots − Σ options on a single-choice question, unknowable
on a multiple-choice one; invalid 0) and its ``channel-counts`` in force.
Every question's figures are summed up its jurisdiction's subtree per channel
with :func:`voting.rules.aggregate`, turnout is 100 · ballots cast /
electorate as a decimal string, and the outcome is recomputed
(:mod:`voting.tools.verify.outcomes`). The ``result`` records must hold exactly
these figures and outcomes; only the outcomes' explanatory ``reason`` texts
are not compared.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from voting.rules import Counts
from voting.rules import RulesError
from voting.rules import aggregate
from voting.rules import decimal_string
from voting.tools.verify.channel_checks import check_channel_counts
from voting.tools.verify.manifest_checks import ElectionFacts
from voting.tools.verify.outcomes import outcomes
from voting.tools.verify.report import Report
from voting.tools.verify.structure import Entries

__all__ = ["check_channels_and_results"]

Vector = list[int]
"""options' counts, then blank, invalid, ballots cast"""
TEXT_FIELDS = frozenset({"reason", "group_reason"})


def check_channels_and_results(report: Report, entries: Entries, facts: ElectionFacts) -> None:
    """Check the channel counts, then recompute every result and outcome and compare."""
    in_force = check_channel_counts(report, entries, facts)
    if not entries.of("result"):
        if "published" in entries.lifecycle:
            report.fail("results", "the vote day was published without results")
        report.skip("results", "no results published yet")
        return
    own = _own_counts(entries, facts, in_force)
    try:
        figures = {q["id"]: _question_rows(facts, q, own[q["id"]]) for q in facts.questions}
        decided = outcomes(facts, figures)
    except (RulesError, KeyError, TypeError, ValueError) as exc:
        report.fail("results", f"the results cannot be recomputed from the logged counts: {exc}")
        return
    _compare(report, entries, facts, figures, decided)


def _own_counts(
    entries: Entries,
    facts: ElectionFacts,
    in_force: dict[tuple[str, str], tuple[int, dict[str, Any]]],
) -> dict[str, dict[str, dict[str, Vector]]]:
    """question → unit → channel → vector, from the logged counts."""
    own: dict[str, dict[str, dict[str, Vector]]] = {q["id"]: {} for q in facts.questions}
    single = {q["id"]: q["max_selections"] == 1 for q in facts.questions}
    for index in entries.of("electronic-counts"):
        record = entries.records[index] or {}
        ballots = record.get("ballots", 0)
        for key, options in (record.get("questions") or {}).items():
            if key in own:
                blank = ballots - sum(options) if single[key] else 0
                own[key].setdefault(record["unit"], {})["electronic"] = [
                    *options,
                    blank,
                    0,
                    ballots,
                ]
    for _, record in in_force.values():
        for key, c in record["questions"].items():
            vector = [*c["options"], c["blank"], c["invalid"], record["ballots_cast"]]
            own[key].setdefault(record["unit"], {})[record["channel"]] = vector
    return own


def _question_rows(
    facts: ElectionFacts, q: dict[str, Any], own: dict[str, dict[str, Vector]]
) -> list[dict[str, Any]]:
    root = q["jurisdiction"]
    parents = {
        u: (None if u == root else p) for u, p in facts.parents.items() if root in facts.chain(u)
    }
    electorate = {
        u: facts.units[u]["electorate"] for u in parents if facts.units[u]["electorate"] is not None
    }
    width = len(q["options"])
    sums = []
    for position in range(width + 3):
        per_unit = {
            unit: {ch: Counts(yes=vector[position]) for ch, vector in by_channel.items()}
            for unit, by_channel in own.items()
            if unit in parents
        }
        sums.append(aggregate(parents, electorate, per_unit))
    multiple = q["max_selections"] != 1
    rows = []
    for unit in sorted(parents, key=lambda u: (len(facts.chain(u)), u)):
        channels = {
            ch: _figures(
                [s[unit].channels[ch].yes for s in sums],
                width,
                not (multiple and ch == "electronic"),
            )
            for ch in sums[-1][unit].channels
        }
        total = _figures(
            [s[unit].total.yes for s in sums], width, not (multiple and "electronic" in channels)
        )
        size = sums[-1][unit].electorate
        turnout = None if size == 0 else decimal_string(Fraction(total["ballots_cast"] * 100, size))
        rows.append(
            {
                "unit": unit,
                "electorate": size,
                "turnout_percent": turnout,
                "total": total,
                "channels": channels,
            }
        )
    return rows


def _figures(vector: Vector, width: int, blank_known: bool) -> dict[str, Any]:
    return {
        "ballots_cast": vector[width + 2],
        "options": vector[:width],
        "blank": vector[width] if blank_known else None,
        "invalid": vector[width + 1],
    }


def _compare(
    report: Report,
    entries: Entries,
    facts: ElectionFacts,
    figures: dict[str, list[dict[str, Any]]],
    decided: dict[str, Any],
) -> None:
    logged: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index in entries.of("result"):
        record = entries.records[index] or {}
        logged.setdefault(str(record.get("question")), []).append((index, record))
    for q in facts.questions:
        parts = logged.pop(q["id"], [])
        leaves = [i for i, _ in parts]
        if not parts:
            report.fail("results", f"no result for question {q['id']}")
            continue
        problem = _parts_problem(facts, q, [r for _, r in parts])
        if problem:
            report.fail("results", f"question {q['id']}: {problem}", leaves)
            continue
        units = [u for _, r in parts for u in r["units"]]
        if units != figures[q["id"]]:
            where = _first_difference(units, figures[q["id"]])
            report.fail(
                "results",
                f"question {q['id']}: the figures of {where} differ from the counts",
                leaves,
            )
        if _strip(parts[0][1].get("outcome")) != _strip(decided[q["id"]]):
            report.fail(
                "results",
                f"question {q['id']}: the outcome is not what the rule {q['rule']!r} gives: logged "
                f"{_summary(parts[0][1].get('outcome'))}, recomputed {_summary(decided[q['id']])}",
                [leaves[0]],
            )
    for key, parts in logged.items():
        report.fail(
            "results", f"a result for {key!r}, which is not a question", [i for i, _ in parts]
        )
    report.done(
        "results",
        f"{len(facts.questions)} questions: figures at every tier and outcomes recomputed",
    )
    report.facts["outcomes"] = {key: _summary(value) for key, value in decided.items()}


def _parts_problem(
    facts: ElectionFacts, q: dict[str, Any], parts: list[dict[str, Any]]
) -> str | None:
    for number, record in enumerate(parts, start=1):
        head = (
            record.get("vote_day"),
            record.get("jurisdiction"),
            record.get("kind"),
            record.get("rule"),
        )
        if head != (facts.vote_day, q["jurisdiction"], q["kind"], q["rule"]):
            return "the record's vote day, jurisdiction, kind or rule is not the manifest's"
        if record.get("options") != q["options"]:
            return "the record's options are not the manifest's"
        if (record.get("part"), record.get("parts")) != (number, len(parts)):
            return "the result's parts are incomplete or out of order"
        if ("outcome" in record) != (number == 1):
            return "only part 1 carries the outcome"
    return None


def _first_difference(logged: list[dict[str, Any]], computed: list[dict[str, Any]]) -> str:
    for a, b in zip(logged, computed, strict=False):
        if a != b:
            return str(b.get("unit", a.get("unit")))
    return "the list of units"


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in TEXT_FIELDS}
    return value


def _summary(outcome: Any) -> str:
    """The outcome as a person reads it: "accepted: 62.5 % yes (yes 5, no 3, blank 1,
    invalid 0); cantons 2 yes to 1.5 no" (percentages of the valid votes, as the BFS counts)."""
    if not isinstance(outcome, dict):
        return "nothing"
    if "accepted" in outcome:
        yes, no = int(outcome.get("yes", 0)), int(outcome.get("no", 0))
        share = f"{100 * yes / (yes + no):.1f} % yes" if yes + no else "no valid votes"
        line = (
            f"{'accepted' if outcome['accepted'] else 'rejected'}: {share} (yes {yes}, no {no}, "
            f"blank {outcome.get('blank', 0)}, invalid {outcome.get('invalid', 0)})"
        )
        cantons = outcome.get("cantons")
        return line + (f"; cantons {cantons['yes']} yes to {cantons['no']} no" if cantons else "")
    if "preferred" in outcome:
        names = {"initiative": "the initiative", "counter": "the counter-proposal"}
        preferred = names.get(str(outcome["preferred"]), "neither")
        return (
            f"tie-break: {preferred} preferred (initiative {outcome.get('initiative', 0)}, "
            f"counter-proposal {outcome.get('counter', 0)})"
        )
    if "leading" in outcome:
        leading = ", ".join(str(o) for o in outcome["leading"])
        return f"consultative: most votes for {leading}" if leading else "consultative: no votes"
    return "?"
