"""The citizen's path of the demo in each of the five languages, screenshotted (issue 17).

Per language, in one browser and against one server: code entry, the ballot
in that language (the question titles are the demo's own texts in it), a
warning for a partly blank ballot, an audit (confirmed), a cast, the receipt
(in plain words, with the fingerprint shown before casting), the receipt check
of the cast and of the audited ballot, "already voted" at a second code entry,
and "no electronic ballot with my card" for an unused code and a used one.
Each step is written to ``build/screenshots/citizen/<language>/`` (README.md).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.conftest import VOTE_DAY
from tests.browser.conftest import Site
from voting.app.i18n import LANGUAGES

WINTERTHUR = "quarter:10230"
DEMO = json.loads(resources.files("voting.data").joinpath("demo_vote_day.json").read_text("utf-8"))
BIKE_PATHS = DEMO["questions"][0]["titles"]
"""The first question's title in each language, as the demo's manifest has it."""

# What each step shows, in each language (from translations/*/messages.po).
CAST = {
    "de": "Ihre Stimme wurde abgegeben",
    "fr": "Votre vote a été déposé",
    "it": "Il suo voto è stato espresso",
    "en": "Your vote has been cast",
    "ko": "투표가 완료되었습니다",
}
AUDITED = {
    "de": "Geprüft – nicht gezählt.",
    "fr": "Audité – non compté.",
    "it": "Verificata – non conteggiata.",
    "en": "Audited — not counted.",
    "ko": "감사된 투표지 — 집계되지 않음.",
}
ALREADY = {
    "de": "Sie haben bereits gestimmt",
    "fr": "Vous avez déjà voté",
    "it": "Ha già votato",
    "en": "You have already voted",
    "ko": "이미 투표하셨습니다",
}
NO_BALLOT = {
    "de": "Mit diesem Stimmrechtsausweis wurde keine elektronische Stimme abgegeben.",
    "fr": "Aucun bulletin électronique n’a été déposé avec cette carte de vote.",
    "it": "Con questa carta di voto non è stata espressa alcuna scheda elettronica.",
    "en": "No electronic ballot was cast with this voting card.",
    "ko": "이 투표 카드로 제출된 전자 투표는 없습니다.",
}


class Shots:
    """Numbered full-page screenshots of one language's walk."""

    def __init__(self, page: Page, language: str) -> None:
        self.page = page
        self.folder = SCREENSHOTS / "citizen" / language
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def __call__(self, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_citizen_votes_in_their_language(browser: Browser, site: Site, language: str) -> None:
    n = 3 + LANGUAGES.index(language)  # a code of its own (conftest.EXTRA_CODES)
    code, unused = site.code(WINTERTHUR, n), site.code(WINTERTHUR, n + len(LANGUAGES))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    shot = Shots(page, language)
    base = f"{site.url}/vote/{VOTE_DAY}"
    try:
        page.goto(f"{site.url}/?lang={language}")  # (0) the home page leads to the vote day
        shot("home")
        # Each page loads whole before the next click: a navigation that aborts the
        # previous page's module downloads drops their connections mid-file.
        page.click(f'a[href="/vote/{VOTE_DAY}/card"]')  # ... and to every citizen page
        page.wait_for_load_state()
        page.go_back()
        page.wait_for_load_state()
        page.click('a.button[href="/vote/"]')
        page.wait_for_load_state()
        page.click(f'a[href="/vote/{VOTE_DAY}"]')
        page.wait_for_load_state()  # the page's module has run: Enter is the script's, not a reload
        assert page.locator("html").get_attribute("lang") == language  # (1) code entry
        shot("vote-day")
        page.fill("#code", code.lower().replace("-", " "))
        page.keyboard.press("Enter")
        expect(page.locator("#ballot-heading")).to_be_focused()
        legend = page.locator("#q-bike-paths legend")  # (2) the ballot in this language
        expect(legend).to_have_text(BIKE_PATHS[language])
        expect(page.locator("#questions")).to_be_hidden()  # no second list of questions
        page.locator("#q-bike-paths summary").click()  # the explanation, in place
        shot("ballot")
        page.set_viewport_size({"width": 320, "height": 900})  # as on a small phone
        shot("ballot-320px")
        page.set_viewport_size({"width": 1280, "height": 900})

        page.check("#q-bike-paths-0")  # (3) two answers of six: warned before going on
        page.check("#q-housing-1")
        page.click("#ballot-form button[type=submit]")
        expect(page.locator("#review-warning")).to_be_visible()
        expect(page.locator("#review-warning")).to_contain_text("4")
        expect(page.locator("#review-list dd.blank")).to_have_count(4)
        shot("review-partly-blank")

        page.click("#encrypt")  # (4) audit: asked first, said once
        expect(page.locator("#sealed-heading")).to_be_focused()
        page.click("#audit")
        expect(page.locator("#audit-confirm")).to_be_visible()
        shot("audit-confirm")
        page.click("#audit-yes")
        expect(page.locator("#audit-posted")).not_to_be_empty()
        expect(page.locator("#audit-verdict")).to_have_class("ok")
        expect(page.locator("#status")).to_be_empty()  # the message is not repeated there
        audited = str(page.locator("#audit-posted").get_attribute("data-tracking-code"))
        shot("audit")

        page.click("#fresh")  # (5) a fresh encryption, cast; the receipt in plain words
        expect(page.locator("#sealed-heading")).to_be_focused()
        fingerprint = page.locator("#fingerprint").inner_text()
        page.click("#cast")
        page.wait_for_url(f"{base}/receipt/*")
        expect(page.locator("h1")).to_have_text(CAST[language])
        expect(page.locator("#receipt-fingerprint")).to_have_text(fingerprint)
        expect(page.locator("details.technical")).not_to_have_attribute("open", "")
        expect(page.locator("#receipt-status")).to_have_class("status ok", timeout=20_000)
        tracking = page.locator("#tracking-code").inner_text()
        shot("receipt")

        # (6) the receipt check, typed with the look-alikes people type
        typed = tracking.lower().replace("o", "0").replace("i", "1").replace("-", " ")
        page.goto(f"{base}/check?lang={language}")
        page.fill("#tracking", typed)
        page.click("#check-form button[type=submit]")
        expect(page.locator("#check-result p.ok")).to_be_visible(timeout=10_000)
        expect(page.locator("#check-result")).to_contain_text(tracking)
        shot("check-cast")
        page.goto(f"{base}/check?code={audited}&lang={language}")
        expect(page.locator("#check-result p.notice")).to_have_text(AUDITED[language])
        expect(page.locator("#check-result p.ok")).to_have_count(0)  # never a green "counted"
        shot("check-audited")

        page.goto(f"{base}?lang={language}")  # (7) the same code again: already voted
        page.fill("#code", code)
        page.keyboard.press("Enter")
        expect(page.locator("#ballot-heading")).to_have_text(ALREADY[language])
        expect(page.locator("#already-voted")).to_contain_text(tracking)
        expect(page.locator("#ballot-form")).to_have_count(0)
        shot("already-voted")

        page.goto(f"{base}/card?lang={language}")  # (8) no electronic ballot with my card
        page.fill("#code", unused)
        page.click("#card-form button[type=submit]")
        expect(page.locator("#card-result p.ok")).to_contain_text(NO_BALLOT[language])
        shot("card-unused")
        page.fill("#code", code)
        page.click("#card-form button[type=submit]")
        expect(page.locator("#card-result p.error")).to_be_visible()
        shot("card-used")
        page.goto(f"{site.url}/help?lang={language}")  # (9) help
        shot("help")
    finally:
        context.close()
    assert errors == []
