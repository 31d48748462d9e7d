"""``python -m voting.client questions``: a voter on the command line learns what to answer
(issue 17), from a live test server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures_casting import OpenVoteDay
from voting.tools.client.__main__ import main
from voting.tools.client.questions import text_in


@pytest.fixture()
def opened(prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    return prepare_vote_day()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_questions_lists_every_question_and_option_in_the_chosen_language(
    live_server: str, opened: OpenVoteDay, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "questions", live_server, opened.vote_day, "--lang", "de")
    assert code == 0
    assert "Bundesbeschluss über die Velowege" in out  # the demo's German title
    assert "Schweiz (nation:CH)" in out and "Winterthur (municipality:230)" in out
    for question in ("bike-paths", "housing-tiebreak", "zh-tax-law", "winterthur-square"):
        assert f"  {question}: " in out
    assert "options: initiative, counter" in out
    assert "options: eulach, sulzer, toess" in out
    assert "--answer QUESTION=OPTION" in out
    code, english, _ = _run(capsys, "questions", live_server, opened.vote_day)
    assert "Federal decree on cycle paths" in english and "Velowege" not in english


def test_a_title_missing_in_the_language_is_shown_in_another_and_marked(
    live_server: str, opened: OpenVoteDay, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "questions", live_server, opened.vote_day, "--lang", "it")
    assert code == 0
    assert "Decreto federale concernente le vie ciclabili" in out  # it exists in Italian
    assert "[en]" not in out  # the demo has every title in Italian
    # A title missing in the language (a manifest in German and English only):
    titles = {"de": "Stadt Winterthur: Name des neuen Platzes", "en": "Winterthur: the square"}
    assert text_in(titles, "it") == "Winterthur: the square [en]"
    assert text_in({"de": "nur Deutsch"}, "ko") == "nur Deutsch [de]"


def test_with_a_code_only_the_voters_own_ballot_is_listed(
    live_server: str, opened: OpenVoteDay, capsys: pytest.CaptureFixture[str]
) -> None:
    elsau = opened.code("municipality:219")
    code, out, _ = _run(capsys, "questions", live_server, opened.vote_day, "--code", elsau)
    assert code == 0
    assert "  bike-paths: " in out and "  zh-tax-law: " in out
    assert "winterthur-square" not in out


def test_an_unknown_vote_day_or_code_is_refused_with_a_message(
    live_server: str, opened: OpenVoteDay, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "questions", live_server, "2099-01-01-xx")
    assert code == 1 and out == ""
    assert "refused" in err and "2099-01-01-xx" in err
    code, out, err = _run(
        capsys, "questions", live_server, opened.vote_day, "--code", "AAAA-BBBB-CCCC-DDDD"
    )
    assert code in (1, 2) and out == ""
    assert err.strip()


def test_text_in_prefers_the_language_then_english_then_any() -> None:
    assert text_in({"de": "Ja", "en": "Yes"}, "de") == "Ja"
    assert text_in({"de": "Ja", "en": "Yes"}, "fr") == "Yes [en]"
    assert text_in({"ko": "찬성"}, "fr") == "찬성 [ko]"
    assert text_in({}, "fr") == ""


def test_a_vote_that_leaves_questions_unanswered_says_which(
    live_server: str, opened: OpenVoteDay, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys,
        "vote",
        "--server",
        live_server,
        "--vote-day",
        opened.vote_day,
        "--code",
        opened.code(),
        "--answer",
        "bike-paths=yes",
        "--answer",
        "housing=blank",
    )
    assert code == 0 and "cast: tracking code" in out
    assert "not answered, so left blank: housing-counter, housing-tiebreak" in err
    assert "bike-paths" not in err.split("blank:")[1].split("(")[0]
    assert "housing," not in err
