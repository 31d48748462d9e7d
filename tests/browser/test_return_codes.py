"""Return codes in the citizen's browser, on the demo (issue 18, docs/return-codes.md).

The demo as ``flask --app app demo`` sets it up (with return codes: four demo
authorities, the real tool, serving on loopback ports). Per language: a
citizen casts, the page lists each answer with its choice code and the codes
are the demo card's; a mistyped casting key is caught on the device (no try
spent), a wrong one is refused by the authorities (a try spent), the card's key
typed with spaces and a dash confirms, and the vote cast code shown is the
card's. axe-core finds no violation (any impact) at 320 and 1280 px on the
codes and the confirmation; screenshots go to
``build/screenshots/return-codes/<language>/``.

Coming back (``.../<language>-again/``): a citizen casts, leaves without
confirming and enters the voting code again: the page shows the ballot's
choice codes (the card's) and the tries left; a wrong key says so with one try
less and asks again; the citizen leaves, comes back to the same tries left,
types the card's key and sees the vote cast code, which coming back once more
shows again. After five wrong keys, coming back says plainly that the ballot
will not be counted.

Observers (last: it closes and tallies the demo vote day): the results page
shows, per unit and in all, the ballots cast but never confirmed, in five
languages, axe-clean (``.../results-<language>/``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect
from werkzeug.serving import make_server

from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.returncode_table import damm_check_digit
from crypto.returncodes import derive_voter_secret
from tests.browser.conftest import AXE
from tests.browser.conftest import SCREENSHOTS
from tests.browser.conftest import VOTE_DAY
from voting.app import create_app
from voting.app.extensions import db
from voting.app.i18n import LANGUAGES
from voting.rehearsal.demo import load_demo
from voting.rehearsal.demo_returncodes import demo_cards
from voting.rehearsal.demo_returncodes import serve_demo_authorities
from voting.rehearsal.demo_tally import tally_demo
from voting.rehearsal.demo_vote import DEMO_VOTERS
from voting.rehearsal.demo_vote import demo_folder
from voting.rehearsal.demo_vote import open_demo_vote_day
from voting.services.results import results
from voting.services.return_codes import confirmation_state

WINTERTHUR = "quarter:10230"
CHOSEN = {"bike-paths": "0", "housing": "1"}
"""What each citizen answers (option index); every other question is left blank."""
CONFIRMED = {
    "de": "Ihre Stimme ist bestätigt",
    "fr": "Votre vote est confirmé",
    "it": "Il suo voto è confermato",
    "en": "Your vote is confirmed",
    "ko": "투표가 확정되었습니다",
}


@dataclass(frozen=True)
class CodedSite:
    url: str
    app: Flask
    codes: list[str]
    """Winterthur Altstadt voting codes, one per language"""
    again: list[str]
    """more of them, one per language, for coming back to an unconfirmed ballot"""
    exhausted: str
    """one more, for five wrong keys"""
    observed: str
    """one more, cast and never confirmed, before the observers' results"""
    cards: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def coded_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CodedSite]:
    folder = tmp_path_factory.mktemp("browser-return-codes")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-return-codes",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'urna.sqlite'}",
            "URNA_INSTANCE": str(folder),
            "URNA_LOG_KEY_PATH": str(folder / "log-signing.key"),
            "URNA_DEMO": True,
        }
    )
    with app.app_context():
        upgrade()
        list(load_demo())
        demo = [(unit, generate_code()) for unit, count in DEMO_VOTERS for _ in range(count)]
        extra = [(WINTERTHUR, generate_code()) for _ in range(2 * len(LANGUAGES) + 2)]
        path = demo_folder(app) / "voting-codes.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        entries = [{"unit": u, "name": "", "code": c} for u, c in demo + extra]
        path.write_text(json.dumps({"vote_day": VOTE_DAY, "codes": entries}), encoding="utf-8")
        list(open_demo_vote_day(app))  # the demo's default: return codes
        running = serve_demo_authorities(demo_folder(app), VOTE_DAY)
        cards = demo_cards(demo_folder(app))
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        codes = [code for _, code in extra]
        n = len(LANGUAGES)
        yield CodedSite(url, app, codes[:n], codes[n : 2 * n], codes[2 * n], codes[-1], cards)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        running.stop()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe violation (any impact) of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in found
    ]


