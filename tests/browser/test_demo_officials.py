"""The demo walked to its results in Chromium, in each of the five languages.

A fresh demo site per language (``flask --app app demo``'s setup, served by a
werkzeug thread), one citizen's ballot cast, then in the browser: the demo
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

import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser
from playwright.sync_api import Page
from werkzeug.serving import make_server

from tests.browser.conftest import AXE
from voting.app import create_app
from voting.app.extensions import db
from voting.app.i18n import LANGUAGES
from voting.models.votedays import VoteDay
from voting.rehearsal.demo import load_demo
from voting.rehearsal.demo_returncodes import demo_cards
from voting.rehearsal.demo_returncodes import serve_demo_authorities
from voting.rehearsal.demo_vote import DEMO_VOTE_DAY
from voting.rehearsal.demo_vote import DemoCode
from voting.rehearsal.demo_vote import demo_lines
from voting.tools.client import VotingClient
from voting.tools.client.return_codes import cast_with_codes
from voting.tools.client.return_codes import confirm

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


@dataclass(frozen=True)
class DemoSite:
    url: str
    app: Flask
    username: str
    password: str


@pytest.fixture()
def demo_site(tmp_path: Path) -> Iterator[DemoSite]:
    """A fresh demo (as ``flask --app app demo`` leaves it) with one ballot cast, served."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-demo",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'urna.sqlite'}",
            "URNA_INSTANCE": str(tmp_path),
            "URNA_LOG_KEY_PATH": str(tmp_path / "log-signing.key"),
            "URNA_DEMO": True,
        }
    )
    with app.app_context():
        upgrade()
        list(load_demo())
        list(demo_lines(app, base_url="http://127.0.0.1"))
        login = json.loads((tmp_path / "demo" / "official.json").read_text(encoding="utf-8"))
        codes = json.loads((tmp_path / "demo" / "voting-codes.json").read_text(encoding="utf-8"))
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    winterthur = DemoCode(**codes["codes"][0])
    with app.app_context():  # the demo's return codes: its four authorities serve
        running = serve_demo_authorities(tmp_path / "demo", DEMO_VOTE_DAY)
        db.session.remove()
    client = VotingClient(url)
    cast_with_codes(client, DEMO_VOTE_DAY, winterthur.code, {"bike-paths": ["yes"]})
    bck = demo_cards(tmp_path / "demo")[winterthur.code]["bck"]
    confirm(client, DEMO_VOTE_DAY, winterthur.code, bck)
    try:
        yield DemoSite(url, app, login["username"], login["password"])
    finally:
        running.stop()
        server.shutdown()
        thread.join(timeout=5)


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
    browser: Browser, demo_site: DemoSite, language: str
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
