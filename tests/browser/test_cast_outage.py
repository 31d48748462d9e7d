"""The voting page when the server answers 503 (its database is briefly unavailable).

The cast is sent again with backoff while the citizen is told; when the
database stays away the citizen reads plainly that the ballot was NOT cast.
The 503s are made by Playwright in front of the live server (the answers
are the server's own, tests/web/test_database_outage.py).
"""

from __future__ import annotations

import json

from playwright.sync_api import Page
from playwright.sync_api import Route
from playwright.sync_api import expect

from tests.browser.conftest import VOTE_DAY
from tests.browser.conftest import Site
from tests.browser.test_citizen_flow import WINTERTHUR
from tests.browser.test_citizen_flow import _choose

UNAVAILABLE = json.dumps(
    {"error": "database_unavailable", "message": "…", "stored": False, "retry_after": 1}
)


def _sealed(page: Page, site: Site, n: int) -> None:
    page.goto(f"{site.url}/vote/{VOTE_DAY}#code={site.code(WINTERTHUR, n)}")
    expect(page.locator("#ballot-heading")).to_be_focused()
    _choose(page)
    page.click("#ballot-form button[type=submit]")
    page.click("#encrypt")
    expect(page.locator("#sealed-heading")).to_be_focused()


def _unavailable_for(page: Page, times: int) -> list[str]:
    """The next ``times`` casts answer 503 (Retry-After: 1); later ones reach the server."""
    seen: list[str] = []

    def handle(route: Route) -> None:
        seen.append(route.request.method)
        if len(seen) <= times:
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=UNAVAILABLE,
            )
        else:
            route.continue_()

    page.route(f"**/api/vote-days/{VOTE_DAY}/ballots", handle)
    return seen


def test_a_503_is_retried_and_the_ballot_is_cast(page: Page, site: Site) -> None:
    _sealed(page, site, 2)
    seen = _unavailable_for(page, 2)
    page.click("#cast")
    expect(page.locator("#status")).to_contain_text("Trying again in 1 seconds (attempt 2 of 4)")
    page.wait_for_url(f"{site.url}/vote/{VOTE_DAY}/receipt/*", timeout=20_000)
    assert seen == ["POST", "POST", "POST"]


def test_a_database_that_stays_away_is_told_plainly(page: Page, site: Site) -> None:
    _sealed(page, site, 1)
    seen = _unavailable_for(page, 10)
    page.click("#cast")
    expect(page.locator("#alert")).to_contain_text("your ballot was NOT cast", timeout=20_000)
    assert len(seen) == 4  # then it stops: 1 + 2 + 4 seconds of waiting
    expect(page.locator("#cast")).to_be_enabled()
    expect(page.locator("#status")).to_have_text("")
