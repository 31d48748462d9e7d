"""Attacks on "no electronic ballot with my card" (docs/threat-model.md, "Citizen pages").

The card check answers, for a credential's public key, whether an electronic
ballot was cast with it. A stranger can ask it about any key; what they could
gain is a way to test guessed codes faster than at code entry, or to learn
more than the public record says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures_casting import OpenVoteDay
from tests.web.test_citizen_pages import ANSWERS
from tests.web.test_citizen_pages import PAGE
from tests.web.test_citizen_pages import VOTE_DAY
from tests.web.test_citizen_pages import key_of
from voting.tools.client import VotingClient


@pytest.fixture()
def opened(prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    return prepare_vote_day()


def test_guessing_codes_at_the_card_check_is_limited_with_code_entry(
    app: Flask, client: FlaskClient, opened: OpenVoteDay
) -> None:
    """Unknown keys use up the client's code-entry attempts: the two pages share one budget."""
    app.config["URNA_CODE_LIMIT"] = (3, 900)
    known = {"credential": key_of(opened.code())}
    for _ in range(5):  # a recognised code gives its attempt back
        assert client.get(f"{PAGE}/card/status", query_string=known).status_code == 200
    for n in range(3):
        guess = {"credential": f"{n + 1:064x}"}
        assert client.get(f"{PAGE}/card/status", query_string=guess).status_code == 404
    refused = client.get(f"{PAGE}/card/status", query_string=known)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert client.get(f"{PAGE}/ballot", query_string=known).status_code == 429


def test_the_answer_is_what_the_public_log_already_says(
    client: FlaskClient, live_server: str, opened: OpenVoteDay
) -> None:
    """Credentials and the ballots that name them are public: the check adds only yes/no."""
    receipt = VotingClient(live_server).vote(VOTE_DAY, opened.code(), ANSWERS)
    entry = client.get(f"/api/logs/{VOTE_DAY}/entries/{receipt.index}").get_json()
    logged = json.loads(entry["data"])["ballot"]["credential"]
    assert logged == key_of(opened.code())  # anyone reading the log sees this key voted
    answer = client.get(f"{PAGE}/card/status", query_string={"credential": logged})
    assert answer.get_json() == {"cast": True}
    assert set(answer.get_json()) == {"cast"}


def test_already_voted_at_code_entry_shows_only_what_the_log_shows(
    client: FlaskClient, live_server: str, opened: OpenVoteDay
) -> None:
    """A stranger naming a voter's public key learns the tracking code of its ballot: the
    log's own leaf for a ballot that names that key, readable by anyone."""
    receipt = VotingClient(live_server).vote(VOTE_DAY, opened.code(), ANSWERS)
    entry = client.get(f"/api/logs/{VOTE_DAY}/entries/{receipt.index}").get_json()
    key = json.loads(entry["data"])["ballot"]["credential"]  # public: read from the log
    html = client.get(f"{PAGE}/ballot", query_string={"credential": key}).get_data(as_text=True)
    shown = set(re.findall(r"[A-Z2-7]{4}(?:-[A-Z2-7]{1,4}){12}", html))
    assert shown == {receipt.to_json()["tracking_code"]}
    assert "<fieldset" not in html and str(receipt.index) in html
