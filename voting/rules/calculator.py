"""The results calculator: ``python -m voting.rules COUNTS.json`` (format in docs/rules.md).

For officials and journalists who cross-check an official result from
published counts. Prints the outcome as JSON on stdout and exits 0; on invalid
input prints ``error: FIELD: message`` on stderr and exits 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from voting.rules.counter import CounterProposalOutcome
from voting.rules.counter import CounterProposalUnit
from voting.rules.counter import decide_counter_proposal
from voting.rules.majority import FULL_VOTE
from voting.rules.majority import HALF_CANTONS
from voting.rules.majority import HALF_VOTE
from voting.rules.majority import RULES
from voting.rules.majority import Outcome
from voting.rules.majority import Quorum
from voting.rules.majority import RulesError
from voting.rules.majority import Threshold
from voting.rules.majority import UnitVotes
from voting.rules.majority import check_count
from voting.rules.majority import decide
from voting.rules.majority import decimal_string
from voting.rules.majority import parse_weight

EXIT_INVALID = 2
_UNIT_KEYS = {"code", "weight", "electorate", "yes", "no", "blank", "invalid"}
_COUNTER_KEYS = {"code", "weight", "electorate", "initiative", "counter", "tiebreak"}


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise RulesError(field, "must be a JSON object")
    return value


def _only(data: Mapping[str, Any], allowed: set[str], field: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RulesError(f"{field}.{unknown[0]}", "unknown field")


def _count(data: Mapping[str, Any], key: str, field: str, *, default: int | None = None) -> int:
    if key not in data:
        if default is None:
            raise RulesError(f"{field}.{key}", "missing")
        return default
    return check_count(data[key], f"{field}.{key}")


def _weight(data: Mapping[str, Any], code: str, field: str) -> Fraction:
    if "weight" not in data:
        return HALF_VOTE if code in HALF_CANTONS else FULL_VOTE
    return parse_weight(data["weight"], f"{field}.weight")


def _code(data: Mapping[str, Any], field: str) -> str:
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        raise RulesError(f"{field}.code", "must be a non-empty string")
    return code


def _electorate(data: Mapping[str, Any], field: str) -> int | None:
    value = data.get("electorate")
    return None if value is None else check_count(value, f"{field}.electorate")


def parse_quorum(value: object) -> Quorum | None:
    """``{"turnout": "1/4", "approval": null}`` (both optional) or null."""
    if value is None:
        return None
    data = _mapping(value, "quorum")
    _only(data, {"turnout", "approval"}, "quorum")
    parts = {
        key: None if data.get(key) is None else Threshold.parse(data[key], f"quorum.{key}")
        for key in ("turnout", "approval")
    }
    return Quorum(turnout=parts["turnout"], approval=parts["approval"])


def parse_unit(value: object, field: str) -> UnitVotes:
    data = _mapping(value, field)
    _only(data, _UNIT_KEYS, field)
    code = _code(data, field)
    return UnitVotes(
        code=code,
        yes=_count(data, "yes", field),
        no=_count(data, "no", field),
        blank=_count(data, "blank", field, default=0),
        invalid=_count(data, "invalid", field, default=0),
        electorate=_electorate(data, field),
        weight=_weight(data, code, field),
    )


def parse_counter_unit(value: object, field: str) -> CounterProposalUnit:
    data = _mapping(value, field)
    _only(data, _COUNTER_KEYS, field)
    code = _code(data, field)
    weight = _weight(data, code, field)
    votes = []
    for key in ("initiative", "counter"):
        part = _mapping(data.get(key), f"{field}.{key}")
        _only(part, {"yes", "no", "blank", "invalid"}, f"{field}.{key}")
        votes.append(
            UnitVotes(
                code=code,
                yes=_count(part, "yes", f"{field}.{key}"),
                no=_count(part, "no", f"{field}.{key}"),
                blank=_count(part, "blank", f"{field}.{key}", default=0),
                invalid=_count(part, "invalid", f"{field}.{key}", default=0),
                electorate=_electorate(data, field),
                weight=weight,
            )
        )
    tiebreak = _mapping(data.get("tiebreak"), f"{field}.tiebreak")
    _only(tiebreak, {"initiative", "counter", "blank"}, f"{field}.tiebreak")
    return CounterProposalUnit(
        initiative=votes[0],
        counter=votes[1],
        tiebreak_initiative=_count(tiebreak, "initiative", f"{field}.tiebreak"),
        tiebreak_counter=_count(tiebreak, "counter", f"{field}.tiebreak"),
    )


def _units(value: object) -> Sequence[object]:
    if not isinstance(value, list) or not value:
        raise RulesError("units", "must be a non-empty list")
    codes = [u.get("code") for u in value if isinstance(u, dict)]
    duplicates = sorted({c for c in codes if isinstance(c, str) and codes.count(c) > 1})
    if duplicates:
        raise RulesError("units", f"duplicate code {duplicates[0]!r}")
    return value


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    valid = outcome.yes + outcome.no
    people: dict[str, Any] = {
        "yes": outcome.yes,
        "no": outcome.no,
        "blank": outcome.blank,
        "invalid": outcome.invalid,
        "ballots_cast": outcome.ballots_cast,
        "yes_percent": decimal_string(Fraction(outcome.yes * 100, valid)) if valid else None,
    }
    result: dict[str, Any] = {"accepted": outcome.accepted, "people": people}
    if outcome.cantons is not None:
        result["cantons"] = {
            "yes": decimal_string(outcome.cantons.yes),
            "no": decimal_string(outcome.cantons.no),
        }
    if outcome.electorate is not None:
        result["electorate"] = outcome.electorate
        if outcome.electorate:
            turnout = Fraction(outcome.ballots_cast * 100, outcome.electorate)
            result["turnout_percent"] = decimal_string(turnout)
    result["reason"] = outcome.reason
    return result


def _counter_json(outcome: CounterProposalOutcome) -> dict[str, Any]:
    tie = outcome.tiebreak
    return {
        "winner": outcome.winner,
        "initiative": _outcome_json(outcome.initiative),
        "counter": _outcome_json(outcome.counter),
        "tiebreak": {
            "preferred": tie.preferred,
            "people": {"initiative": tie.initiative, "counter": tie.counter},
            "cantons": {
                "initiative": decimal_string(tie.cantons_initiative),
                "counter": decimal_string(tie.cantons_counter),
            },
            "scores": {
                "initiative": decimal_string(tie.initiative_score),
                "counter": decimal_string(tie.counter_score),
            },
            "reason": tie.reason,
        },
        "reason": outcome.reason,
    }


def calculate(document: object) -> dict[str, Any]:
    """Decide the question described by a parsed COUNTS.json document.

    Raises:
        RulesError: the document is invalid; ``field`` names the offending field.
    """
    data = _mapping(document, "document")
    _only(data, {"rule", "quorum", "units", "source"}, "document")
    rule = data.get("rule")
    if rule not in RULES:
        raise RulesError("rule", f"must be one of {', '.join(RULES)}, got {rule!r}")
    units = _units(data.get("units"))
    quorum = parse_quorum(data.get("quorum"))
    if rule == "counter-proposal":
        if quorum is not None:
            raise RulesError("quorum", "not supported with the counter-proposal rule")
        parsed = [parse_counter_unit(u, f"units[{i}]") for i, u in enumerate(units)]
        return {"rule": rule, **_counter_json(decide_counter_proposal(parsed))}
    outcome = decide(rule, [parse_unit(u, f"units[{i}]") for i, u in enumerate(units)], quorum)
    return {"rule": rule, **_outcome_json(outcome)}


HELP = """\
usage: python -m voting.rules COUNTS.json

