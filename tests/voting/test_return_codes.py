"""Return codes end to end (docs/return-codes.md): setup with 4 authorities, cast, compare
the codes with the card, confirm, tally, verify — through real HTTP with the Python client."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
from flask import Flask

from crypto.encoding import canonical_json
from crypto.group import Point
from crypto.group import Scalar
from tests.fixtures_casting import OpenVoteDay
from tests.record_schemas import errors
from tests.record_schemas import second_validator
from tests.returncode_authorities import WINTERTHUR
from tests.returncode_authorities import AuthorityServer
from tests.returncode_authorities import CodedVoteDay
from tests.returncode_authorities import make_authorities
from tests.returncode_authorities import set_up_return_codes
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import InvalidCredentialList
from voting.log import reads
from voting.models.returncodes import ReturnCodeEntry
from voting.models.tally import TallyUnit
from voting.models.votedays import VoteDay
from voting.registrar.card_texts import RETURN_CODE_TEXTS
from voting.registrar.cards import Card
from voting.registrar.cards import CardWriter
from voting.registrar.cards import card_text
from voting.registrar.returncodes import card_return_codes
from voting.services import return_codes
from voting.services.lifecycle import TransitionRefused
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import open_vote_day
from voting.services.record_export import export_record
from voting.services.return_code_setup import store_setup
from voting.services.tally import start_tally
from voting.tools.client import VotingClient
from voting.tools.client import return_codes as device
from voting.tools.verify import Options
from voting.tools.verify import verify_record
from voting.tools.verify.report import Report
from voting.tools.verify.return_code_checks import Authority
from voting.tools.verify.structure import parse_entries

RETURN_CODE_RECORDS = {"return-code-keys", "return-code-lookup", "return-codes", "confirmation"}


@pytest.fixture()
def authorities(tmp_path: Path) -> list[AuthorityServer]:
    """Four authorities, ``python -m voting.returncodes init`` each (set up and served by
    :func:`set_up_return_codes`)."""
    return make_authorities(tmp_path / "authorities", 4)


def verify(coded: CodedVoteDay, tmp_path: Path, app: Flask) -> dict[str, object]:
    record = tmp_path / "record"
    export_record(db.session, coded.vote_day, record, signing=log_signing(app))
    trusted = tuple(Authority(a.name, a.public_key) for a in coded.authorities)
    report = verify_record(record, Options(witnesses=0, return_code_authorities=trusted))
    return report.to_json()


def test_codes_match_the_card_confirm_gives_the_vcc_and_only_confirmed_count(
    app: Flask, coded: CodedVoteDay, live_server: str, tmp_path: Path
) -> None:
    client = VotingClient(live_server)
    day, first, second = (
        coded.vote_day,
        coded.opened.code(WINTERTHUR, 0),
        coded.opened.code(WINTERTHUR, 1),
    )
    answers = {"bike-paths": ["yes"], "winterthur-square": ["eulach"]}
    cast = device.cast_with_codes(client, day, first, answers)
    card = coded.cards[first]
    assert cast.codes  # every single-choice question has its code
    for question, shown in cast.codes.items():
        assert shown == card.choice_codes[question][cast.choices[question]]
    assert device.confirm(client, day, first, card.bck) == card.vcc
    assert device.confirm(client, day, first, card.bck) == card.vcc  # the same again
    unconfirmed = device.cast_with_codes(client, day, second, {})  # cast, never confirmed
    figures = return_codes.confirmation_figures(db.session, day)
    assert figures == {"cast": 2, "confirmed": 1, "unconfirmed": 1}
    assert return_codes.unconfirmed_ballots(db.session, day) == [unconfirmed.receipt.index]
    close_vote_day(db.session, day, signing=log_signing(app))
    start_tally(db.session, day, signing=log_signing(app))
    counted = db.session.scalar(
        sa.select(sa.func.sum(TallyUnit.ballots)).where(TallyUnit.vote_day_id == day)
    )
    assert counted == 1
    report = verify(coded, tmp_path, app)
    assert report["valid"], report
    assert report["facts"]["ballots"]["counted"] == 1
    assert report["facts"]["return_codes"] == {
        "with_codes": 2,
        "confirmed": 1,
        "unconfirmed_by_unit": {WINTERTHUR: 1},  # the voter's home unit
    }
    _match_schemas(day)


def _match_schemas(day: str) -> None:
    """Every record of the vote day matches its JSON Schema (docs/schemas/), the return-code
    ones included (tests/voting/test_record_schemas.py leaves those to this test)."""
    size = reads.log_size(db.session, day)
    records = [e.record for e in reads.get_entries(db.session, day, 0, size)]
    kinds = {r["type"] for r in records}
    assert RETURN_CODE_RECORDS <= kinds
    for index, record in enumerate(records):
        assert errors(record) == [], f"record {index} ({record['type']}): {errors(record)}"
        assert second_validator().is_valid(record), index
    for index, record in enumerate(records):  # a field no check reads: refused by both
        if record["type"] in RETURN_CODE_RECORDS:
            tampered = {**record, "note": "trust us"}
            leaves = [canonical_json(r) for r in records]
            leaves[index] = canonical_json(tampered)
            report = Report()
            parse_entries(report, leaves)
            assert report.failed("entries"), record["type"]
            assert any("'note' was unexpected" in e for e in errors(tampered))


@pytest.mark.parametrize("lang", ["de", "ko"])
def test_the_card_prints_each_questions_codes_the_bck_and_the_vcc(
    coded: CodedVoteDay, tmp_path: Path, lang: str
) -> None:
    """The card's back: a table per question (choice → code), then the BCK and the VCC, in the
    card's language; what a citizen compares is the text a screen reader reads too."""
    code = coded.opened.code(WINTERTHUR, 0)
    card = coded.cards[code]
    questions = [
        {"id": q.key, "titles": q.titles, "option_texts": [o["texts"] for o in q.options]}
        for q in db.session.get_one(VoteDay, coded.vote_day).questions
    ]
    printed = Card(
        coded.vote_day,
        "Abstimmung",
        "Winterthur",
        lang,
        code,
        card_return_codes(card, questions, lang),
    )
    path = tmp_path / "cards.pdf"
    with CardWriter(
        path, base_url="https://vote.example", document_title="Karten", lang=lang
    ) as writer:
        writer.add(printed)
    pdf = pdfium.PdfDocument(str(path))
    try:
        assert len(pdf) >= 2  # the front, then the codes on the back (and further pages)
        back = "".join(pdf[i].get_textpage().get_text_range() for i in range(1, len(pdf)))
        metadata = pdf.get_metadata_dict()
    finally:
        pdf.close()
    assert (metadata["Title"], metadata["Author"]) == ("Karten", "Urna registrar")
    assert f"/Lang ({lang})".encode() in path.read_bytes()  # the catalog's language
    assert b"/DisplayDocTitle true" in path.read_bytes()
    plain = card_text(printed, base_url="https://vote.example")  # the accessible alternative
    assert RETURN_CODE_TEXTS[lang]["heading"] in plain and code in plain
    for table in printed.return_codes.tables:  # type: ignore[union-attr]
        start = plain.index(table.title)  # each table in reading order: answer, then its code
        for choice, value in table.rows:
            row = f"- {choice}: {value}"
            assert row in plain[start:]
            start = plain.index(row, start)
    assert RETURN_CODE_TEXTS[lang]["heading"] in back
    for codes in card.choice_codes.values():
        assert len(set(codes.values())) == len(codes)  # distinct within a question
        for shown in codes.values():
            assert shown in back
    assert " ".join(card.bck[i : i + 3] for i in (0, 3, 6)) in back
    assert f"{card.vcc[:4]} {card.vcc[4:]}" in back
    if lang == "de":
        assert "Ja" in back and "leer" in back


