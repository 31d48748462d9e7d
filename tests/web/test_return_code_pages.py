"""The citizen's pages on a vote day with return codes (docs/return-codes.md).

The ballot form tells the page to prove partial codes; a ballot cast but not
confirmed is never presented as counted: its receipt and the "already voted"
answer say it is not counted until confirmed (or, when it is too late, to vote
by post); once confirmed, the receipt says it will be counted.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crypto.credentials import derive_credential
from tests.fixtures_casting import OpenVoteDay
from tests.returncode_authorities import CodedVoteDay
from tests.returncode_authorities import coded_vote_day
from voting.tools.client import VotingClient
from voting.tools.client import return_codes as device

WINTERTHUR = "municipality:230"
NOT_CONFIRMED = {
    "en": "Your ballot is cast but not confirmed",
    "de": "Ihre Stimme ist abgegeben, aber nicht bestätigt",
}


@pytest.fixture()
def coded(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], tmp_path: Path
) -> Iterator[CodedVoteDay]:
    with coded_vote_day(
        app, prepare_vote_day, tmp_path / "authorities", voters={WINTERTHUR: 2}
    ) as coded:
        yield coded


def _credential(coded: CodedVoteDay, code: str) -> str:
    return derive_credential(code, coded.vote_day).public_key.hex()


def test_the_ballot_form_asks_for_partial_codes_only_with_return_codes(
    client: FlaskClient, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    plain = prepare_vote_day(voters={WINTERTHUR: 1})
    code = plain.code(WINTERTHUR, 0)
    key = derive_credential(code, plain.vote_day).public_key.hex()
    page = client.get(f"/vote/{plain.vote_day}/ballot?credential={key}")
    assert page.status_code == 200 and b'data-return-codes="0"' in page.data


@pytest.mark.parametrize("lang", ["en", "de"])
def test_an_unconfirmed_ballot_is_never_shown_as_counted(
    client: FlaskClient, coded: CodedVoteDay, live_server: str, lang: str
) -> None:
    day, code = coded.vote_day, coded.opened.code(WINTERTHUR, 0)
    form = client.get(f"/vote/{day}/ballot?credential={_credential(coded, code)}&lang={lang}")
    assert b'data-return-codes="1"' in form.data
    voter = VotingClient(live_server)
    cast = device.cast_with_codes(voter, day, code, {"bike-paths": ["yes"]})
    tracking = cast.receipt.to_json()["tracking_code"]

    receipt = client.get(f"/vote/{day}/receipt/{tracking}?lang={lang}").get_data(as_text=True)
    assert NOT_CONFIRMED[lang] in receipt
    assert "it will be counted" not in receipt and "wird gezählt" not in receipt
    again = client.get(f"/vote/{day}/ballot?credential={_credential(coded, code)}&lang={lang}")
    text = again.get_data(as_text=True)
    assert "NOT counted" in text or "NICHT gezählt" in text
    assert "it is the one that counts" not in text

    assert device.confirm(voter, day, code, coded.cards[code].bck) == coded.cards[code].vcc
    receipt = client.get(f"/vote/{day}/receipt/{tracking}?lang={lang}").get_data(as_text=True)
    assert NOT_CONFIRMED[lang] not in receipt
    again = client.get(f"/vote/{day}/ballot?credential={_credential(coded, code)}&lang={lang}")
    assert "NOT counted" not in again.get_data(as_text=True)
