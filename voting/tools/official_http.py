"""An official's command-line tools talking to the server over HTTP (docs/api.md).

There are no API tokens: a tool logs in exactly as the browser does. It
fetches ``/login`` for a CSRF token (Flask-WTF's hidden form field), posts
the login form and keeps the session cookie; every later POST to an official
route sends a fresh token in the ``X-CSRFToken`` header. Used by the clerk's
tool (:mod:`voting.tools.clerk`) and the trustee tool (:mod:`voting.tools.trustee`).

Nothing here prints or logs: the password is only ever sent in the login form.
"""

from __future__ import annotations

import re
from typing import Any

import requests

TIMEOUT_S = 30
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

__all__ = ["TIMEOUT_S", "OfficialSession", "Refused", "ServerError", "csrf_token", "log_in"]


class ServerError(Exception):
    """The server could not be used (unreachable, no CSRF token, login failed, not JSON)."""


class Refused(ServerError):
    """The server answered 4xx/5xx; ``status`` and its JSON body (``code``, ``message``)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.code = str(body.get("error", "error"))
        self.message = str(body.get("message", body))
        super().__init__(f"refused ({status}): {self.message}")


def csrf_token(http: requests.Session, server: str) -> str:
    """A CSRF token for ``http``'s session, from the login page.

    Raises:
        ServerError: the page carries none (or the server is unreachable).
    """
    try:
        page = http.get(f"{server}/login", timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise ServerError(f"cannot reach {server}: {exc}") from exc
    match = _TOKEN.search(page.text)
    if match is None:
        raise ServerError(f"{server}/login carries no CSRF token")
    return match.group(1)


def log_in(server: str, username: str, password: str) -> requests.Session:
    """A ``requests`` session logged in as ``username``.

    Raises:
        ServerError: the login failed (the server's status is in the message).
    """
    http = requests.Session()
    form = {"username": username, "password": password, "csrf_token": csrf_token(http, server)}
    try:
        answer = http.post(f"{server}/login", data=form, allow_redirects=False, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise ServerError(f"cannot reach {server}: {exc}") from exc
    if answer.status_code != 303:
        raise ServerError(f"login as {username!r} failed ({answer.status_code})")
    return http


def _reply(answer: requests.Response) -> dict[str, Any]:
    try:
        body = answer.json() if answer.content else {}
    except ValueError as exc:
        raise ServerError(f"the server answered {answer.status_code} without JSON") from exc
    if not isinstance(body, dict):
        raise ServerError(f"the server answered {answer.status_code} with a non-object")
    if answer.status_code >= 400:
        raise Refused(answer.status_code, body)
    return body


class OfficialSession:
    """JSON requests to one server, logged in as one official once a password is given."""

    def __init__(self, server: str, *, http: requests.Session | None = None) -> None:
        self.server = server.rstrip("/")
        self._http = http or requests.Session()
        self._credentials: tuple[str, str] | None = None

    def log_in(self, username: str, password: str) -> None:
        """Log in (kept for later POSTs; a session that ends is renewed once).

        Raises:
            ServerError: wrong user name or password, or no server.
        """
        self._http = log_in(self.server, username, password)
        self._credentials = (username, password)

    def get_json(self, path: str, **params: Any) -> dict[str, Any]:
        """GET ``path`` (public routes need no login).

        Raises:
            Refused: 4xx/5xx, with the server's error code and message.
            ServerError: unreachable, or an answer that is not a JSON object.
        """
        try:
            answer = self._http.get(f"{self.server}{path}", params=params, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise ServerError(f"cannot reach {self.server}: {exc}") from exc
        return _reply(answer)

    def get_bytes(self, path: str) -> bytes:
        """GET ``path`` and return the body exactly as sent (e.g. to hash it)."""
        try:
            answer = self._http.get(f"{self.server}{path}", timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise ServerError(f"cannot reach {self.server}: {exc}") from exc
        if answer.status_code >= 400:
            _reply(answer)
        return answer.content

    def post_json(self, path: str, body: Any) -> dict[str, Any]:
        """POST ``body`` as the logged-in official, with the CSRF header.

        Raises:
            Refused: 4xx/5xx, with the server's error code and message.
            ServerError: not logged in, unreachable, or not JSON.
        """
        if self._credentials is None:
            raise ServerError("log in before posting to an official route")
        try:
            return self._post(path, body)
        except Refused as exc:
            if exc.status != 401:
                raise
        self.log_in(*self._credentials)  # the session ended (idle or expired): once more
        return self._post(path, body)

    def _post(self, path: str, body: Any) -> dict[str, Any]:
        headers = {"X-CSRFToken": csrf_token(self._http, self.server)}
        try:
            answer = self._http.post(
                f"{self.server}{path}", json=body, headers=headers, timeout=TIMEOUT_S
            )
        except requests.RequestException as exc:
            raise ServerError(f"cannot reach {self.server}: {exc}") from exc
        return _reply(answer)
