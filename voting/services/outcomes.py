"""Outcomes of a vote day's questions from their summed figures, by :mod:`voting.rules`.

Pure (no database): :func:`decide_outcomes` takes the manifest and the
per-question results of :mod:`voting.services.results` (each unit's total
figures) and applies, per question, the rule the manifest names:

- ``popular-majority`` / ``absolute-majority``: the jurisdiction's totals, with
  the turnout and approval quorums if set (:func:`voting.rules.decide`);
- ``double-majority``: the people, and the cantons — the units directly under
  the question's jurisdiction, weighted 1 or 1/2 as the manifest says;
- ``counter-proposal``: the three questions of a group (initiative,
  counter-proposal, tie-break) decided together under Art. 139b
  (:func:`voting.rules.decide_counter_proposal`), per canton as above, or the
  jurisdiction as one unit below the national tier;
- ``consultative``: no decision; the leading option(s) are named.

Fractions (cantonal votes, tie-break scores) are shown as decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from voting.rules import CounterProposalOutcome
from voting.rules import CounterProposalUnit
from voting.rules import Outcome
from voting.rules import Quorum
from voting.rules import RulesError
from voting.rules import Threshold
from voting.rules import UnitVotes
from voting.rules import decide
from voting.rules import decide_counter_proposal
from voting.rules import decimal_string
from voting.rules import parse_weight
from voting.services.tally_log import Manifest
from voting.services.tally_log import TallyRefused

YES_NO_RULES = ("popular-majority", "absolute-majority", "double-majority")


class OutcomeUndecidable(TallyRefused):
    code = "outcome_undecidable"


def decide_outcomes(
    manifest: Manifest, results: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The outcome of every question, keyed by question id.

    Raises:
        OutcomeUndecidable: a rule that does not fit its question, or an incomplete group.
    """
    outcomes: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, Mapping[str, Any]]] = {}
    try:
        for q in manifest.questions:
            if q["rule"] == "counter-proposal":
                groups.setdefault(q["group"] or q["id"], {})[q["kind"]] = q
            elif q["rule"] in YES_NO_RULES:
                outcomes[q["id"]] = _yes_no(manifest, q, results[q["id"]])
            else:
                outcomes[q["id"]] = _consultative(results[q["id"]])
        for group, members in groups.items():
            outcomes.update(_counter_group(manifest, group, members, results))
    except RulesError as exc:
        raise OutcomeUndecidable(f"cannot decide: {exc}") from exc
    return outcomes


