"""Results per tier and channel, outcomes by rule, publication, the BFS export."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from crypto.clerk_signature import sign_counts
from tests.fixtures_casting import OpenVoteDay
from tests.voting.tally_helpers import ELSAU
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import close_and_start
from tests.voting.tally_helpers import decrypt_as
from tests.voting.tally_helpers import spoil
from tests.voting.tally_helpers import vote
from tests.voting.test_channels import Clerks
from tests.voting.test_channels import counts
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.models.votedays import VoteDay
from voting.services import channels
from voting.services import officials
from voting.services import results
from voting.services.bfs_export import bfs_document
from voting.services.casting import DuplicateBallot
from voting.services.jurisdiction_formats import parse_bfs
from voting.services.lifecycle import open_vote_day
from voting.services.outcomes import decide_outcomes
from voting.services.tally_log import Manifest
from voting.services.tally_log import TallyRefused
from voting.services.tally_log import read_manifest


@pytest.fixture()
def tallied(app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    """Winterthur and Elsau vote electronically, Elsau's postal counts are corrected once."""
    prepared = prepare_vote_day(voters={WINTERTHUR: 3, ELSAU: 2}, open_it=False)
    clerks = Clerks(app, prepared)
    clerks.register(clerks.clara, ELSAU, clerks.key)  # clerks' keys are fixed before opening
    open_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    vote(
        app,
        prepared,
        WINTERTHUR,
        0,
        {
            "bike-paths": ["yes"],
            "housing": ["yes"],
            "housing-counter": ["yes"],
            "housing-tiebreak": ["counter"],
            "zh-tax-law": ["yes"],
            "winterthur-square": ["eulach"],
        },
    )
    vote(app, prepared, WINTERTHUR, 1, {"bike-paths": ["no"], "zh-tax-law": ["no"]})
    with pytest.raises(DuplicateBallot):  # first-counts: the second ballot is refused
        vote(app, prepared, WINTERTHUR, 1, {"bike-paths": ["yes"]})
    spoil(app, prepared, WINTERTHUR, 2, {"bike-paths": ["no"]})
    vote(app, prepared, WINTERTHUR, 2, {"bike-paths": ["yes"], "winterthur-square": ["sulzer"]})
    vote(app, prepared, ELSAU, 0, {"bike-paths": ["yes"], "zh-tax-law": ["yes"]})
    close_and_start(app, prepared)
    first = clerks.submit(clerks.signed())
    correction = counts(prepared.vote_day, replaces=first)
    correction["questions"]["bike-paths"] = {"options": [7, 2], "blank": 1, "invalid": 0}
    clerks.submit(sign_counts(correction, clerks.key))
    decrypt_as(app, prepared, "alice", "bob")  # carol is absent
    return prepared


def _row(result: dict[str, Any], unit: str) -> dict[str, Any]:
    return next(row for row in result["units"] if row["unit"] == unit)


def _by_question(served: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["question"]: q for q in served["questions"]}


def test_results_per_tier_and_channel(tallied: OpenVoteDay) -> None:
    served = results.results(db.session, tallied.vote_day)
    assert served["published"] is False
    questions = _by_question(served)
    bike = questions["bike-paths"]
    elsau = _row(bike, ELSAU)
    assert elsau["channels"] == {
        "electronic": {"ballots_cast": 1, "options": [1, 0], "blank": 0, "invalid": 0},
        "postal": {"ballots_cast": 10, "options": [7, 2], "blank": 1, "invalid": 0},
    }
    assert elsau["total"] == {"ballots_cast": 11, "options": [8, 2], "blank": 1, "invalid": 0}
    assert elsau["electorate"] == 2409
    assert elsau["turnout_percent"] == "0.4566"  # 11 / 2409 = 0.45662...%
    winterthur = _row(bike, WINTERTHUR)
    assert winterthur["total"] == {"ballots_cast": 3, "options": [2, 1], "blank": 0, "invalid": 0}
    assert list(winterthur["channels"]) == ["electronic"]
    quarter = _row(bike, "quarter:10230")
    assert quarter["total"]["ballots_cast"] == 0 and quarter["turnout_percent"] == "0"
    for tier in ("district:110", "canton:ZH", "nation:CH"):
        row = _row(bike, tier)
        assert row["total"] == {"ballots_cast": 14, "options": [10, 3], "blank": 1, "invalid": 0}
        assert row["channels"]["postal"]["ballots_cast"] == 10
    assert bike["units"][0]["unit"] == "nation:CH"
    square = questions["winterthur-square"]
    assert square["units"][0]["unit"] == WINTERTHUR
    assert _row(square, WINTERTHUR)["total"]["options"] == [1, 1, 0]
    assert square["outcome"]["leading"] == ["eulach", "sulzer"]
    tax = questions["zh-tax-law"]
    assert _row(tax, "canton:ZH")["total"] == {
        "ballots_cast": 14,
        "options": [3, 10],
        "blank": 1,
        "invalid": 0,
    }
    assert tax["outcome"]["accepted"] is False


