"""Every question's outcome, recomputed with the pure rules of :mod:`voting.rules`.

An independent implementation of docs/record.md, record 20 ("outcome"):
yes/no questions by their rule (popular or absolute majority, or the double
majority of people and cantons, the cantons being the units directly under
the question's jurisdiction, weighted by their manifest ``weight``) with the
quorums; the three questions of an initiative with a direct counter-proposal
decided together (Federal Constitution Art. 139b); a consultation names its
leading options. Fractions are shown with :func:`voting.rules.decimal_string`.
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
from voting.tools.verify.manifest_checks import ElectionFacts

__all__ = ["outcomes"]

YES_NO = ("popular-majority", "absolute-majority", "double-majority")
GROUP_KINDS = ("initiative", "counter-proposal", "tie-break")


def outcomes(facts: ElectionFacts, figures: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Question id → outcome JSON, from each question's unit rows (root first).

    Raises:
        RulesError: a rule that does not fit its question, or an incomplete group.
    """
    out: dict[str, Any] = {}
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for q in facts.questions:
        rows = {row["unit"]: row for row in figures[q["id"]]}
        if q["rule"] == "counter-proposal":
            groups.setdefault(q["group"] or q["id"], {})[q["kind"]] = q
        elif q["rule"] in YES_NO:
            if list(q["options"]) != ["yes", "no"]:
                raise RulesError(q["id"], "a yes/no rule needs the options yes and no")
            out[q["id"]] = _json(decide(q["rule"], _units(facts, q, rows, q["rule"]), _quorum(q)))
        else:
            out[q["id"]] = _consultative(q, rows[q["jurisdiction"]])
    for name, members in groups.items():
        if set(members) != set(GROUP_KINDS):
            raise RulesError(name, f"a counter-proposal group has the questions {GROUP_KINDS}")
        out.update(_group(facts, members, figures))
    return out


def _cantons(facts: ElectionFacts, root: str) -> list[tuple[str, Fraction]]:
    return [
        (ref, parse_weight(facts.units[ref]["weight"] or "1", f"{ref}.weight"))
        for ref, parent in sorted(facts.parents.items())
        if parent == root
    ]


def _votes(row: Mapping[str, Any], options: list[str], weight: Fraction) -> UnitVotes:
    total = row["total"]
    return UnitVotes(
        code=row["unit"],
        yes=total["options"][0],
        no=total["options"][-1],
        blank=total["blank"] or 0,
        invalid=total["invalid"],
        electorate=row["electorate"],
        weight=weight,
    )


def _units(
    facts: ElectionFacts, q: Mapping[str, Any], rows: Mapping[str, Any], rule: str
) -> list[UnitVotes]:
    options, root = list(q["options"]), q["jurisdiction"]
    if rule == "double-majority":
        return [_votes(rows[ref], options, w) for ref, w in _cantons(facts, root)]
    return [_votes(rows[root], options, Fraction(1))]


def _quorum(q: Mapping[str, Any]) -> Quorum | None:
    turnout, approval = q.get("turnout_quorum"), q.get("approval_quorum")
    if turnout is None and approval is None:
        return None
    return Quorum(
        turnout=None if turnout is None else Threshold.parse(turnout, "turnout_quorum"),
        approval=None if approval is None else Threshold.parse(approval, "approval_quorum"),
    )


def _json(outcome: Outcome) -> dict[str, Any]:
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


def _consultative(q: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    counts = dict(zip(q["options"], root["total"]["options"], strict=True))
    top = max(counts.values(), default=0)
    leading = [option for option, n in counts.items() if n == top and top > 0]
    return {"decided": False, "leading": leading}


def _group(
    facts: ElectionFacts,
    members: Mapping[str, dict[str, Any]],
    figures: Mapping[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    initiative, counter, tiebreak = (members[k] for k in GROUP_KINDS)
    if list(tiebreak["options"]) != ["initiative", "counter"]:
        raise RulesError(tiebreak["id"], "a tie-break has the options initiative and counter")
    root = initiative["jurisdiction"]
    rule = "double-majority" if facts.parents.get(root) is None else "popular-majority"
    rows = {q["id"]: {r["unit"]: r for r in figures[q["id"]]} for q in members.values()}
    units_i = _units(facts, initiative, rows[initiative["id"]], rule)
    units_c = _units(facts, counter, rows[counter["id"]], rule)
    units_t = _units(facts, tiebreak, rows[tiebreak["id"]], rule)
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
        **_json(outcome),
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
