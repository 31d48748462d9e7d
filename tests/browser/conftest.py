"""Browser tests: Playwright drives Debian's Chromium (``/usr/bin/chromium``) headless.

One live server for the whole session: a fresh SQLite instance set up exactly
as ``flask --app app demo`` sets it up (demo tree, demo vote day opened with
demo voting codes), served over HTTP by a werkzeug thread. Chromium is never
downloaded (no ``playwright install``): ``.ci/run`` installs Debian's package.
Without it these tests fail; they never skip.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from crypto.credentials import generate_code
from voting.app import create_app
from voting.app.extensions import db
from voting.rehearsal.demo import load_demo
from voting.rehearsal.demo_vote import DEMO_VOTERS
from voting.rehearsal.demo_vote import DemoCode
from voting.rehearsal.demo_vote import demo_folder
from voting.rehearsal.demo_vote import open_demo_vote_day
from voting.tools.client import VotingClient

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
VOTE_DAY = "2026-06-14-ch"
EXTRA_CODES = 12
"""Codes of Winterthur Altstadt registered for the browser tests beyond the demo's own
(after them: ``site.code("quarter:10230", n)`` for n >= 3), so that each language of
tests/browser/test_citizen_languages.py casts with a code of its own (3 to 7, and 8 to 12
never cast); 13 is test_citizen_flow.py's refused cast."""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
"""Where the browser tests write their screenshots (README.md, "Screenshots")."""


@dataclass(frozen=True)
class Site:
    """The live demo site: its address, app, demo codes and one receipt already cast."""

    url: str
    app: Flask
    codes: list[DemoCode]
    receipt_code: str

    def code(self, unit: str, n: int = 0) -> str:
        return [c.code for c in self.codes if c.unit == unit][n]


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser-site")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-tests",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'urna.sqlite'}",
            "URNA_INSTANCE": str(folder),
            "URNA_LOG_KEY_PATH": str(folder / "log-signing.key"),
            "URNA_DEMO": True,
        }
    )
    with app.app_context():
        upgrade()
        list(load_demo())
        _more_demo_codes(app)
        codes = [
            item
            for item in open_demo_vote_day(app, return_codes=False)
            if isinstance(item, DemoCode)
        ]
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    elsau = next(c.code for c in codes if c.unit == "municipality:219")
    receipt = VotingClient(url).vote(VOTE_DAY, elsau, {"bike-paths": ["no"]})
    try:
        yield Site(url, app, codes, receipt.to_json()["tracking_code"])
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _more_demo_codes(app: Flask) -> None:
    """Write the demo's code file before the demo opens, with extra codes for Winterthur.

    The demo reads its codes from this file when it exists
    (:func:`voting.rehearsal.demo_vote.open_demo_vote_day`), registering them all.
    """
    demo = [(unit, "", generate_code()) for unit, count in DEMO_VOTERS for _ in range(count)]
    extra = [("quarter:10230", "", generate_code()) for _ in range(EXTRA_CODES)]
    codes = [{"unit": unit, "name": name, "code": code} for unit, name, code in demo + extra]
    path = demo_folder(app) / "voting-codes.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vote_day": VOTE_DAY, "codes": codes}), encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module (a module may start its own Playwright: only one
    sync Playwright can run at a time in a thread)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (no cookies, no cache) whose console errors fail the test."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: _console_error(msg.type, msg.text, errors))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"errors in the browser console: {errors}"


def _console_error(kind: str, text: str, errors: list[str]) -> None:
    # A refused request (4xx) or a 503 (database unavailable, retried) is logged by
    # Chromium; the tests check what the page then shows.
    refused = "the server responded with a status of 4" in text or "status of 503" in text
    if kind == "error" and not refused:
        errors.append(text)