def test_outcomes_of_the_demo_vote_day(tallied: OpenVoteDay) -> None:
    questions = _by_question(results.results(db.session, tallied.vote_day))
    bike = questions["bike-paths"]["outcome"]
    # the people say yes, but Bern and Appenzell Innerrhoden (no votes: a tie) reject
    assert (bike["yes"], bike["no"], bike["accepted"]) == (10, 3, False)
    assert bike["cantons"]["yes"] == "1"
    assert "no majority of the cantons" in bike["reason"]
    initiative = questions["housing"]["outcome"]
    assert (initiative["yes"], initiative["no"]) == (6, 5)
    assert initiative["winner"] == "none" and initiative["enters_into_force"] is False
    tiebreak = questions["housing-tiebreak"]["outcome"]
    assert (tiebreak["initiative"], tiebreak["counter"]) == (4, 5)


def test_publication_logs_the_results_and_freezes_them(app: Flask, tallied: OpenVoteDay) -> None:
    computed = results.results(db.session, tallied.vote_day)
    size = bulletin.log_size(db.session, tallied.vote_day)
    count = results.publish_results(db.session, tallied.vote_day, signing=log_signing(app))
    assert count == 6  # one part per question: every subtree is below 400 units
    assert db.session.get_one(VoteDay, tallied.vote_day).status == "published"
    entries = bulletin.get_entries(db.session, tallied.vote_day, size, size + count + 1)
    assert [e.record["type"] for e in entries] == ["result"] * 6 + ["published"]
    first = entries[0].record
    assert (first["question"], first["part"], first["parts"]) == ("bike-paths", 1, 1)
    assert first["outcome"] == computed["questions"][0]["outcome"]
    published = results.results(db.session, tallied.vote_day)
    assert published["published"] is True
    assert published["questions"] == computed["questions"]
    with pytest.raises(TallyRefused, match="published"):
        results.publish_results(db.session, tallied.vote_day, signing=log_signing(app))
    clara = officials.get_official(db.session, "clara")
    with pytest.raises(channels.ChannelClosed, match="published"):
        channels.submit_channel_counts(db.session, tallied.vote_day, clara, {}, signing=None)
    with pytest.raises(channels.ChannelClosed, match="published: clerks' keys"):
        channels.register_clerk_key(db.session, tallied.vote_day, clara, ELSAU, "00" * 32)


