"""Enter pressed in a code field before the page's module has loaded (issue 17).

A citizen on a slow connection types the voting code and presses Enter while
``vote.js`` (or ``card.js``) is still on its way. The form's submit button is
disabled in the page until the module enables it, so the browser never
submits the form natively: no reload, the typed code stays in the field, and
once the module has run Enter does what it should. The module's request is
held back with Playwright's ``route`` (not refused, so the page logs no error)
and released after the early Enter.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import Request
from playwright.sync_api import Route
from playwright.sync_api import expect

from tests.browser.conftest import VOTE_DAY
from tests.browser.conftest import Site

UNUSED = ("quarter:10230", 8)
"""A code never cast: only ever looked up, here and by tests/browser/test_citizen_languages.py
(its German walk's "no electronic ballot with my card"); conftest.EXTRA_CODES."""
FORMS = {
    "vote day": ("", "vote.js", "#ballot-heading:focus"),
    "card check": ("/card", "card.js", "#card-result p.ok"),
}
"""Per page: its path under the vote day, its module, what shows once the code is entered."""


@pytest.mark.parametrize("form", FORMS)
def test_enter_before_the_module_has_loaded_keeps_the_code(
    page: Page, site: Site, form: str
) -> None:
    path, module, done = FORMS[form]
    held: list[Route] = []
    page.route(f"**/static/js/pages/{module}", lambda route: held.append(route))
    navigations: list[str] = []

    def navigation(request: Request) -> None:
        if request.is_navigation_request():
            navigations.append(request.url)

    page.on("request", navigation)
    page.goto(f"{site.url}/vote/{VOTE_DAY}{path}", wait_until="commit")
    page.locator("#code").wait_for()
    for _ in range(100):  # the module is asked for, and held
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, f"{module} was never requested"
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    code = site.code(*UNUSED)
    page.fill("#code", code)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)  # a native submission would have started by now
    assert navigations == [f"{site.url}/vote/{VOTE_DAY}{path}"]
    assert page.evaluate("window.sameDocument === true")
    expect(page.locator("#code")).to_have_value(code)

    held[0].continue_()  # the module arrives: the same Enter now works
    page.wait_for_load_state()
    expect(page.locator("#code")).to_have_value(code)
    page.locator("#code").press("Enter")
    expect(page.locator(done)).to_be_visible()
    assert len(navigations) == 1
