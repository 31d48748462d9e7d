"""Every official page in each of the five languages, at 320 and 1280 px, axe-clean (issue 17).

One browser for the module and one login per language: the demo official
(tests/browser/conftest.py's ``running_demo``, the set-up of ``flask --app app
demo``) chooses the language with the switcher on the login page, as a
citizen does (the ``urna_lang`` cookie), logs in once and opens every page
its roles open: the dashboard, both vote days (the demo's, open; a second
one ready to open, with its schedule form), live figures, a new vote day, a
question, an initiative with a counter-proposal, the jurisdictions import,
the clerks' channel counts, the registrar's credential upload, the account,
and a form refused (the service's English words marked ``lang="en"``). On
each page, at each width: the page is in the chosen language (``<html
lang>``, its heading as the catalog has it), axe-core finds no violation of
any impact, nothing is wider than the window, and a full-page screenshot goes
to ``build/screenshots/officials/<language>/`` (README.md). The demo official
is a returning officer; for this walk it is also granted the clerk's, the
registrar's and the administrator's roles, so that one login opens every
page (what each role alone is offered is tests/web/test_official_navigation.py's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_babel import force_locale
from flask_babel import gettext
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.conftest import Site
from tests.browser.conftest import running_demo
from tests.browser.test_demo_officials import TOO_WIDE
from tests.browser.test_demo_officials import axe_violations
from voting.app.extensions import db
from voting.app.i18n import LANGUAGES
from voting.models.officials import Official
from voting.rehearsal.demo_vote import DEMO_VOTE_DAY
from voting.rehearsal.simulation import run_local_ceremony
from voting.services import officials
from voting.services.questions import QuestionDraft
from voting.services.questions import add_question
from voting.services.votedays import create_vote_day

WIDTHS = (320, 1280)
SECOND_DAY = "2026-09-27-ch"
"""A vote day after its key ceremony (status credentials): its page has the schedule form."""
SECOND_TITLES = {
    "de": "Eidgenössische Volksabstimmung vom 27. September 2026",
    "fr": "Votation populaire fédérale du 27 septembre 2026",
    "it": "Votazione popolare federale del 27 settembre 2026",
    "en": "Federal popular vote of 27 September 2026",
    "ko": "2026년 9월 27일 연방 국민투표",
}
LOCALES = {"de": "de-CH", "fr": "fr-CH", "it": "it-CH", "en": "en-GB", "ko": "ko-KR"}
CHANNEL_COUNTS = "Postal and polling-station counts for %(vote_day)s"
EXTRA_ROLES = (("clerk", "nation:CH"), ("registrar", None), ("administrator", None))


@pytest.fixture(scope="module")
def officials_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo, a second vote day ready to open, the demo official holding every role."""
    with running_demo(tmp_path_factory.mktemp("officials-site"), ballots=[]) as site:
        with site.app.app_context():
            _second_vote_day()
            official = db.session.query(Official).filter_by(username=site.username).one()
            for role, unit in EXTRA_ROLES:
                officials.grant_role(db.session, official, role, unit)
            db.session.remove()
        yield site


def _second_vote_day() -> None:
    create_vote_day(
        db.session,
        vote_day_id=SECOND_DAY,
        date=dt.date(2026, 9, 27),
        titles=SECOND_TITLES,
        revote_policy="first-counts",
    )
    add_question(
        db.session,
        SECOND_DAY,
        QuestionDraft(
            key="e-id",
            jurisdiction="nation:CH",
            kind="referendum",
            rule="popular-majority",
            titles={"en": "Federal act on electronic identity", "de": "Bundesgesetz über die E-ID"},
        ),
    )
    run_local_ceremony(db.session, SECOND_DAY, trustees=("ada", "ben"), threshold=2)


