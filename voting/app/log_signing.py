"""The application's log key (``URNA_LOG_KEY_PATH``), loaded once per app and pinned.

The key is created only when asked to (``flask --app app log init-key``), or
while no checkpoint is stored yet (the first log of an empty database). At
start, :func:`check_log_key` refuses a key file that did not sign the stored
checkpoints, or a missing one once checkpoints exist: a server that would
sign under a second key does not start (docs/log.md, "The log key").
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask import current_app

from voting.log.keys import DEFAULT_ORIGIN_TEMPLATE
from voting.log.keys import LogKeyMissing
from voting.log.keys import LogSigning
from voting.log.keys import check_key_matches
from voting.log.keys import load_log_signing

_SIGNING_KEY = "urna.log_signing"


def log_signing(app: Flask | None = None) -> LogSigning:
    """The log key of the application (``URNA_LOG_KEY_PATH``), loaded once.

    The origin template of new logs is ``URNA_LOG_ORIGIN`` (with ``{name}``).
    A missing key file is created only while the database holds no checkpoint.

    Raises:
        LogKeyMissing: the key file is missing and checkpoints were signed already.
        LogKeyError: the key file is unreadable or malformed.
    """
    app = app or current_app
    signing = app.extensions.get(_SIGNING_KEY)
    if signing is None:
        template = app.config.get("URNA_LOG_ORIGIN") or DEFAULT_ORIGIN_TEMPLATE
        path = app.config["URNA_LOG_KEY_PATH"]
        try:
            signing = load_log_signing(path, template)
        except LogKeyMissing:
            note = _latest_checkpoint(app)
            if note is not None:
                check_key_matches(None, path, note)  # raises, naming the key ID that signed
            signing = load_log_signing(path, template, create=True)
        app.extensions[_SIGNING_KEY] = signing
    return signing


def init_log_key(app: Flask) -> tuple[LogSigning, bool]:
    """Create the key file if it is missing (``flask log init-key``); True if created.

    Raises:
        LogKeyMissing: checkpoints exist, signed by a key that is not there.
        LogKeyMismatch: the existing key did not sign the stored checkpoints.
    """
    path = app.config["URNA_LOG_KEY_PATH"]
    template = app.config.get("URNA_LOG_ORIGIN") or DEFAULT_ORIGIN_TEMPLATE
    note = _latest_checkpoint(app)
    try:
        signing = load_log_signing(path, template)
    except LogKeyMissing:
        if note is not None:
            check_key_matches(None, path, note)
        signing = load_log_signing(path, template, create=True)
        app.extensions[_SIGNING_KEY] = signing
        return signing, True
    if note is not None:
        check_key_matches(signing, path, note)
    return signing, False


def check_log_key(app: Flask) -> None:
    """At start: the key file must be the key that signed the latest stored checkpoint.

    Nothing is checked (and nothing created) before the database is migrated
    or while it holds no checkpoint.

    Raises:
        LogKeyMismatch: the message names the file's key ID and the stored one.
        LogKeyMissing: checkpoints exist but the key file does not.
    """
    try:
        note = _latest_checkpoint(app)
    finally:  # no pooled connection outlives a refused start (or is shared across a fork)
        from voting.app.extensions import db

        with app.app_context():
            db.engine.dispose()
    if note is None:
        return
    path = app.config["URNA_LOG_KEY_PATH"]
    template = app.config.get("URNA_LOG_ORIGIN") or DEFAULT_ORIGIN_TEMPLATE
    try:
        signing: LogSigning | None = load_log_signing(path, template)
    except LogKeyMissing:
        signing = None
    check_key_matches(signing, path, note)
    assert signing is not None  # check_key_matches raised otherwise
    app.extensions[_SIGNING_KEY] = signing


def _latest_checkpoint(app: Flask) -> str | None:
    """The note of the most recently stored checkpoint, or None (none, or no tables yet)."""
    from voting.app.extensions import db
    from voting.models.log import LogCheckpoint

    with app.app_context():
        engine = db.engine
        if not sa.inspect(engine).has_table(LogCheckpoint.__tablename__):
            return None
        query = sa.select(LogCheckpoint.note).order_by(LogCheckpoint.id.desc()).limit(1)
        with engine.connect() as connection:
            note = connection.execute(query).scalar()
    return str(note) if note is not None else None
