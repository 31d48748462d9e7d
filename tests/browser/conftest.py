"""Browser tests: Playwright drives Debian's Chromium (``/usr/bin/chromium``) headless.

One live server for the whole session (:func:`site`): a fresh SQLite instance
set up exactly as ``flask --app app demo`` sets it up (demo tree, demo vote day
opened with demo voting codes, the demo official), served over HTTP by a
werkzeug thread. Tests that change the vote day get a fresh one from the same
set-up (:func:`running_demo`). Chromium is never
downloaded (no ``playwright install``): ``.ci/run`` installs Debian's package.
Without it these tests fail; they never skip.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
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
from voting.rehearsal.demo_vote import demo_official
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


Ballot = tuple[str, int, dict[str, list[str]]]
"""A demo ballot cast before the tests: the voter's unit, which of its codes, the choices."""


@dataclass(frozen=True)
class Site:
    """A live demo site: its address, app, demo codes, the receipts of the ballots cast before
    the tests (the first one's tracking code) and the demo official's login."""

    url: str
    app: Flask
    codes: list[DemoCode]
    receipt_code: str
    username: str
    password: str

    def code(self, unit: str, n: int = 0) -> str:
        return [c.code for c in self.codes if c.unit == unit][n]


@contextmanager
def running_demo(
    folder: Path, *, ballots: Sequence[Ballot], extra_codes: int = 0
) -> Iterator[Site]:
    """The demo as ``flask --app app demo`` leaves it (its vote day open, its official made),
    in ``folder``, served over HTTP by a werkzeug thread, with ``ballots`` cast through the API.

    The one set-up of every browser test's site: the session's shared :func:`site` and the
    fresh sites of tests that change the vote day (tests/browser/test_demo_officials.py).
    """
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
        _write_demo_codes(app, extra_codes)
        codes = [
            item
            for item in open_demo_vote_day(app, return_codes=False)
            if isinstance(item, DemoCode)
        ]
        username, password = demo_official(app)
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        receipts = [
            VotingClient(url).vote(VOTE_DAY, [c for c in codes if c.unit == unit][n].code, choices)
            for unit, n, choices in ballots
        ]
        first = receipts[0].to_json()["tracking_code"] if receipts else ""
        yield Site(url, app, codes, first, username, password)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The shared demo site: Elsau's code has voted (its receipt), Winterthur has extra codes."""
    elsau: Ballot = ("municipality:219", 0, {"bike-paths": ["no"]})
    folder = tmp_path_factory.mktemp("browser-site")
    with running_demo(folder, ballots=[elsau], extra_codes=EXTRA_CODES) as shared:
        yield shared


def _write_demo_codes(app: Flask, extra: int) -> None:
    """Write the demo's code file before the demo opens, with ``extra`` codes for Winterthur.

    The demo reads its codes from this file when it exists
    (:func:`voting.rehearsal.demo_vote.open_demo_vote_day`), registering them all.
    """
    demo = [(unit, "", generate_code()) for unit, count in DEMO_VOTERS for _ in range(count)]
    more = [("quarter:10230", "", generate_code()) for _ in range(extra)]
    codes = [{"unit": unit, "name": name, "code": code} for unit, name, code in demo + more]
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
