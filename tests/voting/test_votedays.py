"""Vote days and questions: validation, the freeze at opening, a voter's ballot, crypto specs."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest
import sqlalchemy.orm as so

from voting.errors import DuplicateKey
from voting.errors import InvalidQuestion
from voting.errors import InvalidVoteDay
from voting.errors import QuestionsFrozen
from voting.errors import UnitNotFound
from voting.errors import VoteDayNotOpen
from voting.models.votedays import Question
from voting.rehearsal.demo import load_demo
from voting.services.jurisdiction_formats import parse_text
from voting.services.jurisdictions import get_unit
from voting.services.jurisdictions import import_records
from voting.services.questions import QuestionDraft
from voting.services.questions import add_counter_proposal
from voting.services.questions import add_question
from voting.services.questions import delete_question
from voting.services.questions import get_question
from voting.services.questions import update_texts
from voting.services.votedays import QuestionSpec
from voting.services.votedays import ballot_for_unit
from voting.services.votedays import create_vote_day
from voting.services.votedays import question_specs
from voting.services.votedays import set_status

DAY = "2026-03-08-ch"
TITLE = {"de": "Frage", "fr": "Question"}


@pytest.fixture()
def tree(db_session: so.Session) -> so.Session:
    text = resources.files("voting.data").joinpath("demo_ch.json").read_text(encoding="utf-8")
    import_records(db_session, parse_text(text))
    create_vote_day(
        db_session, vote_day_id=DAY, date=dt.date(2026, 3, 8), titles={"de": "Abstimmung"}
    )
    return db_session


def referendum(
    key: str, unit: str, rule: str = "popular-majority", **extra: object
) -> QuestionDraft:
    return QuestionDraft(
        key=key, jurisdiction=unit, kind="referendum", rule=rule, titles=TITLE, **extra
    )  # type: ignore[arg-type]


def test_vote_day_validation(db_session: so.Session) -> None:
    day = dt.date(2026, 3, 8)
    with pytest.raises(InvalidVoteDay, match="lowercase"):
        create_vote_day(db_session, vote_day_id="March 8", date=day, titles=TITLE)
    with pytest.raises(InvalidVoteDay, match="revote_policy"):
        create_vote_day(db_session, vote_day_id=DAY, date=day, titles=TITLE, revote_policy="best")
    with pytest.raises(InvalidVoteDay, match="unknown language 'xx'"):
        create_vote_day(db_session, vote_day_id=DAY, date=day, titles={"xx": "?"})
    for bad in (-1, 10_001, True, "10"):
        with pytest.raises(InvalidVoteDay, match="minimum of electronic ballots"):
            create_vote_day(
                db_session, vote_day_id=DAY, date=day, titles=TITLE, min_electronic_ballots=bad
            )
    vote_day = create_vote_day(db_session, vote_day_id=DAY, date=day, titles=TITLE)
    assert (vote_day.status, vote_day.revote_policy) == ("draft", "first-counts")
    assert vote_day.min_electronic_ballots == 10
    with pytest.raises(DuplicateKey):
        create_vote_day(db_session, vote_day_id=DAY, date=day, titles=TITLE)
    with pytest.raises(InvalidVoteDay, match="status"):
        set_status(db_session, DAY, "running")


def test_ballot_groups_questions_by_tier_from_the_nation_down(tree: so.Session) -> None:
    add_question(tree, DAY, referendum("ww", "municipality:230"))
    add_question(tree, DAY, referendum("fed", "nation:CH", "double-majority", recommendation="yes"))
    add_question(tree, DAY, referendum("zh", "canton:ZH"))
    add_question(tree, DAY, referendum("be", "canton:BE"))
    set_status(tree, DAY, "open")
    ballot = ballot_for_unit(tree, DAY, get_unit(tree, "quarter:10230"))
    assert [(t.unit.ref, [q.key for q in t.questions]) for t in ballot] == [
        ("nation:CH", ["fed"]),
        ("canton:ZH", ["zh"]),
        ("municipality:230", ["ww"]),
    ]
    bern = ballot_for_unit(tree, DAY, get_unit(tree, "municipality:351"))
    assert [q.key for t in bern for q in t.questions] == ["fed", "be"]


def test_ballot_requires_an_open_vote_day(tree: so.Session) -> None:
    add_question(tree, DAY, referendum("fed", "nation:CH"))
    with pytest.raises(VoteDayNotOpen):
        ballot_for_unit(tree, DAY, get_unit(tree, "municipality:351"))
    sample = ballot_for_unit(tree, DAY, get_unit(tree, "municipality:351"), require_open=False)
    assert [t.unit.ref for t in sample] == ["nation:CH"]


def test_counter_proposal_and_crypto_specs(tree: so.Session) -> None:
    add_question(tree, DAY, referendum("fed", "nation:CH", "double-majority"))
    trio = add_counter_proposal(
        tree,
        DAY,
        initiative=QuestionDraft("init", "nation:CH", "initiative", TITLE),
        counter=QuestionDraft("init-counter", "nation:CH", "counter-proposal", TITLE),
        tiebreak=QuestionDraft(
            "init-tiebreak", "nation:CH", "tie-break", TITLE, recommendation="counter"
        ),
    )
    assert [q.rule for q in trio] == ["counter-proposal"] * 3
    assert {q.group_key for q in trio} == {"init"}
    assert trio[2].option_ids == ["initiative", "counter"]
    options = [{"id": c, "texts": {"de": c}} for c in ("a", "b", "c", "d")]
    add_question(
        tree,
        DAY,
        QuestionDraft(
            "pick",
            "municipality:230",
            "consultation",
            TITLE,
            options=options,
            min_selections=1,
            max_selections=2,
        ),
    )
    assert question_specs(tree, DAY) == [
        QuestionSpec("fed", 2, 0, 1),
        QuestionSpec("init", 2, 0, 1),
        QuestionSpec("init-counter", 2, 0, 1),
        QuestionSpec("init-tiebreak", 2, 0, 1),
        QuestionSpec("pick", 4, 1, 2),
    ]
    delete_question(tree, DAY, "init")
    assert [s.question_id for s in question_specs(tree, DAY)] == ["fed", "pick"]


@pytest.mark.parametrize(
    ("draft", "error", "message"),
    [
        (referendum("Bad Key", "nation:CH"), InvalidQuestion, "lowercase"),
        (referendum("r", "canton:ZH", "double-majority"), InvalidQuestion, "needs a nation"),
        (referendum("r", "nation:CH", "plurality"), InvalidQuestion, "rule must be one of"),
        (
            QuestionDraft("r", "nation:CH", "referendum", TITLE),
            InvalidQuestion,
            "rule must be one of",
        ),
        (referendum("r", "nation:CH", recommendation="maybe"), InvalidQuestion, "is no option"),
        (referendum("r", "nation:CH", max_selections=2), InvalidQuestion, "0 or 1 selection"),
        (referendum("r", "nation:CH", turnout_quorum="1/0"), InvalidQuestion, "fraction"),
        (referendum("r", "canton:XX"), UnitNotFound, "canton:XX"),
        (
            QuestionDraft("r", "nation:CH", "tie-break", TITLE),
            InvalidQuestion,
            "add_counter_proposal",
        ),
        (
            QuestionDraft(
                "c",
                "municipality:230",
                "consultation",
                TITLE,
                options=[{"id": "a", "texts": {"de": "A"}}],
            ),
            InvalidQuestion,
            "two options",
        ),
        (
            QuestionDraft(
                "c",
                "municipality:230",
                "consultation",
                TITLE,
                max_selections=3,
                options=[{"id": i, "texts": {"de": i}} for i in "ab"],
            ),
            InvalidQuestion,
            "<= 2",
        ),
        (
            QuestionDraft(
                "c",
                "municipality:230",
                "consultation",
                TITLE,
                options=[{"id": "a", "texts": {"de": "A"}}] * 2,
            ),
            InvalidQuestion,
            "repeated",
        ),
        (
            QuestionDraft("r", "nation:CH", "referendum", {}, rule="popular-majority"),
            InvalidQuestion,
            "titles",
        ),
    ],
)
def test_question_validation(
    tree: so.Session, draft: QuestionDraft, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        add_question(tree, DAY, draft)
    assert question_specs(tree, DAY) == []


def test_quorums_are_stored_exactly(tree: so.Session) -> None:
    question = add_question(
        tree, DAY, referendum("q", "municipality:230", turnout_quorum="2/8", approval_quorum=">1/2")
    )
    assert (question.turnout_quorum, question.approval_quorum) == ("1/4", ">1/2")
    with pytest.raises(DuplicateKey):
        add_question(tree, DAY, referendum("q", "canton:ZH"))


@pytest.mark.parametrize("status", ["open", "closed", "tallied", "published"])
def test_questions_freeze_when_the_vote_day_opens(tree: so.Session, status: str) -> None:
    add_question(tree, DAY, referendum("fed", "nation:CH"))
    for editable in ("key-ceremony", "credentials"):
        set_status(tree, DAY, editable)
        update_texts(tree, DAY, "fed", titles={"de": f"Frage ({editable})"})
    set_status(tree, DAY, status)
    with pytest.raises(QuestionsFrozen, match=f"frozen: it is {status}"):
        update_texts(tree, DAY, "fed", titles={"de": "geändert"})
    with pytest.raises(QuestionsFrozen):
        add_question(tree, DAY, referendum("late", "canton:ZH"))
    with pytest.raises(QuestionsFrozen):
        delete_question(tree, DAY, "fed")
    # Even a direct ORM edit is refused at flush time.
    question: Question = get_question(tree, DAY, "fed")
    question.titles = {"de": "hinterrücks"}
    with pytest.raises(QuestionsFrozen, match="cannot change"):
        tree.commit()
    tree.rollback()
    assert get_question(tree, DAY, "fed").titles == {"de": "Frage (credentials)"}


def test_demo_loads_idempotently(db_session: so.Session) -> None:
    first = list(load_demo())
    assert any("6 questions on three tiers" in line for line in first)
    second = list(load_demo())
    assert any("already loaded" in line for line in second)
    specs = question_specs(db_session, "2026-06-14-ch")
    assert [s.question_id for s in specs][:4] == [
        "bike-paths",
        "housing",
        "housing-counter",
        "housing-tiebreak",
    ]
    ballot = ballot_for_unit(
        db_session, "2026-06-14-ch", get_unit(db_session, "quarter:10230"), require_open=False
    )
    assert [t.unit.level for t in ballot] == ["nation", "canton", "municipality"]
