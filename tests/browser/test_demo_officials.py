"""The demo walked to its results in Chromium, in each of the five languages.

A fresh demo site per language (tests/browser/conftest.py's ``running_demo``, the
set-up of ``flask --app app demo``), one citizen's ballot cast, then in the browser: the demo
official logs in, closes the vote day (ticking the confirmation), starts the
tally, lets the demo trustees decrypt (the real threshold decryption, proofs
checked), publishes (the demo witnesses cosign); the results page gives each
outcome in the page's language. Every step is screenshotted to
``build/screenshots/officials/<language>/`` (git-ignored; the README names
it), and axe-core finds no violation of any impact, and nothing
wider than the window, on the official's pages (login, dashboard, vote day in
each state, live figures), the results and the observers' pages (vote day,
how to verify, index, log, an entry) at 320 and at 1280 px.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser
from playwright.sync_api import Page

from tests.browser.conftest import AXE
from tests.browser.conftest import Ballot
from tests.browser.conftest import Site
from tests.browser.conftest import running_demo
from voting.app.extensions import db
from voting.app.i18n import LANGUAGES
from voting.models.votedays import VoteDay
from voting.rehearsal.demo_vote import DEMO_VOTE_DAY

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "officials"
AXE_SOURCE = AXE.read_text(encoding="utf-8")
WIDTHS = (320, 1280)
OUTCOME = {  # the bike paths: one yes nationally; Zurich yes, the other cantons no votes
    "de": r"Abgelehnt: 100,0\u202f% Ja; 1 von \S+ Ständen\.",
    "fr": r"Rejeté : 100,0\u202f% de oui ; 1 cantons sur \S+\.",
    "it": r"Respinto: 100,0\u202f% di sì; 1 cantoni su \S+\.",
    "en": r"Rejected: 100\.0\u202f% yes; 1 of \S+ cantons\.",
    "ko": r"부결: 찬성 100\.0\u202f%; 칸톤 \S+곳 중 1곳 찬성\.",
}

PUBLISHED = {  # the official's notice after publishing, in the page's language
    "de": "Resultate veröffentlicht",
    "fr": "Résultats publiés",
    "it": "Risultati pubblicati",
    "en": "Results published",
    "ko": "결과 공표",
}

TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                && !el.closest('.table-wrap'))
  .slice(0, 5).map(el => `${el.tagName}.${el.className}: ${el.textContent.slice(0, 40)}`)"""
"""What sticks out of the viewport (outside the scrolling table regions), to name it."""


@pytest.fixture()
def demo_site(tmp_path: Path) -> Iterator[Site]:
    """A fresh demo (as ``flask --app app demo`` leaves it) with one ballot cast, served."""
    winterthur: Ballot = ("quarter:10230", 0, {"bike-paths": ["yes"]})
    with running_demo(tmp_path, ballots=[winterthur]) as fresh:
        yield fresh


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe violation (any impact) of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in found
    ]


class Walk:
    """Screenshots and axe for each step, at each width."""

    def __init__(self, page: Page, language: str) -> None:
        self.page, self.language = page, language
        self.folder = SCREENSHOTS / language
        self.folder.mkdir(parents=True, exist_ok=True)
        self.problems: dict[str, Any] = {}

    def look(self, step: str) -> None:
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(path=self.folder / f"{step}-{width}.png", full_page=True)
            violations = axe_violations(self.page)
            reflows = self.page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"
            )
            if violations or not reflows:
                self.problems[f"{step} at {width}px"] = {
                    "axe": violations,
                    "reflows": reflows,
                    "too_wide": self.page.evaluate(TOO_WIDE),
                }
        self.page.set_viewport_size({"width": 1280, "height": 900})


def status(app: Flask) -> str:
    with app.app_context():
        return db.session.get_one(VoteDay, DEMO_VOTE_DAY).status


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_demo_official_tallies_and_publishes_and_the_results_read_in_the_language(
    browser: Browser, demo_site: Site, language: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    walk = Walk(page, language)
    try:
        page.goto(f"{demo_site.url}/officials/?lang={language}")
        walk.look("official-login")
        page.locator("input[name=username]").fill(demo_site.username)
        page.locator("input[name=password]").fill(demo_site.password)
        page.locator("form button[type=submit]").click()
        walk.look("official-dashboard")
        page.goto(f"{demo_site.url}/officials/vote-days/{DEMO_VOTE_DAY}")
        walk.look("official-open")
        page.goto(f"{demo_site.url}/officials/vote-days/{DEMO_VOTE_DAY}/live")
        walk.look("official-live")
        page.goto(f"{demo_site.url}/officials/vote-days/{DEMO_VOTE_DAY}")

        page.locator("#confirm-close").check()
        page.locator("#close-now").click()
        page.locator("#confirm-tally").wait_for()
        assert status(demo_site.app) == "closed"
        walk.look("official-closed")
        page.locator("#confirm-tally").check()
        page.locator("#start-tally").click()
        page.locator("#demo-trustees").click()
        page.locator("#confirm-publish").wait_for()
        assert status(demo_site.app) == "tallied"
        walk.look("official-tallied")
        page.locator("#confirm-publish").check()
        page.locator("#publish").click()
        page.get_by_role("status").filter(has_text=PUBLISHED[language]).wait_for()
        assert status(demo_site.app) == "published"
        assert page.locator("html").get_attribute("lang") == language
        walk.look("official-published")

        page.goto(f"{demo_site.url}/observe/{DEMO_VOTE_DAY}/results")
        outcome = page.locator("#q-bike-paths .outcome").inner_text()
        assert re.fullmatch(OUTCOME[language], outcome), outcome
        assert page.locator("html").get_attribute("lang") == language
        walk.look("results")
        page.goto(f"{demo_site.url}/observe/{DEMO_VOTE_DAY}/")
        walk.look("observer-vote-day")
        page.goto(f"{demo_site.url}/observe/verify")
        walk.look("observer-verify")
        page.goto(f"{demo_site.url}/observe/")
        walk.look("observer-index")
        page.goto(f"{demo_site.url}/observe/{DEMO_VOTE_DAY}/log/")
        walk.look("observer-log")
        page.goto(f"{demo_site.url}/observe/{DEMO_VOTE_DAY}/log/entries/0")
        walk.look("observer-entry")
    finally:
        context.close()
    assert walk.problems == {}
