"""Role-aware navigation: an official is never offered a link to a page its roles do not open.

For each role (global and scoped), the official logs in and follows every
link of the officials' pages it reaches from the dashboard (same site, under
``/officials``), in each lifecycle state that changes what a vote day's page
offers (credentials, open, closed): none answers 403. The refusals
themselves (403 for a page a role may not open) are
tests/web/test_official_routes.py's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures_casting import OpenVoteDay
from tests.official_actions import OfficialActions
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import open_vote_day

DAY = "2026-06-14-ch"
ROLES = (
    "administrator",
    "registrar",
    "trustee",
    "returning_officer:nation:CH",
    "returning_officer:canton:ZH",  # below the vote day's scope: no lifecycle, no live figures
    "clerk:canton:ZH",
)
LINK = re.compile(r'<a [^>]*href="(/officials[^"#]*|/login[^"#]*)"')
MAX_PAGES = 60


def _links(page: str) -> set[str]:
    return {unescape(href) for href in LINK.findall(page)}


def _walk(client: FlaskClient) -> dict[str, int]:
    """Every officials' page reachable by links from the dashboard, with its status."""
    seen: dict[str, int] = {}
    todo = ["/officials/"]
    while todo and len(seen) < MAX_PAGES:
        url = todo.pop()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code == 200:
            todo.extend(_links(response.get_data(as_text=True)) - set(seen))
    return seen


@pytest.mark.parametrize("grant", ROLES)
def test_no_link_leads_a_role_to_a_refusal(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    official_actions: OfficialActions,
    grant: str,
) -> None:
    prepare_vote_day(open_it=False)
    official_actions.log_in_as(grant)
    reached: dict[str, dict[str, int]] = {"credentials": _walk(official_actions.client)}
    open_vote_day(db.session, DAY, signing=log_signing(app))
    reached["open"] = _walk(official_actions.client)
    close_vote_day(db.session, DAY, signing=log_signing(app))
    reached["closed"] = _walk(official_actions.client)
    refused = {
        state: {url: code for url, code in pages.items() if code >= 400}
        for state, pages in reached.items()
    }
    assert refused == {"credentials": {}, "open": {}, "closed": {}}
    vote_day_page = f"/officials/vote-days/{DAY}"
    assert all(vote_day_page in pages for pages in reached.values())  # the walk got there


def test_each_role_is_offered_its_own_pages(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], official_actions: OfficialActions
) -> None:
    """The walk is not empty-handed: each role's own page is linked where it is needed."""
    prepare_vote_day(open_it=False)
    official_actions.log_in_as("registrar", "clerk:canton:ZH", username="multi")
    credentials = _walk(official_actions.client)
    assert f"/officials/vote-days/{DAY}/credentials" in credentials
    open_vote_day(db.session, DAY, signing=log_signing(app))
    close_vote_day(db.session, DAY, signing=log_signing(app))
    closed = _walk(official_actions.client)
    assert f"/officials/vote-days/{DAY}/channel-counts" in closed
    assert f"/officials/vote-days/{DAY}/live" not in closed  # not an officer
