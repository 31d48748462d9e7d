"""Browser tests (Playwright, Debian's Chromium headless): an official opens and closes a vote
day; the observer pages show the results of a simulated vote day.

The browser is tests/browser/conftest.py's: Debian's ``/usr/bin/chromium`` (``.ci/run``
installs the package if it is missing; never ``playwright install``). A missing browser,
or a missing ``playwright`` package (a collection error), FAILS these tests. Each test
uses its own app and live server (tests/fixtures_casting.py), not the shared demo site.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser
from playwright.sync_api import ConsoleMessage
from playwright.sync_api import Page
from playwright.sync_api import Response

from tests.fixtures_casting import OpenVoteDay
from tests.official_actions import PASSWORD
from tests.official_actions import OfficialActions
from tests.web.test_observer_pages import simulate_vote_day
from voting.app.extensions import db
from voting.models.votedays import VoteDay

DAY = "2026-06-14-ch"
TIMEOUT_MS = 15_000


@pytest.fixture()
def strict_page(browser: Browser) -> Iterator[Page]:
    """A fresh context on conftest's Chromium; fails the test on a CSP violation, a script
    error or any 4xx/5xx response (conftest's ``page`` lets 4xx through)."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("console", lambda message: _console(message, problems))
    opened.on("response", lambda response: _response(response, problems))
    yield opened
    context.close()
    assert problems == [], problems


def _console(message: ConsoleMessage, problems: list[str]) -> None:
    # a failed load is reported by _response, with its URL
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(message.text)


def _response(response: Response, problems: list[str]) -> None:
    if response.status >= 400 and not response.url.endswith("/favicon.ico"):
        problems.append(f"{response.status} {response.url}")


def status() -> str:
    db.session.expire_all()
    return db.session.get_one(VoteDay, DAY).status


def test_an_official_logs_in_opens_and_closes_the_vote_day(
    app: Flask,
    client: FlaskClient,
    prepare_vote_day: Callable[..., OpenVoteDay],
    live_server: str,
    strict_page: Page,
) -> None:
    prepare_vote_day(open_it=False)
    OfficialActions(client).create("otto", "returning_officer:nation:CH")
    p = strict_page
    p.goto(f"{live_server}/officials/")
    assert "/login" in p.url
    p.get_by_label("User name").fill("otto")
    p.get_by_label("Password").fill(PASSWORD)
    p.get_by_role("button", name="Log in").click()
    p.wait_for_url(f"{live_server}/officials/")
    p.get_by_role("link", name=re.compile("Demo vote day")).click()
    assert p.get_by_role("heading", level=2, name=re.compile("Status: credentials")).is_visible()

    p.get_by_role("button", name="Open the vote day now").click()
    p.get_by_role("status").filter(has_text="Vote day opened").wait_for()
    assert status() == "open"
    assert p.locator(".lifecycle [aria-current=step]").inner_text() == "open"

    p.get_by_role("link", name="Live figures").click()
    assert p.get_by_role("img", name=re.compile("Ballots per hour")).is_visible()
    assert p.get_by_role("button", name="Pause updates").is_visible()  # live.js ran under the CSP
    p.go_back()

    p.get_by_role("button", name="Close the vote day now").click()  # the box is required first
    assert status() == "open"
    p.locator("#confirm-close").check()
    p.get_by_role("button", name="Close the vote day now").click()
    p.get_by_role("status").filter(has_text="Vote day closed").wait_for()
    assert status() == "closed"
    assert p.get_by_role("button", name="Start the tally").is_visible()


def test_observer_pages_show_the_results_of_a_simulated_vote_day(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    live_server: str,
    strict_page: Page,
) -> None:
    simulate_vote_day(app, prepare_vote_day)
    p = strict_page
    p.goto(f"{live_server}/observe/")
    p.get_by_role("link", name=re.compile("Demo vote day")).click()
    p.get_by_role("link", name="Results per tier").click()
    p.get_by_role("heading", level=1, name=re.compile("Results: ")).wait_for()

    chart = p.get_by_role("img", name=re.compile("Federal decree on cycle paths")).first
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    grid = p.get_by_role("img", name=re.compile("Cantons' votes: Federal decree on cycle paths"))
    assert grid.is_visible()
    table = p.get_by_role("table", name=re.compile("Municipalities: Federal decree on cycle paths"))
    assert table.get_by_role("rowheader", name="Winterthur").is_visible()
    assert "Published" in p.locator("main").inner_text()

    p.get_by_role("link", name="Log", exact=True).click()
    p.get_by_role("heading", name="Latest checkpoint").wait_for()
    p.get_by_role("link", name="0", exact=True).click()
    p.get_by_role("heading", name="Entry 0: key-ceremony").wait_for()
    assert "key-ceremony" in p.locator("pre.record").inner_text()