def test_publishing_before_tallying_is_refused(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day()
    with pytest.raises(TallyRefused, match="open"):
        results.publish_results(db.session, prepared.vote_day, signing=log_signing(app))
    with pytest.raises(TallyRefused, match="tallied"):
        results.results(db.session, prepared.vote_day)
    close_and_start(app, prepared)
    with pytest.raises(TallyRefused, match="closed"):
        results.publish_results(db.session, prepared.vote_day, signing=log_signing(app))


def test_bfs_export_round_trips_and_matches(tallied: OpenVoteDay) -> None:
    document = bfs_document(db.session, tallied.vote_day)
    manifest = read_manifest(db.session, tallied.vote_day)
    tree = {(u["ref"], u["parent"], u["electorate"]) for u in manifest.record["jurisdictions"]}
    imported = {(r.ref, r.parent, r.electorate) for r in parse_bfs(document)}
    assert imported == tree
    vorlagen = document["schweiz"]["vorlagen"]
    assert [v["vorlagenArtId"] for v in vorlagen] == [1, 3, 4, 5]
    assert [v["hauptvorlagenId"] for v in vorlagen] == [None, None, 2, 2]
    bike = vorlagen[0]
    assert bike["resultat"]["jaStimmenAbsolut"] == 10
    assert bike["resultat"]["neinStimmenAbsolut"] == 3
    assert bike["resultat"]["gueltigeStimmen"] == 13
    assert bike["resultat"]["eingelegteStimmzettel"] == 14
    assert bike["vorlageAngenommen"] is False and bike["doppeltesMehr"] is True
    zurich = next(k for k in bike["kantone"] if k["geoLevelnummer"] == "1")
    elsau = next(g for g in zurich["gemeinden"] if g["geoLevelnummer"] == "219")
    assert elsau["geoLevelParentnummer"] == "110"
    assert (elsau["resultat"]["jaStimmenAbsolut"], elsau["resultat"]["neinStimmenAbsolut"]) == (
        8,
        2,
    )
    assert elsau["resultat"]["anzahlStimmberechtigte"] == 2409
    assert bike["staende"]["jaStaendeGanz"] == 1
    assert bike["staende"]["anzahlStaendeHalb"] == 1


# --- outcomes on a small hand-made tree (pure) ----------------------------------------


def _manifest(questions: list[dict[str, Any]]) -> Manifest:
    def unit(ref: str, parent: str | None, electorate: int | None, weight: str | None) -> dict:
        return {
            "ref": ref,
            "parent": parent,
            "names": {"de": ref},
            "electorate": electorate,
            "weight": weight,
        }

    jurisdictions = [
        unit("nation:CH", None, None, None),
        unit("canton:ZH", "nation:CH", 100, "1"),
        unit("canton:BE", "nation:CH", 100, "1"),
        unit("canton:AI", "nation:CH", 20, "1/2"),
    ]
    record = {"jurisdictions": jurisdictions, "questions": questions}
    parents = {u["ref"]: u["parent"] for u in jurisdictions}
    return Manifest(record, hashlib.sha256(b"m").digest(), parents)


def _question(key: str, rule: str, kind: str = "referendum", **extra: Any) -> dict[str, Any]:
    options = ["initiative", "counter"] if kind == "tie-break" else ["yes", "no"]
    return {
        "id": key,
        "jurisdiction": "nation:CH",
        "kind": kind,
        "rule": rule,
        "options": options,
        "min_selections": 0,
        "max_selections": 1,
        "turnout_quorum": None,
        "approval_quorum": None,
        "group": None,
        **extra,
    }


def _decide(questions: list[dict[str, Any]], own: dict[str, dict[str, list[int]]]) -> dict:
    manifest = _manifest(questions)
    figures = {
        q["id"]: results.question_result(
            manifest,
            q,
            {unit: {"electronic": [*v, 0, 0, sum(v)]} for unit, v in own[q["id"]].items()},
        )
        for q in questions
    }
    return decide_outcomes(manifest, figures)


def test_double_majority_counts_half_cantons_as_halves() -> None:
    questions = [_question("dm", "double-majority"), _question("dm2", "double-majority")]
    outcome = _decide(
        questions,
        {
            "dm": {"canton:ZH": [30, 10], "canton:BE": [10, 30], "canton:AI": [6, 4]},
            "dm2": {"canton:ZH": [30, 10], "canton:BE": [10, 30], "canton:AI": [4, 6]},
        },
    )
    assert outcome["dm"]["accepted"] is True
    assert outcome["dm"]["cantons"] == {"yes": "1.5", "no": "1"}
    assert outcome["dm2"]["accepted"] is False  # people 44:46 and cantons 1:1.5


def test_counter_proposal_tie_break_by_sums_of_percentages() -> None:
    group = {"group": "ini"}
    questions = [
        _question("ini", "counter-proposal", "initiative", **group),
        _question("cp", "counter-proposal", "counter-proposal", **group),
        _question("tb", "counter-proposal", "tie-break", **group),
    ]
    outcome = _decide(
        questions,
        {
            "ini": {"canton:ZH": [30, 10], "canton:BE": [25, 15], "canton:AI": [6, 4]},
            "cp": {"canton:ZH": [35, 5], "canton:BE": [30, 10], "canton:AI": [7, 3]},
            "tb": {"canton:ZH": [10, 30], "canton:BE": [25, 15], "canton:AI": [6, 4]},
        },
    )
    assert outcome["ini"]["accepted"] and outcome["cp"]["accepted"]
    tie = outcome["tb"]
    # people prefer the counter-proposal 49:41, the cantons the initiative 1.5:1
    assert (tie["initiative"], tie["counter"]) == (41, 49)
    assert (tie["cantons_initiative"], tie["cantons_counter"]) == ("1.5", "1")
    assert tie["initiative_score"] == "105.5556" and tie["counter_score"] == "94.4444"
    assert tie["winner"] == "initiative"
    assert outcome["ini"]["enters_into_force"] is True
    assert outcome["cp"]["enters_into_force"] is False


def test_turnout_quorum() -> None:
    questions = [_question("kq", "popular-majority", turnout_quorum="1/4")]
    low = _decide(questions, {"kq": {"canton:ZH": [30, 10]}})
    assert low["kq"]["accepted"] is False
    assert "turnout quorum 1/4 not met (40 of 220" in low["kq"]["reason"]
    high = _decide(questions, {"kq": {"canton:ZH": [40, 10], "canton:BE": [5, 5]}})
    assert high["kq"]["accepted"] is True


def test_more_ballots_than_electors_is_inconsistent() -> None:
    with pytest.raises(results.ResultsInconsistent, match="exceed the electorate"):
        _decide([_question("x", "popular-majority")], {"x": {"canton:AI": [15, 10]}})
