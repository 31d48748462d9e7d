"""The single mapping of errors to HTTP answers (STYLE.md rule 7).

Domain errors (:class:`voting.errors.VotingError`) become JSON for API
requests or the error page otherwise; the session is rolled back on every
error, expected or not.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from voting.app.extensions import db
from voting.errors import TooManyAttempts
from voting.errors import VotingError


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(status: int, body: dict[str, Any]) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify(body), status
    return render_template("error.html", status=status, message=body["message"]), status


def register_error_handlers(app: Flask) -> None:
    """Map domain and HTTP errors to responses in one place."""

    @app.errorhandler(VotingError)
    def handle_voting_error(exc: VotingError) -> Response:
        db.session.rollback()
        body, status = _render(exc.status, exc.to_json())
        response = app.make_response((body, status))
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(max(1, exc.retry_after))
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException) -> tuple[Response | str, int]:
        db.session.rollback()
        status = exc.code or 500
        name = (exc.name or "error").lower().replace(" ", "_")
        return _render(status, {"error": name, "message": exc.description or exc.name})

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> tuple[Response | str, int]:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, {"error": "internal", "message": "internal server error"})
