"""``OfficialActions``: create officials with roles and log them in through the test client.

Like flaskr's ``AuthActions``. Handles the CSRF token (scraped from the login
page, as a browser would get it) so tests can post to official forms::

    def test_open(official_actions):
        official_actions.log_in_as("returning_officer:canton:ZH")
        response = official_actions.post("/officials/...", data={...})
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from nacl.pwhash import argon2id
from werkzeug.test import TestResponse

from voting.app.extensions import db
from voting.models.officials import Official
from voting.services import officials

PASSWORD = "correct horse battery staple"
FAST_HASH = officials.HashLimits(argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN)
"""Minimum argon2id cost: tests only (production uses ``officials.INTERACTIVE``)."""

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class OfficialActions:
    """Create officials and act as one through a Flask test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def create(self, username: str = "alice", *grants: str, password: str = PASSWORD) -> Official:
        """Create an official holding ``grants`` (``"registrar"`` or ``"clerk:municipality:261"``).

        The jurisdictions named must exist already.
        """
        official = officials.create_official(db.session, username, password, limits=FAST_HASH)
        for grant in grants:
            role, _, unit = grant.partition(":")
            officials.grant_role(db.session, official, role, unit or None)
        return official

    def log_in(self, username: str = "alice", password: str = PASSWORD) -> TestResponse:
        """Post the login form (with its CSRF token); the client keeps the session cookie."""
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.csrf_token()},
        )

    def log_in_as(self, *grants: str, username: str = "alice") -> Official:
        """Create an official with ``grants`` and log in; fail loudly if login fails."""
        official = self.create(username, *grants)
        response = self.log_in(username)
        assert response.status_code == 303, response.get_data(as_text=True)
        return official

    def log_out(self) -> TestResponse:
        return self.client.post("/logout", data={"csrf_token": self.csrf_token()})

    def csrf_token(self) -> str:
        """A CSRF token for the client's current session (from the login page)."""
        page = self.client.get("/login").get_data(as_text=True)
        match = _TOKEN.search(page)
        assert match, "the login page carries no CSRF token"
        return match.group(1)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """POST a form with the session's CSRF token added."""
        return self.client.post(
            url, data={**(data or {}), "csrf_token": self.csrf_token()}, **kwargs
        )

    def post_json(self, url: str, body: Any, **kwargs: Any) -> TestResponse:
        """POST JSON to an official API route with the token in ``X-CSRFToken``."""
        headers = {"X-CSRFToken": self.csrf_token(), **kwargs.pop("headers", {})}
        return self.client.post(url, json=body, headers=headers, **kwargs)
