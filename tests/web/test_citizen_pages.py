"""The citizens' pages rendered on the server: content, languages, CSP-safe markup, limits."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crypto.credentials import derive_credential
from crypto.receipt import Receipt
from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.app.i18n import LANGUAGES
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.models.officials import RateCounter
from voting.rehearsal.demo import load_demo
from voting.tools.client import VotingClient

VOTE_DAY = "2026-06-14-ch"
PAGE = f"/vote/{VOTE_DAY}"
ANSWERS = {"bike-paths": ["yes"], "zh-tax-law": ["no"], "winterthur-square": ["eulach"]}


class Markup(HTMLParser):
    """Collects what the Content-Security-Policy cares about, and the page's ids."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self.ids: list[str] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html_lang = found.get("lang")
        if tag == "script":
            self.scripts.append(found)
        if tag == "style":
            self.inline.append("<style>")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag} {name}")
        if found.get("id"):
            self.ids.append(str(found["id"]))


def parse(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    return markup


def assert_csp_safe(html: str) -> Markup:
    markup = parse(html)
    assert markup.inline == []
    for script in markup.scripts:
        assert script.get("src", "").startswith("/static/js/pages/"), script  # type: ignore[union-attr]
        assert script.get("type") == "module"
    assert len(markup.ids) == len(set(markup.ids)), "ids must be unique"
    return markup


def key_of(code: str) -> str:
    return derive_credential(code, VOTE_DAY).public_key.hex()


@pytest.fixture()
def opened(prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    return prepare_vote_day()


def test_vote_day_readable_without_a_code_before_opening(app: Flask, client: FlaskClient) -> None:
    list(load_demo())
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    markup = assert_csp_safe(html)
    assert markup.scripts == []  # nothing to encrypt before opening
    assert "code-form" not in markup.ids
    assert "Voting has not opened yet" in html
    order = [html.index(t) for t in ("Switzerland", "Zurich", "Winterthur")]
    assert order == sorted(order), "tiers from the nation down"
    assert "Federal decree on cycle paths" in html
    assert "Federal Constitution Art. 140" in html  # the explanation
    assert "The authorities recommend: <strong>Yes</strong>" in html
    assert "The authorities make no recommendation." in html  # the consultation


def test_open_vote_day_has_labelled_code_entry_and_one_module(
    client: FlaskClient, opened: OpenVoteDay
) -> None:
    html = client.get(PAGE).get_data(as_text=True)
    markup = assert_csp_safe(html)
    assert [s["src"] for s in markup.scripts] == ["/static/js/pages/vote.js"]
    assert '<label for="code">' in html
    assert 'aria-describedby="code-hint code-error"' in html
    assert 'role="status"' in html and 'role="alert"' in html
    assert 'class="skip" href="#main"' in html


def test_ballot_form_for_a_credential_is_grouped_by_tier(
    client: FlaskClient, opened: OpenVoteDay
) -> None:
    response = client.get(f"{PAGE}/ballot", query_string={"credential": key_of(opened.code())})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    markup = assert_csp_safe(html)
    fieldsets = [i.removeprefix("q-") for i in markup.ids if i.count("-") and i.startswith("q-")]
    questions = [i for i in fieldsets if not i[-1].isdigit() and not i.endswith("-blank")]
    assert questions == [
        "bike-paths",
        "housing",
        "housing-counter",
        "housing-tiebreak",
        "zh-tax-law",
        "winterthur-square",
    ]
    assert html.count("<fieldset") == 6 and html.count("<legend>") == 6
    assert 'id="q-bike-paths-blank"' in html  # explicit blank choice for a referendum
    assert re.search(r'data-options="3"\s+data-min="0"\s+data-max="1"', html)  # consultation
    assert f'data-election-key="{opened.trustees.key.public_key.hex()}"' in html
    elsau = client.get(
        f"{PAGE}/ballot", query_string={"credential": key_of(opened.code("municipality:219"))}
    )
    assert "winterthur-square" not in elsau.get_data(as_text=True)


@pytest.mark.parametrize(("credential", "status"), [("00" * 32, 404), ("zz", 400), (None, 400)])
def test_ballot_form_refuses_unknown_or_malformed_credentials(
    client: FlaskClient, opened: OpenVoteDay, credential: str | None, status: int
) -> None:
    query = {} if credential is None else {"credential": credential}
    assert client.get(f"{PAGE}/ballot", query_string=query).status_code == status


def test_failed_code_lookups_are_rate_limited_per_address(
    app: Flask, client: FlaskClient, opened: OpenVoteDay
) -> None:
    app.config["URNA_CODE_LIMIT"] = (3, 900)
    known = {"credential": key_of(opened.code())}
    for _ in range(5):  # recognised codes give their attempt back
        assert client.get(f"{PAGE}/ballot", query_string=known).status_code == 200
    for n in range(3):
        unknown = {"credential": f"{n:064x}"}
        assert (
            client.get(f"/api/vote-days/{VOTE_DAY}/ballot", query_string=unknown).status_code == 404
        )
    refused = client.get(f"/api/vote-days/{VOTE_DAY}/ballot", query_string=known)
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "too_many_attempts"
    assert client.get(f"{PAGE}/ballot", query_string=known).status_code == 429


def test_casting_is_rate_limited_per_credential(
    app: Flask, live_server: str, opened: OpenVoteDay
) -> None:
    # Only attempts whose signature verified count (audits are verified in full).
    app.config["URNA_CAST_LIMIT"] = (2, 900)
    voter = VotingClient(live_server)
    url = f"{live_server}/api/vote-days/{VOTE_DAY}/audits"
    headers = {"Content-Type": "application/json"}
    statuses = []
    for _ in range(3):
        ballot, secrets = voter.prepare(VOTE_DAY, opened.code(), ANSWERS, purpose="audit")
        body = json.dumps({"ballot": ballot.to_json(), "secrets": secrets.to_json()})
        statuses.append(voter.http.post(url, data=body, headers=headers).status_code)
    assert statuses == [201, 201, 429]
    other, _ = voter.prepare(VOTE_DAY, opened.code(n=1), ANSWERS)  # another code is not affected
    assert voter.cast(VOTE_DAY, other).index > 0


def _cast_attempts(credential: str) -> int | None:
    db.session.rollback()  # a fresh snapshot: the server committed in its own threads
    row = db.session.get(RateCounter, f"cast:{credential}")
    return None if row is None else row.count


def test_a_cast_attempt_counts_for_its_credential_once_its_signature_verified(
    app: Flask, live_server: str, opened: OpenVoteDay
) -> None:
    # On PostgreSQL the attempt is counted in the cast's own transaction; on
    # SQLite committed once the signature verified. A refusal before that
    # (bad signature, duplicate) counts as the client's junk, not the credential's.
    app.config["URNA_CAST_LIMIT"] = (4, 900)
    voter = VotingClient(live_server)
    ballot, _ = voter.prepare(VOTE_DAY, opened.code(), ANSWERS)
    credential = ballot.credential.hex()
    url = f"{live_server}/api/vote-days/{VOTE_DAY}/ballots"
    headers = {"Content-Type": "application/json"}
    size = bulletin.log_size(db.session, VOTE_DAY)

    def post(data: dict) -> int:
        return voter.http.post(url, data=json.dumps(data), headers=headers).status_code

    tampered = ballot.to_json()
    tampered["answers"][0]["sum_proof"][0]["c"] = "00" * 32  # neither signature nor proof hold
    assert post(tampered) == 400  # refused before the signature held: not the credential's
    assert _cast_attempts(credential) is None
    assert bulletin.log_size(db.session, VOTE_DAY) == size
    assert post(ballot.to_json()) == 201  # accepted: counted with the ballot
    assert _cast_attempts(credential) == 1
    assert post(ballot.to_json()) == 409  # the first ballot counts: refused cheaply
    assert _cast_attempts(credential) == 1
    assert bulletin.log_size(db.session, VOTE_DAY) == size + 1


def test_receipt_page_download_and_check_page(
    client: FlaskClient, live_server: str, opened: OpenVoteDay
) -> None:
    receipt = VotingClient(live_server).vote(VOTE_DAY, opened.code(), ANSWERS)
    code = receipt.to_json()["tracking_code"]
    page = client.get(f"{PAGE}/receipt/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    markup = assert_csp_safe(html)
    assert [s["src"] for s in markup.scripts] == ["/static/js/pages/receipt.js"]
    assert code in html and f"Entry {receipt.index}" in html
    log_key = str(log_signing().verifier_key(log_signing().origin_for(VOTE_DAY)))
    assert f'data-log-key="{log_key}"' in html
    bulletin.issue_checkpoint(db.session, VOTE_DAY, log_signing(), interval=dt.timedelta(0))
    download = client.get(f"{PAGE}/receipt/{code.lower()}/download")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    saved = Receipt.from_json(download.get_json())
    assert saved.leaf_hash == receipt.leaf_hash and saved.checkpoint is not None
    check = client.get(f"{PAGE}/check", query_string={"code": code.replace("-", "").lower()})
    html = check.get_data(as_text=True)
    assert_csp_safe(html)
    assert f'value="{code}"' in html and f'data-log-key="{log_key}"' in html


@pytest.mark.parametrize(("code", "status"), [("NOT-A-CODE", 400), ("A" * 52, 404)])
def test_receipt_page_refuses_bad_and_unknown_codes(
    client: FlaskClient, opened: OpenVoteDay, code: str, status: int
) -> None:
    assert client.get(f"{PAGE}/receipt/{code}").status_code == status


def test_unknown_vote_day_is_404_page(client: FlaskClient) -> None:
    response = client.get("/vote/no-such-day")
    assert response.status_code == 404
    assert_csp_safe(response.get_data(as_text=True))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_citizen_page_in_every_language(
    client: FlaskClient, opened: OpenVoteDay, language: str
) -> None:
    query = {"lang": language}
    urls = ["/", "/vote/", PAGE, f"{PAGE}/check"]
    for url in urls:
        response = client.get(url, query_string=query)
        assert response.status_code == 200, url
        markup = assert_csp_safe(response.get_data(as_text=True))
        assert markup.html_lang == language
    fragment = client.get(
        f"{PAGE}/ballot", query_string={**query, "credential": key_of(opened.code())}
    )
    assert_csp_safe(fragment.get_data(as_text=True))


def test_language_from_parameter_cookie_then_accept_language(
    client: FlaskClient, opened: OpenVoteDay
) -> None:
    german = client.get(PAGE, query_string={"lang": "de"}, headers={"Accept-Language": "fr"})
    assert 'lang="de"' in german.get_data(as_text=True)
    assert "Die Vorlagen dieses Abstimmungstages" in german.get_data(as_text=True)
    assert "Bundesbeschluss über die Velowege" in german.get_data(as_text=True)
    assert "urna_lang=de" in german.headers["Set-Cookie"]
    remembered = client.get(PAGE, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="de">' in remembered
    assert '<a href="/vote/2026-06-14-ch?lang=de" lang="de" hreflang="de"' in remembered
    client.delete_cookie("urna_lang")
    french = client.get(PAGE, headers={"Accept-Language": "fr-CH, en;q=0.5"})
    assert '<html lang="fr">' in french.get_data(as_text=True)
    assert "Journée de votation de démonstration" in french.get_data(as_text=True)
    ignored = client.get(PAGE, query_string={"lang": "xx"}, headers={"Accept-Language": "it"})
    assert '<html lang="it">' in ignored.get_data(as_text=True)
    assert "Set-Cookie" not in ignored.headers


def test_missing_translations_fall_back_with_a_lang_attribute(
    client: FlaskClient, opened: OpenVoteDay
) -> None:
    html = client.get(PAGE, query_string={"lang": "ko"}).get_data(as_text=True)
    assert "이 투표일의 안건" in html  # the interface is Korean
    assert "자전거 도로에 관한 연방 결의" in html  # the demo's own Korean title
    assert '<span lang="de">Winterthur</span>' in html  # the unit has only a German name
    italian = client.get(PAGE, query_string={"lang": "it"}).get_data(as_text=True)
    assert "Decreto federale concernente le vie ciclabili" in italian
    assert "Cantone di Zurigo: modifica della legge tributaria" in italian
    assert '<span lang="de">Winterthur</span>' in italian  # the unit has only a German name
