"""Export of federal results in the Federal Statistical Office's ``sd-t-17-02`` JSON.

The open-data format Swiss media tools consume (DESIGN.md section 6;
docs/record.md, "BFS export"): ``schweiz`` → ``vorlagen`` (one per federal
yes/no question and tie-break) → ``kantone`` (BFS canton numbers 1-26) with
their ``bezirke``, ``gemeinden`` (``geoLevelParentnummer`` = district number)
and ``zaehlkreise`` (city quarters, parent = municipality number). Every
``resultat`` has ``anzahlStimmberechtigte``, ``eingelegteStimmzettel``,
``gueltigeStimmen``, ``jaStimmenAbsolut``, ``neinStimmenAbsolut`` and the
percentages. Only questions of the nation's jurisdiction are exported (the
format is that of federal votes); all channels are summed.

Choices where Urna has to map its questions onto the format: ``vorlagenId``
and ``reihenfolgeAnzeige`` are the question's 1-based position among the
exported ones; ``vorlagenArtId`` is 1 for a referendum under the double
majority (mandatory), 2 for another referendum (optional), 3 for an
initiative, 4 for a direct counter-proposal and 5 for a tie-break, whose
``hauptvorlagenId`` is the initiative's id. A tie-break reports votes for the
initiative as ``ja`` and for the counter-proposal as ``nein``; it is
``vorlageAngenommen`` when the initiative is preferred. Percentages are the
only floating-point numbers (the export is not signed or hashed).

Conventions of the BFS's own files, which consumers are written against:

- every counted unit (``gebietAusgezaehlt: true``) has numbers, never
  ``null``: ``jaStimmenInProzent`` and ``stimmbeteiligungInProzent`` are
  rounded to 9 decimals, and a unit with no valid votes (or no electorate)
  reports ``0.0`` as a unit with no yes vote does;
- ``zaehlkreise`` appears only in cantons that have counting districts (the
  BFS never writes an empty list); ``bezirke`` and ``gemeinden`` always;
- ``staende`` of a question without the cantons' majority is the same object
  with every count ``null``, not ``null`` itself;
- ``timestamp`` is ``YYYY-MM-DDTHH:MM:SS`` without an offset, in Swiss civil
  time (Europe/Zurich), the BFS being a Swiss office.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from voting.errors import Conflict
from voting.models.session_types import DbSession
from voting.rules import canton_accepts
from voting.services.jurisdiction_formats import BFS_CANTONS
from voting.services.lifecycle import get_vote_day
from voting.services.lifecycle import now_utc
from voting.services.results import results
from voting.services.tally_log import Manifest
from voting.services.tally_log import read_manifest

NATION = "nation:CH"
CANTON_NUMBERS = {code: number for number, (code, _, _) in BFS_CANTONS.items()}
ART = {"initiative": 3, "counter-proposal": 4, "tie-break": 5}
SWISS_TIME = ZoneInfo("Europe/Zurich")
STAENDE_KEYS = (
    "jaStaendeGanz",
    "neinStaendeGanz",
    "anzahlStaendeGanz",
    "jaStaendeHalb",
    "neinStaendeHalb",
    "anzahlStaendeHalb",
)


class BfsExportRefused(Conflict):
    """The vote day's tree does not fit the Swiss federal format."""

    code = "bfs_export_refused"


SPATIAL_REFERENCE = [
    {"spatial_unit": "kant", "spatial_date": "1979-01-01"},
    {"spatial_unit": "bezk", "spatial_date": "2018-01-01"},
    {"spatial_unit": "voge", "spatial_date": "2025-04-06"},
]