class Walk:
    """Numbered screenshots of one language's walk, each at 1280 and 320 px, axe-checked."""

    def __init__(self, page: Page, language: str) -> None:
        self.page = page
        self.folder = SCREENSHOTS / "return-codes" / language
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0
        self.violations: dict[str, list[dict[str, Any]]] = {}

    def __call__(self, name: str) -> None:
        self.count += 1
        for width in (1280, 320):
            self.page.set_viewport_size({"width": width, "height": 900})
            path = self.folder / f"{self.count:02d}-{name}-{width}px.png"
            self.page.screenshot(path=str(path), full_page=True)
            found = axe_violations(self.page)
            if found:
                self.violations[f"{name}@{width}"] = found
        self.page.set_viewport_size({"width": 1280, "height": 900})


def _wrong_key(bck: str) -> str:
    """A well-formed ballot casting key (right check digit) that is not the card's."""
    body = f"{(int(bck[:8]) + 1) % 10**8:08d}"
    return body + damm_check_digit(body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_citizen_compares_the_codes_and_confirms(
    browser: Browser, coded_site: CodedSite, language: str
) -> None:
    code = coded_site.codes[LANGUAGES.index(language)]
    card = coded_site.cards[code]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sent: list[str] = []  # everything the page sends: never the code, x_c or the casting key
    page.on("request", lambda r: sent.append(f"{r.url} {r.post_data or ''}"))
    walk = Walk(page, language)
    try:
        page.goto(f"{coded_site.url}/vote/{VOTE_DAY}?lang={language}")
        page.wait_for_load_state()
        page.fill("#code", code)
        page.keyboard.press("Enter")
        expect(page.locator("#ballot-heading")).to_be_focused()
        for question, option in CHOSEN.items():
            page.check(f"#q-{question}-{option}")
        page.click("#ballot-form button[type=submit]")
        page.click("#encrypt")
        expect(page.locator("#sealed-heading")).to_be_focused()
        page.click("#cast")
        expect(page.locator("#codes-heading")).to_be_focused(timeout=30_000)

        rows = page.locator("#codes-list tr")  # (1) every coded question, the card's code
        expected = card["choice_codes"]
        expect(rows).to_have_count(len(expected))
        shown = {}
        for i in range(rows.count()):
            row = rows.nth(i)
            shown[row.locator("th").inner_text()] = row.locator("code").inner_text()
        titles = page.locator("#ballot-area fieldset[data-question]")
        by_title = {
            titles.nth(i).locator("legend").inner_text(): str(
                titles.nth(i).get_attribute("data-question")
            )
            for i in range(titles.count())
        }
        assert {by_title[title]: value for title, value in shown.items()} == {
            q: choices[CHOSEN.get(q, "blank")] for q, choices in expected.items()
        }
        expect(page.locator("#bck")).to_be_visible()
        walk("codes")

        page.fill("#bck", card["bck"][:8] + str((int(card["bck"][8]) + 1) % 10))  # (2) typo
        page.click("#bck-submit")
        expect(page.locator("#bck-error")).to_be_visible()
        expect(page.locator("#bck")).to_have_attribute("aria-invalid", "true")
        walk("typo")
        with coded_site.app.app_context():
            credential = derive_credential(code, VOTE_DAY).public_key.hex()
            assert confirmation_state(db.session, VOTE_DAY, credential) == "unconfirmed"
            db.session.remove()

        page.fill("#bck", _wrong_key(card["bck"]))  # (3) a wrong key: one try spent
        page.click("#bck-submit")
        expect(page.locator("#bck-error")).to_contain_text("4", timeout=30_000)
        expect(page.locator("#bck-tries")).to_contain_text("4")  # asked again, one try less
        expect(page.locator("#bck")).to_be_focused()
        expect(page.locator("#bck-form")).to_be_visible()
        walk("wrong-key")

        bck = card["bck"]  # (4) the card's key, typed with spaces and a dash
        page.fill("#bck", f"{bck[:3]} {bck[3:6]}-{bck[6:]}")
        page.click("#bck-submit")
        expect(page.locator("#confirmed-heading")).to_be_focused(timeout=30_000)
        expect(page.locator("#confirmed-heading")).to_have_text(CONFIRMED[language])
        expect(page.locator("#vcc")).to_have_text(card["vcc"])
        walk("confirmed")
        with coded_site.app.app_context():
            assert confirmation_state(db.session, VOTE_DAY, credential) == "confirmed"
            db.session.remove()

        page.click("#confirmed-receipt")  # (5) the receipt: counted
        page.wait_for_url(f"{coded_site.url}/vote/{VOTE_DAY}/receipt/*")
        walk("receipt")
    finally:
        context.close()
    assert errors == []
    assert walk.violations == {}, walk.violations
    secret = derive_voter_secret(code, VOTE_DAY).hex()
    normalised = code.replace("-", "")
    for request in sent:
        for value in (code, normalised, secret, card["bck"]):
            assert value.replace("-", "") not in request.replace("-", "").replace(" ", "")
    assert any('"pbck"' in request for request in sent)


MATCH = {
    "de": "Versuche",
    "fr": "Essais",
    "it": "Tentativi",
    "en": "Tries",
    "ko": "남은 시도",
}
"""A word of the line that says how many tries are left, in each language."""


def _enter(page: Page, site: CodedSite, code: str, language: str) -> None:
    """Open the voting page afresh (a new visit: nothing kept) and type the voting code."""
    page.goto(f"{site.url}/vote/{VOTE_DAY}?lang={language}")
    page.wait_for_load_state()
    page.fill("#code", code)
    page.keyboard.press("Enter")


def _cast_and_leave(page: Page, site: CodedSite, code: str, language: str) -> None:
    _enter(page, site, code, language)
    expect(page.locator("#ballot-heading")).to_be_focused()
    for question, option in CHOSEN.items():
        page.check(f"#q-{question}-{option}")
    page.click("#ballot-form button[type=submit]")
    page.click("#encrypt")
    page.click("#cast")
    expect(page.locator("#codes-heading")).to_be_focused(timeout=30_000)


def _shown_codes(page: Page) -> dict[str, str]:
    rows = page.locator("#codes-list tr")
    return {
        rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("code").inner_text()
        for i in range(rows.count())
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_coming_back_to_an_unconfirmed_ballot_shows_its_codes_and_asks_again(
    browser: Browser, coded_site: CodedSite, language: str
) -> None:
    code = coded_site.again[LANGUAGES.index(language)]
    card = coded_site.cards[code]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    walk = Walk(page, f"{language}-again")
    try:
        _cast_and_leave(page, coded_site, code, language)  # (1) cast, then leave
        at_cast = _shown_codes(page)
        page.close()
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        walk.page = page

        _enter(page, coded_site, code, language)  # (2) back: the codes and the tries left
        expect(page.locator("#codes-heading")).to_be_focused(timeout=30_000)
        expect(page.locator("#codes-resumed")).to_be_visible()
        assert _shown_codes(page) == at_cast  # the same codes (the first test: the card's)
        expect(page.locator("#codes-answer-col")).to_be_hidden()
        expect(page.locator("#bck-tries")).to_contain_text("5")
        expect(page.locator("#bck-tries")).to_contain_text(MATCH[language])
        walk("back-codes")

        page.fill("#bck", _wrong_key(card["bck"]))  # (3) a wrong key: it does not match
        page.click("#bck-submit")
        expect(page.locator("#bck-error")).to_contain_text("4", timeout=30_000)
        expect(page.locator("#bck-tries")).to_contain_text("4")
        expect(page.locator("#bck")).to_be_focused()
        expect(page.locator("#bck")).to_have_attribute("aria-invalid", "true")
        walk("back-wrong-key")

        _enter(page, coded_site, code, language)  # (4) leave and come back: still 4 tries
        expect(page.locator("#codes-heading")).to_be_focused(timeout=30_000)
        expect(page.locator("#bck-tries")).to_contain_text("4")

        page.fill("#bck", card["bck"])  # (5) the card's key confirms
        page.click("#bck-submit")
        expect(page.locator("#confirmed-heading")).to_be_focused(timeout=30_000)
        expect(page.locator("#vcc")).to_have_text(card["vcc"])
        walk("back-confirmed")

        _enter(page, coded_site, code, language)  # (6) back once more: the vote cast code
        expect(page.locator("#confirmed-heading")).to_be_focused(timeout=30_000)
        expect(page.locator("#confirmed-heading")).to_have_text(CONFIRMED[language])
        expect(page.locator("#vcc")).to_have_text(card["vcc"])
        walk("back-again-confirmed")
    finally:
        context.close()
    assert errors == []
    assert walk.violations == {}, walk.violations


def test_coming_back_after_five_wrong_keys_says_the_ballot_is_not_counted(
    browser: Browser, coded_site: CodedSite
) -> None:
    language = "de"
    code = coded_site.exhausted
    card = coded_site.cards[code]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    walk = Walk(page, "de-exhausted")
    try:
        _cast_and_leave(page, coded_site, code, language)
        body = f"{int(card['bck'][:8]):08d}"
        for step in range(1, 6):
            body = f"{(int(body) + 1) % 10**8:08d}"
            page.fill("#bck", body + damm_check_digit(body))
            page.click("#bck-submit")
            expect(page.locator("#bck-tries")).to_contain_text(str(5 - step), timeout=30_000)
        walk("five-wrong-keys")
        _enter(page, coded_site, code, language)
        expect(page.locator("#resume-message")).to_be_visible(timeout=30_000)
        expect(page.locator("#resume-message")).to_contain_text("nicht gezählt")
        expect(page.locator("#resume-message")).to_contain_text("Urne")
        expect(page.locator("#bck-form")).to_be_hidden()
        walk("back-exhausted")
    finally:
        context.close()
    assert walk.violations == {}, walk.violations


UNCONFIRMED_COLUMN = {
    "de": "Abgegeben, nicht bestätigt (nicht gezählt)",
    "fr": "Déposés, non confirmés (non comptés)",
    "it": "Espresse, non confermate (non contate)",
    "en": "Cast, not confirmed (not counted)",
    "ko": "제출, 미확정(집계 안 됨)",
}


def test_observers_see_the_unconfirmed_ballots_on_the_results_page(
    browser: Browser, coded_site: CodedSite
) -> None:
    """Keep this test last: it closes and tallies the demo vote day the others vote on."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _cast_and_leave(page, coded_site, coded_site.observed, "en")  # cast, never confirmed
        with coded_site.app.app_context():
            list(tally_demo(coded_site.app, VOTE_DAY))
            figures = results(db.session, VOTE_DAY)["return_codes"]
            db.session.remove()
        assert figures["unconfirmed"] >= 1
        assert figures["unconfirmed_by_unit"][WINTERTHUR] == figures["unconfirmed"]
        violations = {}
        for language in LANGUAGES:
            walk = Walk(page, f"results-{language}")
            page.goto(f"{coded_site.url}/observe/{VOTE_DAY}/results?lang={language}")
            page.wait_for_load_state()
            expect(page.locator("th", has_text=UNCONFIRMED_COLUMN[language]).first).to_be_visible()
            expect(page.locator("main")).to_contain_text(str(figures["unconfirmed"]))
            walk("results")
            violations.update(walk.violations)
    finally:
        context.close()
    assert violations == {}, violations
