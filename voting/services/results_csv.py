"""The results as CSV, one row per question, unit and answer (long format, RFC 4180).

Columns: ``question, unit, electorate, ballots_cast, answer, votes, percent_of_valid``.
``answer`` is an option's id, ``blank`` or ``invalid``; ``percent_of_valid`` is
an option's share of the unit's valid votes (options only, as the Federal
Statistical Office counts them; empty for blank and invalid and where nobody
voted). The figures are :func:`voting.services.results.results`'s, unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

__all__ = ["COLUMNS", "results_csv"]

COLUMNS = (
    "question",
    "unit",
    "electorate",
    "ballots_cast",
    "answer",
    "votes",
    "percent_of_valid",
)


def results_csv(document: Mapping[str, Any]) -> str:
    """``document``: :func:`voting.services.results.results`. Returns the CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for question in document["questions"]:
        writer.writerows(_rows(question))
    return out.getvalue()


def _rows(question: Mapping[str, Any]) -> Iterator[list[object]]:
    for unit in question["units"]:
        total = unit["total"]
        valid = sum(total["options"])
        head = [question["question"], unit["unit"], unit["electorate"], total["ballots_cast"]]
        for option, votes in zip(question["options"], total["options"], strict=True):
            share = "" if valid == 0 else f"{float(round(Fraction(100 * votes, valid), 2)):.2f}"
            yield [*head, option, votes, share]
        if total["blank"] is not None:
            yield [*head, "blank", total["blank"], ""]
        yield [*head, "invalid", total["invalid"], ""]
