"""Where the built election records live (``URNA_RECORD_FOLDER``), and building them.

The folder defaults to ``records/`` in the instance folder (docs/operations.md).
:mod:`voting.services.record_store` does the work; this module binds it to
the application's folder and log key.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask import current_app

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.services.record_store import StoredRecord
from voting.services.record_store import build_record


def record_folder(app: Flask | None = None) -> Path:
    return Path((app or current_app).config["URNA_RECORD_FOLDER"])


def build_published_record(vote_day_id: str) -> StoredRecord | None:
    """Build the record right after publication; a failure is logged, not raised.

    The results are published (committed) whatever happens here; a record
    that failed to build is built by the next ``flask schedule run`` or by
    ``flask record build``.
    """
    try:
        return build_record(db.session, vote_day_id, record_folder(), signing=log_signing())
    except (VotingError, OSError) as exc:
        db.session.rollback()
        current_app.logger.error("the record of %s was not built: %s", vote_day_id, exc)
        return None