Decide a question from its counts, without a server: the popular, absolute and
double majority (people and cantons), quorums, and an initiative with its
counter-proposal and tie-break (Art. 139b of the Federal Constitution). COUNTS.json
names the rule and gives the yes and no votes (per canton, with their weights, for
the double majority); the format is in docs/rules.md. Prints the outcome as JSON
with its reason; exit status 0, or 2 on unusable input.

Example (canton Zurich decides alone, by the popular majority):
  echo '{"rule": "popular-majority",
         "units": [{"code": "ZH", "yes": 250337, "no": 223523, "blank": 2146}]}' > counts.json
  python -m voting.rules counts.json
"""


def main(argv: Sequence[str]) -> int:
    """Command-line entry point; returns the exit status."""
    usage = "usage: python -m voting.rules COUNTS.json   (format: docs/rules.md)"
    if list(argv) in (["-h"], ["--help"]):
        print(HELP)
        return 0
    if len(argv) != 1:
        print(usage, file=sys.stderr)
        return EXIT_INVALID
    try:
        text = Path(argv[0]).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: {argv[0]}: {exc.strerror}", file=sys.stderr)
        return EXIT_INVALID
    try:
        document = json.loads(text)
        result = calculate(document)
    except json.JSONDecodeError as exc:
        print(f"error: {argv[0]}: not valid JSON ({exc})", file=sys.stderr)
        return EXIT_INVALID
    except RulesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