def test_opening_refuses_a_setup_made_for_another_manifest(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    authorities: list[AuthorityServer],
) -> None:
    """The authorities pinned the manifest hash at setup: a question changed afterwards
    would make them refuse every ballot, so opening refuses and says to redo the setup."""
    opened = prepare_vote_day(open_it=False, voters={WINTERTHUR: 1})
    set_up_return_codes(app, opened, authorities, open_it=False)
    question = db.session.get_one(VoteDay, opened.vote_day).questions[0]
    question.titles = {**question.titles, "en": "Another question"}
    db.session.commit()
    with pytest.raises(TransitionRefused, match="redo the return-code setup"):
        open_vote_day(db.session, opened.vote_day, signing=log_signing(app))
    assert db.session.get_one(VoteDay, opened.vote_day).status == "credentials"


def test_setup_documents_that_do_not_fit_are_refused_whole(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    authorities: list[AuthorityServer],
) -> None:
    """The registrar's upload: a credential that is not registered, a point that is not a
    group element, an entry twice, or a second upload — refused, nothing stored."""
    opened = prepare_vote_day(open_it=False, voters={WINTERTHUR: 1})
    set_up_return_codes(app, opened, authorities, open_it=False)
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(ReturnCodeEntry))
    point = Point.base_times(Scalar.from_int(7)).hex()
    good = {
        "vote_day": opened.vote_day,
        "manifest_hash": "00" * 32,
        "voters": [{"credential": "11" * 32, "voter_key": point, "authority_keys": [point] * 4}],
        "lookup": [["44" * 32, "55" * 48]],
    }
    for bad, message in (
        (good, "already"),  # a second upload
        ({**good, "lookup": [["44" * 32, "55" * 48]] * 2}, "twice"),
        ({**good, "voters": [{**good["voters"][0], "voter_key": "ff" * 32}]}, "group element"),
        ({**good, "voters": [{**good["voters"][0], "authority_keys": [point] * 3}]}, "4 authority"),
        ({**good, "vote_day": "another-day"}, "not"),
    ):
        with pytest.raises(InvalidCredentialList, match=message):
            store_setup(db.session, opened.vote_day, bad)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReturnCodeEntry)) == stored
