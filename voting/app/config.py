"""Configuration defaults.

Only deployment settings come from the environment (``DATABASE_URL``,
``URNA_SECRET_KEY``, ``URNA_INSTANCE``, ``URNA_PROXY_FIX``,
``URNA_LOG_ORIGIN``, ``URNA_LOG_KEY_PATH``, ``URNA_TILES_FOLDER``,
``URNA_TIME_ZONE``); cryptographic parameters never do.
"""

from __future__ import annotations

import os
import secrets
import zoneinfo
from pathlib import Path
from typing import Any


def default_config(instance_path: Path) -> dict[str, Any]:
    """The configuration used when ``create_app`` is given none."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'urna.sqlite'}"
    return {
        "SECRET_KEY": os.environ.get("URNA_SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "URNA_LOG_KEY_PATH": os.environ.get("URNA_LOG_KEY_PATH")
        or str(instance_path / "log-signing.key"),
        "URNA_RECORD_FOLDER": str(instance_path / "records"),
        "URNA_TILES_FOLDER": os.environ.get("URNA_TILES_FOLDER") or str(instance_path / "tiles"),
        "URNA_DEMO": False,
        "URNA_DEMO_FOLDER": str(instance_path / "demo"),
        "URNA_PROXY_FIX": os.environ.get("URNA_PROXY_FIX", "0"),
        "URNA_LOG_ORIGIN": os.environ.get("URNA_LOG_ORIGIN") or None,
        # The time zone the officials' pages show and read scheduled times in (IANA name).
        "BABEL_DEFAULT_TIMEZONE": _time_zone(os.environ.get("URNA_TIME_ZONE") or "Europe/Zurich"),
    }


def _time_zone(name: str) -> str:
    """``name`` if the system's zone data knows it; a misspelt zone stops the start."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"URNA_TIME_ZONE={name!r} is not an IANA time zone (e.g. Europe/Zurich, Asia/Seoul)"
        ) from exc
    return name


def _normalise_database_url(url: str) -> str:
    # PostgreSQL is reached through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_path: Path) -> str:
    """A random session key kept in the instance folder (created once, mode 0600)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