def bfs_document(
    session: DbSession, vote_day_id: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The vote day's federal results as an ``sd-t-17-02`` document.

    Raises:
        TallyRefused: the vote day is not tallied yet.
        BfsExportRefused: the tree is not the Swiss one.
    """
    served = results(session, vote_day_id)
    manifest = read_manifest(session, vote_day_id)
    if NATION not in manifest.parents:
        raise BfsExportRefused(f"vote day {vote_day_id!r} has no federal tier ({NATION})")
    federal = [
        q for q in served["questions"] if q["jurisdiction"] == NATION and len(q["options"]) == 2
    ]
    ids = {q["question"]: n for n, q in enumerate(federal, start=1)}
    date = get_vote_day(session, vote_day_id).date
    return {
        "abstimmtag": date.strftime("%Y%m%d"),
        "timestamp": bfs_timestamp(now or now_utc()),
        "spatial_reference": SPATIAL_REFERENCE,
        "schweiz": {
            "geoLevelnummer": 0,
            "geoLevelname": "Schweiz",
            "nochKeineInformation": False,
            "vorlagen": [_vorlage(manifest, q, ids, not served["published"]) for q in federal],
        },
    }


def bfs_timestamp(moment: dt.datetime) -> str:
    """``moment`` in Swiss civil time, as the BFS writes it (no offset); naive means UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(SWISS_TIME).strftime("%Y-%m-%dT%H:%M:%S")


def bfs_percent(part: int, whole: int) -> float:
    """``100 * part / whole`` rounded to 9 decimals as in the BFS files; ``0.0`` for ``whole == 0``.

    A counted unit never has ``null`` percentages in the BFS files: with no
    valid votes there is no yes vote, reported as for any unit without one.
    """
    return round(float(Fraction(100 * part, whole)), 9) if whole else 0.0


def _resultat(row: Mapping[str, Any], *, finished: bool | None = None) -> dict[str, Any]:
    total = row["total"]
    yes, no = total["options"]
    valid, electorate = yes + no, row["electorate"]
    result: dict[str, Any] = {} if finished is None else {"vorlageBeendet": finished}
    result |= {
        "gebietAusgezaehlt": True,
        "jaStimmenInProzent": bfs_percent(yes, valid),
        "jaStimmenAbsolut": yes,
        "neinStimmenAbsolut": no,
        "stimmbeteiligungInProzent": bfs_percent(total["ballots_cast"], electorate or 0),
        "eingelegteStimmzettel": total["ballots_cast"],
        "anzahlStimmberechtigte": electorate,
        "gueltigeStimmen": valid,
    }
    return result


def _name(manifest: Manifest, ref: str) -> str:
    names = manifest.units()[ref]["names"]
    return str(names.get("de") or next(iter(names.values()), ref.partition(":")[2]))


def _code(ref: str) -> str:
    return ref.partition(":")[2]


def _below(manifest: Manifest, root: str, level: str) -> list[str]:
    return sorted(
        (
            u
            for u in manifest.parents
            if u.startswith(f"{level}:") and root in manifest.ancestors_or_self(u)
        ),
        key=lambda u: (len(_code(u)), _code(u)),
    )


def _area(manifest: Manifest, rows: Mapping[str, Any], ref: str, parent: bool) -> dict[str, Any]:
    entry = {"geoLevelnummer": _code(ref), "geoLevelname": _name(manifest, ref)}
    if parent:
        entry["geoLevelParentnummer"] = _code(manifest.parents[ref] or "")
    return {**entry, "resultat": _resultat(rows[ref])}


def _kanton(manifest: Manifest, rows: Mapping[str, Any], ref: str) -> dict[str, Any]:
    number = CANTON_NUMBERS.get(_code(ref))
    if number is None:
        raise BfsExportRefused(f"{ref} is not a Swiss canton with a BFS number")
    kanton = {
        "geoLevelnummer": str(number),
        "geoLevelname": _name(manifest, ref),
        "resultat": _resultat(rows[ref], finished=True),
        "bezirke": [_area(manifest, rows, u, False) for u in _below(manifest, ref, "district")],
        "gemeinden": [
            _area(manifest, rows, u, True) for u in _below(manifest, ref, "municipality")
        ],
    }
    quarters = [_area(manifest, rows, u, True) for u in _below(manifest, ref, "quarter")]
    if quarters:  # the BFS leaves the key out where a canton has no counting districts
        kanton["zaehlkreise"] = quarters
    return kanton


def _staende(manifest: Manifest, rows: Mapping[str, Any], cantons: list[str]) -> dict[str, int]:
    units = manifest.units()
    tally = {"jaStaendeGanz": 0, "neinStaendeGanz": 0, "jaStaendeHalb": 0, "neinStaendeHalb": 0}
    for ref in cantons:
        yes, no = rows[ref]["total"]["options"]
        size = "Halb" if units[ref]["weight"] == "1/2" else "Ganz"
        tally[("ja" if canton_accepts(yes, no) else "nein") + f"Staende{size}"] += 1
    return {
        **tally,
        "anzahlStaendeGanz": tally["jaStaendeGanz"] + tally["neinStaendeGanz"],
        "anzahlStaendeHalb": tally["jaStaendeHalb"] + tally["neinStaendeHalb"],
    }


def _accepted(question: Mapping[str, Any]) -> bool:
    outcome = question["outcome"]
    if question["kind"] == "tie-break":
        return bool(outcome["preferred"] == "initiative")
    return bool(outcome["accepted"])


def _vorlage(
    manifest: Manifest, question: Mapping[str, Any], ids: Mapping[str, int], provisional: bool
) -> dict[str, Any]:
    rows = {row["unit"]: row for row in question["units"]}
    cantons = sorted(
        (u for u, parent in manifest.parents.items() if parent == NATION),
        key=lambda u: CANTON_NUMBERS.get(_code(u), 0),
    )
    number = ids[question["question"]]
    spec = manifest.question(question["question"])
    group = spec.get("group")
    double = question["rule"] in ("double-majority", "counter-proposal")
    art = ART.get(question["kind"], 1 if question["rule"] == "double-majority" else 2)
    return {
        "vorlagenId": number,
        "reihenfolgeAnzeige": number,
        "vorlagenTitel": [{"langKey": k, "text": v} for k, v in sorted(spec["titles"].items())],
        "vorlageBeendet": True,
        "provisorisch": provisional,
        "vorlageAngenommen": _accepted(question),
        "vorlagenArtId": art,
        "hauptvorlagenId": ids.get(group) if group and group != question["question"] else None,
        "reserveInfoText": None,
        "doppeltesMehr": double,
        "staende": (_staende(manifest, rows, cantons) if double else dict.fromkeys(STAENDE_KEYS)),
        "resultat": _resultat(rows[NATION]),
        "kantone": [_kanton(manifest, rows, ref) for ref in cantons],
    }
