"""Domain errors and their single HTTP mapping.

Services raise subclasses of :class:`VotingError`; each carries a stable
machine-readable ``code``, an HTTP ``status`` and a message a person can act
on. :func:`register_error_handlers` turns them into JSON (for API requests) or
an error page, and rolls back the session on any unexpected error.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from voting.extensions import db


class VotingError(Exception):
    """Base class of domain errors."""

    code = "error"
    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class NotFound(VotingError):
    code = "not_found"
    status = 404


class InvalidRequest(VotingError):
    code = "invalid_request"
    status = 400


class Conflict(VotingError):
    code = "conflict"
    status = 409


class Forbidden(VotingError):
    code = "forbidden"
    status = 403


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(status: int, body: dict[str, Any]) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify(body), status
    return render_template("error.html", status=status, message=body["message"]), status


def register_error_handlers(app: Flask) -> None:
    """Map domain and HTTP errors to responses in one place."""

    @app.errorhandler(VotingError)
    def handle_voting_error(exc: VotingError) -> tuple[Response | str, int]:
        db.session.rollback()
        return _render(exc.status, exc.to_json())

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