def _rows(result: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {row["unit"]: row for row in result["units"]}


def _votes(
    row: Mapping[str, Any], options: list[str], first: str, second: str, weight: Fraction
) -> UnitVotes:
    total = row["total"]
    counts = dict(zip(options, total["options"], strict=True))
    if set(counts) != {first, second}:
        raise RulesError("options", f"expected options {first!r} and {second!r}, got {options}")
    return UnitVotes(
        code=row["unit"],
        yes=counts[first],
        no=counts[second],
        blank=total["blank"] or 0,
        invalid=total["invalid"],
        electorate=row["electorate"],
        weight=weight,
    )


def _cantons(manifest: Manifest, root: str) -> list[tuple[str, Fraction]]:
    """The units directly under ``root`` with their weights (the cantons under the nation)."""
    units = manifest.units()
    return [
        (ref, parse_weight(units[ref]["weight"] or "1", f"{ref}.weight"))
        for ref, parent in sorted(manifest.parents.items())
        if parent == root
    ]


def _quorum(question: Mapping[str, Any]) -> Quorum | None:
    turnout, approval = question.get("turnout_quorum"), question.get("approval_quorum")
    if turnout is None and approval is None:
        return None
    return Quorum(
        turnout=None if turnout is None else Threshold.parse(turnout, "turnout_quorum"),
        approval=None if approval is None else Threshold.parse(approval, "approval_quorum"),
    )


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    cantons = outcome.cantons
    return {
        "accepted": outcome.accepted,
        "reason": outcome.reason,
        "yes": outcome.yes,
        "no": outcome.no,
        "blank": outcome.blank,
        "invalid": outcome.invalid,
        "electorate": outcome.electorate,
        "cantons": None
        if cantons is None
        else {"yes": decimal_string(cantons.yes), "no": decimal_string(cantons.no)},
    }


def _units_for(
    manifest: Manifest, question: Mapping[str, Any], result: Mapping[str, Any], rule: str
) -> list[UnitVotes]:
    rows, root = _rows(result), question["jurisdiction"]
    options = list(question["options"])
    first, second = options[0], options[-1]
    if rule == "double-majority":
        return [_votes(rows[ref], options, first, second, w) for ref, w in _cantons(manifest, root)]
    return [_votes(rows[root], options, first, second, Fraction(1))]


def _yes_no(
    manifest: Manifest, question: Mapping[str, Any], result: Mapping[str, Any]
) -> dict[str, Any]:
    if list(question["options"]) != ["yes", "no"]:
        raise RulesError(question["id"], f"{question['rule']} needs the options yes and no")
    units = _units_for(manifest, question, result, question["rule"])
    return _outcome_json(decide(question["rule"], units, _quorum(question)))


def _consultative(result: Mapping[str, Any]) -> dict[str, Any]:
    total = result["units"][0]["total"]
    counts = dict(zip(result["options"], total["options"], strict=True))
    top = max(counts.values(), default=0)
    leading = [option for option, n in counts.items() if n == top and top > 0]
    return {
        "decided": False,
        "leading": leading,
        "reason": "consultative vote: no binding decision; "
        + (
            f"most votes for {', '.join(leading)} ({top})" if leading else "no votes for any option"
        ),
    }


def _counter_group(
    manifest: Manifest,
    group: str,
    members: Mapping[str, Mapping[str, Any]],
    results: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    kinds = ("initiative", "counter-proposal", "tie-break")
    if set(members) != set(kinds):
        raise RulesError(group, f"a counter-proposal group has the questions {kinds}")
    initiative, counter, tiebreak = (members[k] for k in kinds)
    root = initiative["jurisdiction"]
    rule = "double-majority" if manifest.parents.get(root) is None else "popular-majority"
    units_i = _units_for(manifest, initiative, results[initiative["id"]], rule)
    units_c = _units_for(manifest, counter, results[counter["id"]], rule)
    tie_options = list(tiebreak["options"])
    units_t = _units_for(manifest, tiebreak, results[tiebreak["id"]], rule)
    if tie_options != ["initiative", "counter"]:
        raise RulesError(tiebreak["id"], "a tie-break has the options initiative and counter")
    decided = decide_counter_proposal(
        [
            CounterProposalUnit(i, c, t.yes, t.no)
            for i, c, t in zip(units_i, units_c, units_t, strict=True)
        ]
    )
    return {
        initiative["id"]: _member(decided.initiative, decided, "initiative"),
        counter["id"]: _member(decided.counter, decided, "counter"),
        tiebreak["id"]: _tiebreak(decided),
    }


def _member(outcome: Outcome, decided: CounterProposalOutcome, text: str) -> dict[str, Any]:
    return {
        **_outcome_json(outcome),
        "enters_into_force": decided.winner == text,
        "winner": decided.winner,
        "group_reason": decided.reason,
    }


def _tiebreak(decided: CounterProposalOutcome) -> dict[str, Any]:
    tie = decided.tiebreak
    return {
        "preferred": tie.preferred,
        "reason": tie.reason,
        "initiative": tie.initiative,
        "counter": tie.counter,
        "cantons_initiative": decimal_string(tie.cantons_initiative),
        "cantons_counter": decimal_string(tie.cantons_counter),
        "initiative_score": decimal_string(tie.initiative_score),
        "counter_score": decimal_string(tie.counter_score),
        "winner": decided.winner,
        "group_reason": decided.reason,
    }