def _pages() -> list[tuple[str, str, str]]:
    """(screenshot name, path, the English text of its heading) for every official page."""
    day, second = f"/officials/vote-days/{DEMO_VOTE_DAY}", f"/officials/vote-days/{SECOND_DAY}"
    return [
        ("dashboard", "/officials/", "Vote days"),
        ("vote-day-open", day, ""),
        ("vote-day-credentials", second, ""),
        ("live", f"{day}/live", "Live figures of %(vote_day)s"),
        ("new-vote-day", "/officials/new-vote-day", "Create a vote day"),
        ("question", f"{second}/questions/new", "Add a question to %(vote_day)s"),
        (
            "counter-proposal",
            f"{second}/questions/new-counter-proposal",
            "Add an initiative with a direct counter-proposal",
        ),
        ("jurisdictions", "/officials/jurisdictions", "Import jurisdictions"),
        ("channel-counts", f"{day}/channel-counts", CHANNEL_COUNTS),
        ("credentials", f"{second}/credentials", "Public credentials for %(vote_day)s"),
        ("account", "/officials/account", ""),
    ]


class Look:
    """Screenshots, axe and reflow of one language's pages, at each width."""

    def __init__(self, page: Page, language: str) -> None:
        self.page, self.language = page, language
        self.folder = SCREENSHOTS / "officials" / language
        self.folder.mkdir(parents=True, exist_ok=True)
        self.problems: dict[str, object] = {}

    def __call__(self, name: str) -> None:
        assert self.page.locator("html").get_attribute("lang") == self.language, name
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(path=self.folder / f"pages-{name}-{width}.png", full_page=True)
            violations = axe_violations(self.page)
            fits = self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            if violations or not fits:
                self.problems[f"{name} at {width}px"] = {
                    "axe": violations,
                    "too_wide": [] if fits else self.page.evaluate(TOO_WIDE),
                }
        self.page.set_viewport_size({"width": 1280, "height": 900})


def _heading(site: Site, language: str, english: str, vote_day: str) -> str:
    with site.app.test_request_context(), force_locale(language):
        return gettext(english, vote_day=vote_day) if "%(" in english else gettext(english)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_official_page_in_the_language_axe_clean_at_both_widths(
    browser: Browser, officials_site: Site, language: str
) -> None:
    site = officials_site
    # a browser set up for the language, so the native date inputs read as its people read them
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=LOCALES[language])
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    look = Look(page, language)
    try:
        page.goto(f"{site.url}/login")  # (1) the switcher chooses the language
        page.locator(f"nav.languages a[hreflang={language}]").click()
        page.wait_for_load_state()
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert cookies.get("urna_lang") == language  # remembered, as on the citizen pages
        look("login")
        page.locator("input[name=username]").fill(site.username)  # (2) one login
        page.locator("input[name=password]").fill(site.password)
        page.locator("form.login button[type=submit]").click()
        page.wait_for_url("**/officials/account")
        for name, path, english in _pages():  # (3) every page, in the cookie's language
            page.goto(f"{site.url}{path}")
            if english:
                vote_day = SECOND_DAY if SECOND_DAY in path else DEMO_VOTE_DAY
                expected = _heading(site, language, english, vote_day)
                assert page.locator("h1").inner_text() == expected, name
            if name == "live":  # live.js took its button's text from the page
                pause = _heading(site, language, "Pause updates", DEMO_VOTE_DAY)
                expect(page.locator("#refresh-toggle")).to_have_text(pause)
            look(name)
        page.goto(f"{site.url}/officials/vote-days/{SECOND_DAY}")  # (4) the schedule form
        assert page.locator("input[name=opens_at]").get_attribute("type") == "datetime-local"
        page.goto(f"{site.url}/officials/new-vote-day")  # (5) a refused form, its errors
        page.locator("input[name=vote_day_id]").fill("Vote Day!")  # refused by the service
        page.locator("input[name=date]").fill("2026-11-29")
        page.locator("form.stacked button[type=submit]").click()
        refusal = page.locator("p.error[role=alert]")
        expect(refusal).to_have_count(1)
        if language != "en":  # the service's own words, in English, are marked so
            expect(refusal.locator("span.detail")).to_have_attribute("lang", "en")
        look("new-vote-day-refused")
    finally:
        context.close()
    assert errors == []
    assert look.problems == {}


def test_the_screenshots_folder_is_the_one_the_readme_names() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "build/screenshots/officials/<language>/" in readme
    assert SCREENSHOTS == Path(__file__).resolve().parents[2] / "build" / "screenshots"
