"""Login, logout, session rotation, CSRF, login rate limits and security headers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from flask.testing import FlaskClient

from tests.official_actions import PASSWORD
from tests.official_actions import OfficialActions
from voting.app import create_app
from voting.app.extensions import db
from voting.models.officials import OfficialSession
from voting.models.officials import RateCounter
from voting.services import officials
from voting.services import throttle


def test_login_page_has_a_csrf_token_and_no_inline_script(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert "<script" not in page and "style=" not in page


def test_login_success_sets_a_session_and_shows_the_account(
    official_actions: OfficialActions, client: FlaskClient
) -> None:
    official_actions.create("alice", "registrar")
    response = official_actions.log_in("alice")
    assert response.status_code == 303
    assert response.headers["Location"] == "/officials/account"
    page = client.get("/officials/account")
    assert page.status_code == 200
    assert b"registrar" in page.data
    assert page.headers["Cache-Control"] == "no-store"


def test_login_failure_says_nothing_specific(
    official_actions: OfficialActions, client: FlaskClient
) -> None:
    official_actions.create("alice")
    for name, password in [("alice", "not the password"), ("nobody", PASSWORD)]:
        response = official_actions.log_in(name, password)
        assert response.status_code == 401
        assert b"Wrong user name or password" in response.data
        assert PASSWORD.encode() not in response.data
    assert client.get("/officials/account").status_code == 303


def test_session_is_cleared_and_rotated_at_login(
    official_actions: OfficialActions, client: FlaskClient, db_session: so.Session
) -> None:
    official_actions.create("alice")
    # An attacker plants a session (fixation) before the victim logs in.
    with client.session_transaction() as planted:
        planted["official_token"] = "attacker-chosen"
        planted["planted"] = True
    anonymous_csrf = official_actions.csrf_token()
    official_actions.log_in("alice")
    with client.session_transaction() as session:
        assert "planted" not in session
        token = session["official_token"]
        assert token != "attacker-chosen"
        assert "csrf_token" not in session  # the anonymous CSRF secret is gone
    assert official_actions.csrf_token() != anonymous_csrf
    first = set(db_session.scalars(sa.select(OfficialSession.id)))
    official_actions.log_in("alice")  # logging in again rotates once more
    with client.session_transaction() as session:
        assert session["official_token"] != token
    second = set(db_session.scalars(sa.select(OfficialSession.id)))
    assert len(second) == 1 and not (first & second)  # the old server session ended


def test_logout_ends_the_server_session(
    official_actions: OfficialActions, client: FlaskClient, db_session: so.Session
) -> None:
    official_actions.log_in_as("registrar")
    with client.session_transaction() as session:
        stolen = dict(session)
    assert official_actions.log_out().status_code == 303
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OfficialSession)) == 0
    # Replaying the old cookie contents no longer works.
    with client.session_transaction() as session:
        session.update(stolen)
    assert client.get("/officials/account").status_code == 303


def test_logout_needs_post_and_csrf(official_actions: OfficialActions, client: FlaskClient) -> None:
    official_actions.log_in_as("registrar")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/officials/account").status_code == 200


def test_post_without_csrf_token_is_refused(
    official_actions: OfficialActions, client: FlaskClient
) -> None:
    official_actions.create("alice")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert b"CSRF" in response.data
    forged = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 400
    assert client.get("/officials/account").status_code == 303


def test_idle_sessions_end(official_actions: OfficialActions, client: FlaskClient) -> None:
    official_actions.log_in_as("registrar")
    with client.session_transaction() as session:
        session["seen"] -= 31 * 60
    assert client.get("/officials/account").status_code == 303


def test_login_rate_limit_per_account(
    official_actions: OfficialActions, client: FlaskClient, app: Flask
) -> None:
    app.config["URNA_LOGIN_POLICY"] = officials.LoginPolicy(per_account=throttle.Limit(3, 900))
    official_actions.create("alice")
    for _ in range(3):
        assert official_actions.log_in("alice", "not the password").status_code == 401
    refused = official_actions.log_in("alice", PASSWORD)  # right password, too late
    assert refused.status_code == 429
    # the rest of the 900 s window opened by the first attempt (a second may have passed)
    assert 890 <= int(refused.headers["Retry-After"]) <= 900
    assert b"Too many login attempts" in refused.data
    assert client.get("/officials/account").status_code == 303


def test_login_rate_limit_per_address(official_actions: OfficialActions, app: Flask) -> None:
    app.config["URNA_LOGIN_POLICY"] = officials.LoginPolicy(per_address=throttle.Limit(3, 900))
    official_actions.create("alice")
    for name in ["bob", "carol", "dave"]:
        assert official_actions.log_in(name, PASSWORD).status_code == 401
    assert official_actions.log_in("alice", PASSWORD).status_code == 429


def test_login_counters_never_hold_the_clients_address(
    official_actions: OfficialActions, app: Flask
) -> None:
    official_actions.create("alice")
    assert official_actions.log_in("bob", PASSWORD).status_code == 401
    with app.app_context():
        keys = db.session.scalars(sa.select(RateCounter.key)).all()
    address_keys = [key for key in keys if key.startswith("login-ip:")]
    assert len(address_keys) == 1, keys
    assert "127.0.0.1" not in address_keys[0]  # a keyed hash of it
    assert len(address_keys[0]) == len("login-ip:") + 32


def test_login_redirects_only_to_local_paths(official_actions: OfficialActions) -> None:
    official_actions.create("alice")
    client = official_actions.client
    for target, expected in [
        ("/officials/account?x=1", "/officials/account?x=1"),
        ("https://evil.example/", "/officials/account"),
        ("//evil.example/", "/officials/account"),
        ("/\\evil.example/", "/officials/account"),
    ]:
        token = official_actions.csrf_token()
        response = client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert response.headers["Location"] == expected


def test_anonymous_html_redirects_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/officials/account")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/officials/account"
    assert 'value="/officials/account"' in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


# -- headers and cookies -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/api/does-not-exist", "/static/urna.css"])
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    with client.get(path) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP


def test_hsts_over_https(client: FlaskClient) -> None:
    response = client.get("/", base_url="https://urna.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000"


def test_session_cookie_flags(official_actions: OfficialActions) -> None:
    official_actions.create("alice")
    response = official_actions.log_in("alice")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_with_host_prefix(tmp_path: object) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "URNA_INSTANCE": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-urna"
