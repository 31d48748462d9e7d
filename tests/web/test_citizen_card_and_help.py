"""Issue 17's citizen pages on the server: the ballot's language, "already voted" at
code entry, receipts in plain words, "no electronic ballot with my card", help,
accessibility and the home page's links (the browser walks them in
tests/browser/test_citizen_languages.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from crypto.encoding import canonical_json
from crypto.receipt import tracking_code
from tests.fixtures_casting import OpenVoteDay
from tests.web.test_citizen_pages import ANSWERS
from tests.web.test_citizen_pages import PAGE
from tests.web.test_citizen_pages import VOTE_DAY
from tests.web.test_citizen_pages import assert_csp_safe
from tests.web.test_citizen_pages import key_of
from voting.app.i18n import LANGUAGES
from voting.tools.client import VotingClient


@pytest.fixture()
def opened(prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    return prepare_vote_day()


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("de", "Bundesbeschluss über die Velowege"),
        ("fr", "Arrêté fédéral concernant les voies cyclables"),
        ("it", "Decreto federale concernente le vie ciclabili"),
        ("en", "Federal decree on cycle paths"),
        ("ko", "자전거 도로에 관한 연방 결의"),
    ],
)
def test_the_ballot_form_is_in_the_language_the_page_asks_for(
    client: FlaskClient, opened: OpenVoteDay, language: str, title: str
) -> None:
    # The page asks without cookies (credentials: 'omit'), whatever the browser prefers.
    query = {"credential": key_of(opened.code()), "lang": language}
    html = client.get(
        f"{PAGE}/ballot", query_string=query, headers={"Accept-Language": "de-CH"}
    ).get_data(as_text=True)
    assert f"<legend>{title}" in html
    assert '<details class="explanation">' in html  # the explanation in place


def test_a_used_code_learns_it_at_code_entry_with_its_receipt(
    client: FlaskClient, live_server: str, opened: OpenVoteDay
) -> None:
    receipt = VotingClient(live_server).vote(VOTE_DAY, opened.code(), ANSWERS)
    response = client.get(f"{PAGE}/ballot", query_string={"credential": key_of(opened.code())})
    assert response.status_code == 200  # a recognised code: its attempt is given back
    html = response.get_data(as_text=True)
    assert_csp_safe(html)
    assert 'id="already-voted"' in html and "<fieldset" not in html
    code = tracking_code(receipt.leaf_hash)
    assert code in html and f"/vote/{VOTE_DAY}/receipt/{code}" in html
    other = client.get(f"{PAGE}/ballot", query_string={"credential": key_of(opened.code(n=1))})
    assert "<fieldset" in other.get_data(as_text=True)  # another code still votes


def test_under_last_counts_a_used_code_gets_a_ballot_that_replaces_it(
    client: FlaskClient, live_server: str, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    opened = prepare_vote_day(revote_policy="last-counts")
    VotingClient(live_server).vote(VOTE_DAY, opened.code(), ANSWERS)
    html = client.get(
        f"{PAGE}/ballot", query_string={"credential": key_of(opened.code())}
    ).get_data(as_text=True)
    assert "<fieldset" in html and "casting this one replaces it" in html


def test_the_receipt_says_cast_with_the_fingerprint_or_audited_not_counted(
    client: FlaskClient, live_server: str, opened: OpenVoteDay
) -> None:
    voter = VotingClient(live_server)
    ballot, secrets = voter.prepare(VOTE_DAY, opened.code(), ANSWERS, purpose="audit")
    audit = voter.http.post(
        f"{live_server}/api/vote-days/{VOTE_DAY}/audits",
        data=json.dumps({"ballot": ballot.to_json(), "secrets": secrets.to_json()}),
        headers={"Content-Type": "application/json"},
    ).json()
    audited = client.get(f"{PAGE}/receipt/{audit['tracking_code']}").get_data(as_text=True)
    assert "Audited ballot — not counted" in audited and "has been cast" not in audited

    cast, _ = voter.prepare(VOTE_DAY, opened.code(), ANSWERS)
    receipt = voter.cast(VOTE_DAY, cast)
    html = client.get(f"{PAGE}/receipt/{tracking_code(receipt.leaf_hash)}").get_data(as_text=True)
    assert "Your vote has been cast" in html
    digest = hashlib.sha256(canonical_json(cast.unsigned_json())).hexdigest()[:24]
    shown = " ".join(digest[i : i + 4] for i in range(0, 24, 4))  # as vote.js shows it
    assert f'<code class="mono" id="receipt-fingerprint">{shown}</code>' in html
    assert '<details class="technical">' in html


def test_the_card_check_answers_yes_or_no_and_nothing_more(
    client: FlaskClient, live_server: str, opened: OpenVoteDay
) -> None:
    url = f"{PAGE}/card/status"
    unused = client.get(url, query_string={"credential": key_of(opened.code())})
    assert unused.status_code == 200 and unused.get_json() == {"cast": False}
    assert unused.headers["Cache-Control"] == "no-store"
    VotingClient(live_server).vote(VOTE_DAY, opened.code(), ANSWERS)
    used = client.get(url, query_string={"credential": key_of(opened.code())})
    assert used.get_json() == {"cast": True}  # no tracking code, entry or time
    assert client.get(url, query_string={"credential": "00" * 32}).status_code == 404
    assert client.get(url, query_string={"credential": "zz"}).status_code == 400


def test_an_audit_alone_is_not_an_electronic_ballot_cast(
    client: FlaskClient, live_server: str, opened: OpenVoteDay
) -> None:
    voter = VotingClient(live_server)
    ballot, secrets = voter.prepare(VOTE_DAY, opened.code(), ANSWERS, purpose="audit")
    voter.http.post(
        f"{live_server}/api/vote-days/{VOTE_DAY}/audits",
        data=json.dumps({"ballot": ballot.to_json(), "secrets": secrets.to_json()}),
        headers={"Content-Type": "application/json"},
    ).raise_for_status()
    answer = client.get(f"{PAGE}/card/status", query_string={"credential": key_of(opened.code())})
    assert answer.get_json() == {"cast": False}


@pytest.mark.parametrize("language", LANGUAGES)
def test_card_help_and_accessibility_pages_in_every_language(
    client: FlaskClient, opened: OpenVoteDay, language: str
) -> None:
    for url in (f"{PAGE}/card", "/help", "/accessibility"):
        response = client.get(url, query_string={"lang": language})
        assert response.status_code == 200, url
        markup = assert_csp_safe(response.get_data(as_text=True))
        assert markup.html_lang == language


def test_the_home_page_links_where_citizens_observers_and_officials_go(
    client: FlaskClient, opened: OpenVoteDay
) -> None:
    html = client.get("/").get_data(as_text=True)
    for href in (
        "/vote/",
        f"/vote/{VOTE_DAY}/check",
        f"/vote/{VOTE_DAY}/card",
        "/help",
        "/accessibility",
        "/observe/",
        f"/observe/{VOTE_DAY}/log/",
        "/observe/verify",
        "/login",
    ):
        assert f'href="{href}"' in html, href


def test_a_mistyped_tracking_code_is_shown_for_the_page_to_explain(
    client: FlaskClient, opened: OpenVoteDay
) -> None:
    response = client.get(f"{PAGE}/check", query_string={"code": "ABCD-EFG", "lang": "fr"})
    assert response.status_code == 200  # the page names the mistake in French, not a 400
    assert 'value="ABCD-EFG"' in response.get_data(as_text=True)
