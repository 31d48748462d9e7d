"""The single mapping of errors to HTTP answers (STYLE.md rule 7).

Domain errors (:class:`voting.errors.VotingError`) become JSON for API
requests or the error page otherwise; the session is rolled back on every
error, expected or not.

A database that cannot be reached (stopped, restarting, its connections cut)
answers 503 with ``Retry-After`` and a message that says the request was not
stored — or, when the connection broke while the commit was on its way, that
it may have been (docs/operations.md, "Database outage"). Rolling back on a
dead connection may itself fail: the handlers never let that escape.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from voting.app.extensions import db
from voting.errors import TooManyAttempts
from voting.errors import VotingError
from voting.log.bulletin import COMMIT_IN_DOUBT

RETRY_AFTER_SECONDS = 5
"""What a 503 asks clients to wait before trying again."""


def _outage_errors() -> tuple[type[BaseException], ...]:
    """The errors that mean the database cannot be reached or has dropped the connection.

    The hot paths speak to the driver directly (voting/models/sql.py), so the
    drivers' own errors come up as well as SQLAlchemy's wrappers.
    """
    errors: list[type[BaseException]] = [
        sa.exc.OperationalError,
        sa.exc.InterfaceError,
        sa.exc.TimeoutError,  # no connection free in the pool
        sqlite3.OperationalError,
    ]
    try:
        import psycopg
    except ImportError:  # a SQLite-only installation
        pass
    else:
        errors += [psycopg.OperationalError, psycopg.InterfaceError]
    return tuple(errors)


OUTAGE_ERRORS = _outage_errors()


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is a database outage."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, OUTAGE_ERRORS):
            return True
        current, seen = current.__cause__ or current.__context__, seen + 1
    return False


def _in_doubt(exc: BaseException) -> bool:
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return False
        if getattr(current, COMMIT_IN_DOUBT, False):
            return True
        current = current.__cause__ or current.__context__
    return False


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(
    status: int, body: dict[str, Any], *, detail_lang: str | None = "en"
) -> tuple[Response | str, int]:
    """JSON for API requests, else the error page.

    The page says what went wrong in the reader's language by ``status``
    (templates/error.html); ``body["message"]``, when there is one, is the
    specific reason. Domain errors word it in English (services know nothing of
    the request's language), so the page marks it ``lang="en"``;
    ``detail_lang=None`` for a message already in the page's language.
    """
    if _wants_json():
        return jsonify(body), status
    page = render_template(
        "error.html", status=status, detail=body.get("message"), detail_lang=detail_lang
    )
    return page, status


def _rollback(app: Flask) -> None:
    """Roll the session back; on a dead connection, discard it instead (never raises)."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing to roll back on the server
        app.logger.warning("rollback failed; discarding the session's connection", exc_info=True)
        try:
            db.session().invalidate()
        except Exception:
            app.logger.warning("discarding the session failed", exc_info=True)


def outage_body(in_doubt: bool) -> dict[str, Any]:
    """The JSON of a 503: what happened, whether anything was stored, when to retry."""
    if in_doubt:
        message = gettext(
            "The database stopped answering while your ballot was being saved: it may or may "
            "not have been stored. Please cast it again in a few seconds: it counts once "
            "either way."
        )
    else:
        message = gettext(
            "The service is briefly unavailable: its database cannot be reached. Nothing was "
            "stored: if you were casting a ballot, it was NOT cast. Please try again in a few "
            "seconds."
        )
    return {
        "error": "database_unavailable",
        "message": message,
        "stored": None if in_doubt else False,
        "retry_after": RETRY_AFTER_SECONDS,
    }


def register_error_handlers(app: Flask) -> None:
    """Map domain and HTTP errors to responses in one place."""

    @app.errorhandler(VotingError)
    def handle_voting_error(exc: VotingError) -> Response:
        _rollback(app)
        body, status = _render(exc.status, exc.to_json())
        response = app.make_response((body, status))
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(max(1, exc.retry_after))
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException) -> tuple[Response | str, int]:
        _rollback(app)
        status = exc.code or 500
        name = (exc.name or "error").lower().replace(" ", "_")
        body = {"error": name, "message": exc.description or exc.name}
        if _wants_json():
            return _render(status, body)
        # werkzeug's stock description says no more than the page already does, in English;
        # one given for this error (a CSRF token that expired, say) is the reason.
        specific = exc.description != type(exc).description
        return _render(status, {**body, "message": exc.description if specific else None})

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> tuple[Response | str, int] | Response:
        _rollback(app)
        if is_outage(exc):
            where = f"{request.method} {request.path}"
            app.logger.error("database unavailable on %s: %s", where, exc, exc_info=exc)
            try:
                body, status = _render(503, outage_body(_in_doubt(exc)), detail_lang=None)
                response = app.make_response((body, status))
            except Exception:  # rendering needs nothing of the database, but be sure
                app.logger.exception("the 503 page failed; answering in plain text")
                response = Response(
                    "503 Service Unavailable: the database cannot be reached. "
                    "Try again in a few seconds.\n",
                    status=503,
                    mimetype="text/plain",
                )
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return _render(500, {"error": "internal", "message": "internal server error"})
        return _render(500, {"error": "internal", "message": None})
