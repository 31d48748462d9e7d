"""The BFS export reads as the BFS's own ``sd-t-17-02`` files do (fixtures/bfs_conventions.json).

A consumer written against the real files (``robot`` below: it rounds every
percentage, reads the cantons' majority counts and parses the timestamp) must
read Urna's export unchanged, including units where nobody cast a valid vote.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tests.fixtures_casting import OpenVoteDay
from tests.voting.test_results import tallied  # noqa: F401  (the fixture)
from voting.app.extensions import db
from voting.services.bfs_export import bfs_document
from voting.services.bfs_export import bfs_percent
from voting.services.bfs_export import bfs_timestamp

BFS = json.loads((Path(__file__).parents[1] / "fixtures" / "bfs_conventions.json").read_text())
LEVELS = ("bezirke", "gemeinden", "zaehlkreise")


def robot(document: dict[str, Any]) -> list[tuple[str, str, float, float]]:
    """What a media robot does with a BFS file: one rounded line per counted area."""
    dt.datetime.strptime(document["timestamp"], "%Y-%m-%dT%H:%M:%S")
    lines = []
    for vorlage in document["schweiz"]["vorlagen"]:
        staende = vorlage["staende"]
        if vorlage["doppeltesMehr"]:
            assert staende["jaStaendeGanz"] + staende["neinStaendeGanz"] >= 0
        for kanton in vorlage["kantone"]:
            areas = [kanton] + [a for level in LEVELS for a in kanton.get(level, [])]
            for area in areas:
                result = area["resultat"]
                if result["gebietAusgezaehlt"]:
                    lines.append(
                        (
                            kanton["geoLevelnummer"],
                            area["geoLevelname"],
                            round(result["jaStimmenInProzent"], 1),
                            round(result["stimmbeteiligungInProzent"], 1),
                        )
                    )
    return lines


def test_the_robot_reads_the_bfs_facts() -> None:
    """The robot itself works on what the BFS writes (so the next test means something)."""
    unit = BFS["unit_without_yes_votes"]
    document = {
        "timestamp": BFS["timestamp"],
        "schweiz": {
            "vorlagen": [
                {
                    "doppeltesMehr": False,
                    "staende": BFS["staende_of_an_optional_referendum"],
                    "kantone": [
                        {
                            "geoLevelnummer": "10",
                            "geoLevelname": "Freiburg",
                            "resultat": BFS["canton_resultat"],
                            "bezirke": [],
                            "gemeinden": [unit],
                        }
                    ],
                }
            ]
        },
    }
    assert robot(document)[-1] == ("10", "Villarsel-sur-Marly", 0.0, 70.0)


def test_export_follows_the_bfs_conventions(tallied: OpenVoteDay) -> None:  # noqa: F811
    moment = dt.datetime(2026, 11, 29, 16, 5, 9, tzinfo=dt.UTC)
    document = bfs_document(db.session, tallied.vote_day, now=moment)
    lines = robot(document)  # would raise TypeError on a null percentage
    assert lines
    # a counted unit with no valid vote: numbers, as the BFS writes a unit without a yes vote
    empty = [
        area["resultat"]
        for vorlage in document["schweiz"]["vorlagen"]
        for kanton in vorlage["kantone"]
        for level in LEVELS
        for area in kanton.get(level, [])
        if area["resultat"]["gueltigeStimmen"] == 0
    ]
    assert empty, "the fixture has units where nobody voted"
    for result in empty:
        assert result["gebietAusgezaehlt"] is True
        assert result["jaStimmenInProzent"] == 0.0
        assert isinstance(result["jaStimmenInProzent"], float)
        assert isinstance(result["stimmbeteiligungInProzent"], float)
        assert set(result) == set(BFS["unit_without_yes_votes"]["resultat"])
    # the keys of a canton: zaehlkreise only where there are counting districts, never []
    for vorlage in document["schweiz"]["vorlagen"]:
        for kanton in vorlage["kantone"]:
            expected = BFS[
                "kanton_keys_with_counting_districts" if "zaehlkreise" in kanton else "kanton_keys"
            ]
            assert list(kanton) == expected
            assert kanton.get("zaehlkreise", [None]) != []
        if not vorlage["doppeltesMehr"]:
            assert vorlage["staende"] == BFS["staende_of_an_optional_referendum"]
    # Swiss civil time without an offset, as the BFS writes it (CET in November)
    assert document["timestamp"] == "2026-11-29T17:05:09"
    assert len(document["timestamp"]) == len(BFS["timestamp"])


def test_percentages_and_timestamps_as_the_bfs_writes_them() -> None:
    assert bfs_percent(0, 0) == 0.0 and bfs_percent(0, 35) == 0.0
    assert (
        bfs_percent(35, 50)
        == BFS["unit_without_yes_votes"]["resultat"]["stimmbeteiligungInProzent"]
    )
    canton = BFS["canton_resultat"]
    assert (
        bfs_percent(canton["jaStimmenAbsolut"], canton["gueltigeStimmen"])
        == canton["jaStimmenInProzent"]
    )
    turnout = bfs_percent(canton["eingelegteStimmzettel"], canton["anzahlStimmberechtigte"])
    assert turnout == canton["stimmbeteiligungInProzent"]
    summer = dt.datetime(2025, 8, 26, 9, 6, 47, tzinfo=dt.UTC)
    assert bfs_timestamp(summer) == BFS["timestamp"]  # CEST
    assert bfs_timestamp(summer.replace(tzinfo=None)) == BFS["timestamp"]  # naive is UTC
