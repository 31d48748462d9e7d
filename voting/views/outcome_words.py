"""Each question's outcome in one sentence a newspaper would print, in the reader's language.

"Accepted: 62.5 % yes; 2 of 3 cantons." Percentages are of the valid votes
(yes + no), as the Federal Statistical Office counts them: blank and invalid
ballots are shown apart, never in the share. Cantons' votes are the rules'
own figures (a half-canton counts ½). The rules' ``reason`` (English, exact)
stays in the JSON results and in the verifier's report; this is its summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

__all__ = ["outcome_sentence", "percent_text"]


def percent_text(part: int, whole: int) -> str:
    """``part`` of ``whole`` with one decimal in the page's language (``62,5 %``), or a dash."""
    if whole <= 0:
        return "\u2013"
    value = Decimal(str(float(round(Fraction(100 * part, whole), 1))))
    return f"{format_decimal(value, format='#,##0.0')}\u202f%"


def _number(value: str | int) -> str:
    return str(format_decimal(Decimal(str(value)), format="#,##0.#"))


def outcome_sentence(
    outcome: Mapping[str, Any],
    options: Sequence[str],
    labels: Sequence[str],
    counts: Sequence[int],
) -> str:
    """One sentence for the outcome of a question (``labels``: its options' texts; ``counts``:
    its options' counts in the question's jurisdiction)."""
    if "accepted" in outcome:
        return _yes_no(outcome)
    if "preferred" in outcome:
        return _tie_break(outcome, options, labels)
    return _consultative(outcome, options, labels, counts)


def _yes_no(outcome: Mapping[str, Any]) -> str:
    yes, no = int(outcome.get("yes", 0)), int(outcome.get("no", 0))
    if yes + no == 0:
        return _("Rejected: no valid votes (a tie rejects).")
    percent = percent_text(yes, yes + no)
    cantons = outcome.get("cantons")
    if cantons:
        total = _number(str(Decimal(str(cantons["yes"])) + Decimal(str(cantons["no"]))))
        values = {"percent": percent, "yes": _number(cantons["yes"]), "cantons": total}
        if outcome["accepted"]:
            return _("Accepted: %(percent)s yes; %(yes)s of %(cantons)s cantons.", **values)
        return _("Rejected: %(percent)s yes; %(yes)s of %(cantons)s cantons.", **values)
    if outcome["accepted"]:
        return _("Accepted: %(percent)s yes.", percent=percent)
    return _("Rejected: %(percent)s yes.", percent=percent)


def _tie_break(outcome: Mapping[str, Any], options: Sequence[str], labels: Sequence[str]) -> str:
    preferred = outcome.get("preferred")
    if preferred not in options:
        return _("Tie-break: moot; neither takes precedence.")
    counts = {option: int(outcome.get(option, 0)) for option in options}
    label = labels[list(options).index(str(preferred))]
    percent = percent_text(counts[str(preferred)], sum(counts.values()))
    return _("Tie-break: %(label)s preferred (%(percent)s of the valid answers).",
             label=label, percent=percent)  # fmt: skip


def _consultative(
    outcome: Mapping[str, Any], options: Sequence[str], labels: Sequence[str], counts: Sequence[int]
) -> str:
    leading = [labels[list(options).index(o)] for o in outcome.get("leading", []) if o in options]
    if not leading:
        return _("Consultative: no votes.")
    if len(leading) > 1:
        return _("Consultative: tied between %(labels)s.", labels=", ".join(leading))
    top = counts[list(options).index(outcome["leading"][0])]
    return _("Consultative: %(label)s leads with %(percent)s.",
             label=leading[0], percent=percent_text(top, sum(counts)))  # fmt: skip
