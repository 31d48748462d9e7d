"""Turning one question's result (:func:`voting.services.results.results`) into what the page shows.

The figures come unchanged from the result; this module only names things
(question and option texts in the reader's language, unit names from the
manifest), groups the units by tier, words the outcome, and draws the bar
chart and, for questions decided by people and cantons, the canton grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from voting.models.jurisdictions import LEVEL_RANK
from voting.models.votedays import Question
from voting.rules import canton_accepts
from voting.services.charts import CANTON_TILES
from voting.services.charts import Bar
from voting.services.charts import CantonTile
from voting.services.charts import GridLabels
from voting.services.charts import bar_chart
from voting.services.charts import canton_grid
from voting.services.tally_log import Manifest
from voting.views.outcome_words import outcome_sentence
from voting.views.outcome_words import percent_text


def level_name(level: str) -> str:
    """A tier's heading in the page's language."""
    names = {
        "nation": _("Nation"),
        "canton": _("Cantons"),
        "district": _("Districts"),
        "municipality": _("Municipalities"),
        "village": _("Villages and quarters"),
        "quarter": _("Villages and quarters"),
    }
    return names.get(level, level)


OPTION_KINDS = {"yes": "yes", "no": "no"}


def _text(texts: Mapping[str, str] | None, lang: str, fallback: str) -> str:
    if not texts:
        return fallback
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), fallback)


def unit_name(manifest: Manifest, ref: str, lang: str) -> str:
    unit = manifest.units().get(ref)
    return _text(unit["names"] if unit else None, lang, ref)


def _option_labels(result: Mapping[str, Any], stored: Question | None, lang: str) -> list[str]:
    texts = {o["id"]: o.get("texts") for o in (stored.options if stored else [])}
    return [_text(texts.get(option), lang, option) for option in result["options"]]


def _bars(result: Mapping[str, Any], labels: list[str]) -> list[Bar]:
    total = result["units"][0]["total"]
    bars = [
        Bar(label, count, OPTION_KINDS.get(option, "other"))
        for option, label, count in zip(result["options"], labels, total["options"], strict=True)
    ]
    if total["blank"] is not None:
        bars.append(Bar(_("Blank"), total["blank"], "blank"))
    if total["invalid"]:
        bars.append(Bar(_("Invalid"), total["invalid"], "blank"))
    return bars


def merged_notes(manifest: Manifest, merged: Mapping[str, str], lang: str) -> dict[str, str]:
    """Unit → a note for each unit whose figures lack electronic ballots counted higher up.

    ``merged``: unit → the ancestor its electronic ballots are counted with
    (the minimum publication size, docs/record.md). The note goes on every
    unit between the merged unit and that ancestor.
    """
    notes: dict[str, set[str]] = {}
    for member, label in merged.items():
        for unit in manifest.ancestors_or_self(member):
            if unit == label:
                break
            notes.setdefault(unit, set()).add(label)
    return {
        unit: _(
            "electronic ballots counted with %(units)s",
            units=", ".join(unit_name(manifest, label, lang) for label in sorted(labels)),
        )
        for unit, labels in notes.items()
    }


def channel_word(channel: str) -> str:
    """A counting channel's name in the page's language (the record's key if unknown)."""
    words = {
        "electronic": _("electronic"),
        "postal": _("postal"),
        "polling-station": _("polling station"),
    }
    return words.get(channel, channel)


def _tiers(
    manifest: Manifest,
    result: Mapping[str, Any],
    lang: str,
    notes: Mapping[str, str],
    unconfirmed: Mapping[str, int] | None,
) -> list[tuple[str, list[dict[str, Any]]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in result["units"]:
        level = row["unit"].partition(":")[0]
        total = row["total"]
        grouped.setdefault(level_name(level), []).append(
            {
                "unit": row["unit"],
                "name": unit_name(manifest, row["unit"], lang),
                "electorate": row["electorate"],
                "ballots": total["ballots_cast"],
                "turnout": percent_text(total["ballots_cast"], row["electorate"] or 0),
                "options": total["options"],
                "shares": [percent_text(n, sum(total["options"])) for n in total["options"]],
                "blank": total["blank"],
                "invalid": total["invalid"],
                "channels": [channel_word(c) for c in sorted(row["channels"])],
                "merged": notes.get(row["unit"]),
                "unconfirmed": _unconfirmed(unconfirmed, row["unit"], notes),
            }
        )
    order = sorted(grouped, key=lambda name: min(_rank(r["unit"]) for r in grouped[name]))
    return [(name, grouped[name]) for name in order]


def _rank(ref: str) -> int:
    return LEVEL_RANK.get(ref.partition(":")[0], 9)


def _grid(manifest: Manifest, result: Mapping[str, Any], title: str, chart_id: str) -> str | None:
    outcome = result["outcome"]
    if not outcome.get("cantons") or result["options"] != ["yes", "no"]:
        return None
    root, units = result["jurisdiction"], manifest.units()
    tiles: dict[str, CantonTile] = {}
    summary = []
    for row in result["units"]:
        level, _sep, code = row["unit"].partition(":")
        if manifest.parents.get(row["unit"]) != root or level != "canton":
            continue
        if code not in CANTON_TILES:
            return None  # not the Swiss cantons: no grid
        yes, no = row["total"]["options"]
        accepted = canton_accepts(yes, no)
        detail = _("yes %(yes)s, no %(no)s", yes=yes, no=no)
        if yes + no == 0:
            detail += " " + _("(no votes: a tie rejects)")
        tiles[code] = CantonTile(
            accepted, half=units[row["unit"]]["weight"] == "1/2", detail=detail
        )
        summary.append(f"{code} {_('Yes') if accepted else _('No')}")
    described = "; ".join(summary) or _("no canton has figures")
    return canton_grid(
        tiles,
        chart_id=chart_id,
        title=_("Cantons' votes: %(title)s", title=title),
        description=_("Each canton's majority: %(cantons)s.", cantons=described),
        labels=GridLabels(yes=_("Yes"), no=_("No"), none=_("no figures"), half=_("half-canton")),
    )


def _unconfirmed(
    unconfirmed: Mapping[str, int] | None, unit: str, notes: Mapping[str, str]
) -> int | str | None:
    """A unit's ballots cast but not confirmed (not counted); "–" where its electronic
    ballots are counted with a unit above (the minimum publication size); None without
    return codes."""
    if unconfirmed is None:
        return None
    return "–" if unit in notes else unconfirmed.get(unit, 0)


def question_view(
    manifest: Manifest,
    result: Mapping[str, Any],
    stored: Question | None,
    lang: str,
    position: int,
    notes: Mapping[str, str] | None = None,
    unconfirmed: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """What the results page shows for one question (``notes``: :func:`merged_notes`;
    ``unconfirmed``: ballots cast but not confirmed per unit, on a vote day with return codes)."""
    title = _text(stored.titles if stored else None, lang, result["question"])
    labels = _option_labels(result, stored, lang)
    bars = _bars(result, labels)
    top = result["units"][0]
    where = unit_name(manifest, top["unit"], lang)
    description = (
        _("Votes in %(where)s:", where=where)
        + " "
        + ", ".join(f"{bar.label} {bar.value}" for bar in bars)
    )
    return {
        "key": result["question"],
        "title": title,
        "jurisdiction": where,
        "rule": result["rule"],
        "labels": labels,
        "outcome": outcome_sentence(
            result["outcome"], result["options"], labels, top["total"]["options"]
        ),
        "accepted": result["outcome"].get("accepted"),
        "chart": bar_chart(  # narrow, so that its words stay legible scaled down to 320 px
            bars,
            chart_id=f"q{position}-bars",
            title=title,
            description=description,
            width=400,
            percent=percent_text,
        ),
        "grid": _grid(manifest, result, title, f"q{position}-cantons"),
        "tiers": _tiers(manifest, result, lang, notes or {}, unconfirmed),
        "return_codes": unconfirmed is not None,
    }
