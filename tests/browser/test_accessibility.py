"""axe-core in Chromium on every citizen page and step, in each language, at 320 and 1280 px.

WCAG 2.1 AA (eCH-0059): no axe violation of any impact (minor included); no
horizontal scrolling at 320 CSS pixels (WCAG 1.4.10 reflow). axe is evaluated through
Playwright from tests/browser/vendor (never served to citizens), so the
pages keep their Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import AXE
from tests.browser.conftest import VOTE_DAY
from tests.browser.conftest import Site
from voting.app.i18n import LANGUAGES

WIDTHS = (320, 1280)
AXE_SOURCE = AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The axe violations of the page as it is now, of any impact."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result
    ]


def reflows(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _steps(site: Site, language: str) -> list[tuple[str, Callable[[Page], None]]]:
    base = f"{site.url}/vote/{VOTE_DAY}"
    code = site.code("quarter:10230", 2)  # never cast: looking up and auditing leave it unused

    def go(url: str) -> Callable[[Page], None]:
        return lambda page: page.goto(f"{url}{'&' if '?' in url else '?'}lang={language}")

    def ballot(page: Page) -> None:
        page.fill("#code", code)
        page.keyboard.press("Enter")
        expect(page.locator("#ballot-heading")).to_be_focused()

    def review(page: Page) -> None:
        page.check("#q-bike-paths-0")
        page.check("#q-winterthur-square-1")
        page.click("#ballot-form button[type=submit]")
        expect(page.locator("#review-heading")).to_be_focused()

    def sealed(page: Page) -> None:
        page.click("#encrypt")
        expect(page.locator("#sealed-heading")).to_be_focused()

    def confirm_audit(page: Page) -> None:
        page.click("#audit")
        expect(page.locator("#audit-yes")).to_be_focused()

    def audited(page: Page) -> None:
        page.click("#audit-yes")
        expect(page.locator("#audit-posted")).not_to_be_empty()

    def already_voted(page: Page) -> None:
        go(base)(page)
        page.fill("#code", site.code("municipality:219"))  # cast by the site fixture
        page.keyboard.press("Enter")
        expect(page.locator("#already-voted")).to_be_visible()

    def card_checked(page: Page) -> None:
        go(f"{base}/card")(page)
        page.fill("#code", code)
        page.keyboard.press("Enter")
        expect(page.locator("#card-result p.ok")).to_be_visible()

    def check_mistyped(page: Page) -> None:
        go(f"{base}/check")(page)
        page.fill("#tracking", "ABCD")
        page.keyboard.press("Enter")
        expect(page.locator("#tracking-error")).to_be_visible()

    def checked(page: Page) -> None:
        go(f"{base}/check?code={site.receipt_code}")(page)
        expect(page.locator("#check-result p.ok").first).to_be_visible()

    return [
        ("home", go(f"{site.url}/")),
        ("vote days", go(f"{site.url}/vote/")),
        ("vote day", go(base)),
        ("ballot", ballot),
        ("review", review),
        ("encrypted", sealed),
        ("audit confirmation", confirm_audit),
        ("audit", audited),
        ("receipt", go(f"{base}/receipt/{site.receipt_code}")),
        ("check", checked),
        ("check, mistyped", check_mistyped),
        ("already voted", already_voted),
        ("card", card_checked),
        ("help", go(f"{site.url}/help")),
        ("accessibility", go(f"{site.url}/accessibility")),
        ("not found", go(f"{site.url}/vote/no-such-day")),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_citizen_pages_have_no_axe_violations(browser: Browser, site: Site, language: str) -> None:
    """Each step is walked once and checked at every width (the viewport resized in place)."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 640})
    page = context.new_page()
    found: dict[str, Any] = {}
    try:
        for name, step in _steps(site, language):
            page.set_viewport_size({"width": WIDTHS[0], "height": 640})
            step(page)
            assert page.locator("html").get_attribute("lang") == language, name
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 640})
                violations = axe_violations(page)
                if violations or not reflows(page):
                    found[f"{name} at {width}px"] = {
                        "violations": violations,
                        "reflows": reflows(page),
                    }
    finally:
        context.close()
    assert found == {}
