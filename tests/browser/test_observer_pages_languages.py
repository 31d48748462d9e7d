"""The observers' and public pages in each of the five languages, axe-clean at 320 and 1280 px.

One walk per language over the shared demo site (tests/browser/conftest.py: the
demo vote day open, one ballot cast): the language is chosen once, with the
switcher's ``?lang=``, and every later page follows the ``urna_lang`` cookie, so
a page that ignored it (issue 17: the observer pages did, while the switcher
marked the chosen language as current) shows up here. On each page: ``<html
lang>`` and the switcher's current language are the chosen one, an interface
text of the page reads as the catalog translates it, axe-core finds no
violation of any impact, and nothing is wider than a 320 px window (WCAG 1.4.10;
hashes wrap or scroll inside their box). Screenshots go to
``build/screenshots/observers/<language>/`` (README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask_babel import gettext
from playwright.sync_api import Browser
from playwright.sync_api import Page

from tests.browser.conftest import SCREENSHOTS
from tests.browser.conftest import VOTE_DAY
from tests.browser.conftest import Site
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_accessibility import reflows
from voting.app.i18n import LANGUAGES

WIDTHS = (320, 1280)
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                && !el.closest('.table-wrap, pre'))
  .slice(0, 5).map(el => `${el.tagName}.${el.className}: ${el.textContent.slice(0, 40)}`)"""
"""What sticks out of the window (outside the boxes that scroll), to name it."""


@dataclass(frozen=True)
class Stop:
    """One page of the walk: its name, how to reach it, a text it shows (an msgid)."""

    name: str
    go: Callable[[Page], object]
    says: str
    values: dict[str, Any]


def _stops(site: Site) -> list[Stop]:
    observe = f"{site.url}/observe/{VOTE_DAY}"

    def to(url: str) -> Callable[[Page], object]:
        return lambda page: page.goto(url)

    def a_ballot_entry(page: Page) -> None:  # the ballot the site fixture cast
        page.goto(f"{observe}/log/")
        row = page.locator("tbody tr", has=page.locator("td", has_text="ballot")).first
        row.locator("th a").click()
        page.wait_for_load_state()

    def a_checkpoint(page: Page) -> None:
        page.goto(f"{observe}/log/checkpoints")
        page.locator("section h2 a").first.click()
        page.wait_for_load_state()

    return [
        Stop("home", to(f"{site.url}/"), "For everyone", {}),
        Stop("observer-index", to(f"{site.url}/observe/"), "Vote days with a public log", {}),
        Stop(
            "vote-day",
            to(f"{observe}/"),
            "Explore the log: checkpoints, witnesses, entries, proofs",
            {},
        ),
        Stop("log", to(f"{observe}/log/"), "Latest checkpoint", {}),
        Stop("entry", a_ballot_entry, "Inclusion proof", {}),
        Stop(
            "checkpoints",
            to(f"{observe}/log/checkpoints"),
            "Checkpoints of %(vote_day)s",
            {"vote_day": VOTE_DAY},
        ),
        Stop("checkpoint", a_checkpoint, "Prove that the latest checkpoint extends this one", {}),
        Stop(
            "consistency",
            to(f"{observe}/log/consistency?old=1"),
            "Root at size %(size)s",
            {"size": 1},
        ),
        Stop(
            "verify",
            to(f"{site.url}/observe/verify"),
            "3. Get the trust roots from somewhere else",
            {},
        ),
        Stop("results", to(f"{observe}/results"), "Results", {}),
        Stop("help", to(f"{site.url}/help"), "How voting works", {}),
        Stop("accessibility", to(f"{site.url}/accessibility"), "Accessibility statement", {}),
        Stop(
            "card-check",
            to(f"{site.url}/vote/{VOTE_DAY}/card"),
            "No electronic ballot with my card",
            {},
        ),
        Stop("not-found", to(f"{observe}/log/entries/999999"), "Page not found", {}),
    ]


def _translated(site: Site, language: str, stop: Stop) -> str:
    with site.app.test_request_context(f"/?lang={language}"):
        return gettext(stop.says, **stop.values)


@pytest.mark.parametrize("language", LANGUAGES)
def test_observer_and_public_pages_read_in_the_language(
    browser: Browser, site: Site, language: str
) -> None:
    folder = SCREENSHOTS / "observers" / language
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    context = browser.new_context(viewport={"width": WIDTHS[-1], "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    found: dict[str, Any] = {}
    try:
        page.goto(f"{site.url}/?lang={language}")  # chosen once: the cookie does the rest
        for number, stop in enumerate(_stops(site), start=1):
            page.set_viewport_size({"width": WIDTHS[-1], "height": 900})
            stop.go(page)
            assert "lang=" not in page.url, stop.name
            assert page.locator("html").get_attribute("lang") == language, stop.name
            current = page.locator("nav.languages a[aria-current=true]")
            assert current.get_attribute("lang") == language, stop.name
            expected = _translated(site, language, stop)
            assert expected in page.locator("main").inner_text(), (stop.name, expected)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(
                    path=folder / f"{number:02d}-{stop.name}-{width}.png", full_page=True
                )
                violations = axe_violations(page)
                if violations or not reflows(page):
                    found[f"{stop.name} at {width}px"] = {
                        "axe": violations,
                        "too_wide": page.evaluate(TOO_WIDE),
                    }
    finally:
        context.close()
    assert found == {}
    assert errors == []
