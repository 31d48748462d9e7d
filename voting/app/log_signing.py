"""The application's log key (``URNA_LOG_KEY_PATH``), loaded once per app."""

from __future__ import annotations

from flask import Flask
from flask import current_app

from voting.log.keys import DEFAULT_ORIGIN_TEMPLATE
from voting.log.keys import LogSigning
from voting.log.keys import load_log_signing

_SIGNING_KEY = "urna.log_signing"


def log_signing(app: Flask | None = None) -> LogSigning:
    """The log key of the application (``URNA_LOG_KEY_PATH``), loaded once.

    The origin template of new logs is ``URNA_LOG_ORIGIN`` (with ``{name}``).
    """
    app = app or current_app
    signing = app.extensions.get(_SIGNING_KEY)
    if signing is None:
        template = app.config.get("URNA_LOG_ORIGIN") or DEFAULT_ORIGIN_TEMPLATE
        signing = load_log_signing(app.config["URNA_LOG_KEY_PATH"], template)
        app.extensions[_SIGNING_KEY] = signing
    return signing
