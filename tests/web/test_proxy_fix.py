"""URNA_PROXY_FIX: the client address and scheme from a trusted reverse proxy, and no more."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from voting.app import create_app
from voting.app.security import proxy_hops


def _app(tmp_path: Path, hops: object) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "URNA_INSTANCE": str(tmp_path),
            "URNA_PROXY_FIX": hops,
        }
    )

    @app.get("/_whoami")
    def whoami() -> ResponseReturnValue:
        return jsonify(address=request.remote_addr, secure=request.is_secure, host=request.host)

    return app


FORWARDED = {
    "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "vote.example.ch",
}


def test_without_proxy_fix_forwarded_headers_are_ignored(tmp_path: Path) -> None:
    response = _app(tmp_path, 0).test_client().get("/_whoami", headers=FORWARDED)
    assert response.get_json() == {"address": "127.0.0.1", "secure": False, "host": "localhost"}
    assert "Strict-Transport-Security" not in response.headers


def test_one_proxy_gives_the_client_it_saw_and_https(tmp_path: Path) -> None:
    response = _app(tmp_path, "1").test_client().get("/_whoami", headers=FORWARDED)
    # Only the last hop (added by our proxy) is trusted, not what the client wrote.
    assert response.get_json() == {
        "address": "203.0.113.9",
        "secure": True,
        "host": "vote.example.ch",
    }
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_two_proxies_trust_two_hops(tmp_path: Path) -> None:
    response = _app(tmp_path, 2).test_client().get("/_whoami", headers=FORWARDED)
    assert response.get_json()["address"] == "198.51.100.7"


@pytest.mark.parametrize("value", ["-1", "x", "1.5", "6", True, "", " 9 "])
def test_bad_settings_are_refused(tmp_path: Path, value: object) -> None:
    with pytest.raises(ValueError, match="URNA_PROXY_FIX"):
        proxy_hops(value)
    with pytest.raises(ValueError, match="URNA_PROXY_FIX"):
        _app(tmp_path, value)


def test_the_environment_sets_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URNA_PROXY_FIX", "1")
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "URNA_INSTANCE": str(tmp_path)}
    )
    assert app.config["URNA_PROXY_FIX"] == "1"
    assert type(app.wsgi_app).__name__ == "ProxyFix"
