"""URNA_LOG_ORIGIN: the deployment's public name for its logs, from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voting.app import create_app
from voting.app.log_signing import log_signing
from voting.log.keys import MAX_ORIGIN_CHARS
from voting.log.keys import LogKeyError
from voting.models.log import Log


def test_the_longest_origin_fits_the_log_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = "v" * 135 + "/{name}"  # 200 characters with a 64-character vote day id
    monkeypatch.setenv("URNA_LOG_ORIGIN", template)
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "URNA_INSTANCE": str(tmp_path)}
    )
    assert len(log_signing(app).origin_for("x" * 64)) == MAX_ORIGIN_CHARS
    assert Log.__table__.c.origin.type.length == MAX_ORIGIN_CHARS


def test_the_environment_names_the_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URNA_LOG_ORIGIN", "votes.example.ch/log/{name}")
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "URNA_INSTANCE": str(tmp_path)}
    )
    with app.app_context():
        assert log_signing(app).origin_for("2026-06-14-ch") == "votes.example.ch/log/2026-06-14-ch"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("votes.example.ch/log", "'{name}' once"),
        ("votes.example.ch/{name}/{name}", "'{name}' once"),
        ("votes.example.ch/{0}/{name}", "no braces but"),
        ("votes example/{name}", "bad key name"),
        ("votes+example/{name}", "bad key name"),
        ("x" * 200 + "/{name}", "too long"),
        ("v" * 136 + "/{name}", "too long"),  # 201 characters with a 64-character name
    ],
)
def test_a_bad_log_origin_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str, message: str
) -> None:
    monkeypatch.setenv("URNA_LOG_ORIGIN", template)
    with pytest.raises(LogKeyError, match=re.escape(message)):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "URNA_INSTANCE": str(tmp_path)})
