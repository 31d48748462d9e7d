"""Rate limits on the citizens' routes: code entry and casting (docs/security.md).

Reuses :mod:`voting.services.throttle` (database counters shared by every
worker; 429 ``too_many_attempts`` JSON, or the error page, when over):

- code entry: the ballot of a credential is asked for with its public key
  (``GET /vote/<id>/ballot`` and ``GET /api/vote-days/<id>/ballot``). Only
  lookups that fail count, per client address: an attempt is reserved before
  the lookup and given back when it succeeds. A voter's own typing errors
  never get this far (the code's check symbol catches them in the browser).
- casting: ``POST /api/vote-days/<id>/ballots`` and ``/audits`` count per
  credential, whatever the answer, so that one credential cannot flood the
  log with audited ballots or re-votes. On PostgreSQL the attempt is counted
  in the cast's own transaction (committed with the ballot; a refused ballot's
  transaction is rolled back and the attempt counted again on its own, in
  :func:`after_request`); on SQLite in a transaction of its own, first.

The limits are ``URNA_CODE_LIMIT`` and ``URNA_CAST_LIMIT`` (``(attempts,
window seconds)``) when configured, else the defaults below.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from flask import Response
from flask import current_app
from flask import g
from flask import request

from voting.app.extensions import db
from voting.errors import TooManyAttempts
from voting.services import throttle
from voting.services.casting import MAX_BALLOT_BYTES

CODE_LIMIT = throttle.Limit(attempts=20, window=15 * 60)
CAST_LIMIT = throttle.Limit(attempts=20, window=15 * 60)
CODE_ENDPOINTS = frozenset({"citizen.ballot_form", "casting_api.ballot_questions"})
CAST_ENDPOINTS = frozenset({"casting_api.cast", "casting_api.audit"})
CAST_WHAT = "ballots for this code"


def _limit(name: str, default: throttle.Limit) -> throttle.Limit:
    configured = current_app.config.get(name)
    return default if configured is None else throttle.Limit(*configured)


def _credential_of(body: bytes) -> str | None:
    """The credential a cast or audit body names (None if unreadable: casting refuses it)."""
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("ballot"), dict):
        data = data["ballot"]
    credential = data.get("credential") if isinstance(data, dict) else None
    if isinstance(credential, str) and len(credential) == 64:
        return credential.lower()
    return None


def before_request() -> None:
    """Count the attempt before any work (raises TooManyAttempts when over the limit)."""
    endpoint = request.endpoint
    if endpoint in CODE_ENDPOINTS:
        key = f"code-ip:{request.remote_addr or 'unknown'}"
        limit = _limit("URNA_CODE_LIMIT", CODE_LIMIT)
        throttle.hit(db.session, key, limit, what="voting codes that were not recognised")
        g.urna_code_key = key
    elif endpoint in CAST_ENDPOINTS and request.method == "POST":
        length = request.content_length
        if length is not None and length > MAX_BALLOT_BYTES:
            return  # casting refuses it before reading
        credential = _credential_of(request.get_data(cache=True))
        if credential is not None:
            limit = _limit("URNA_CAST_LIMIT", CAST_LIMIT)
            key = f"cast:{credential}"
            if throttle.counts_in_transaction(db.session):
                g.urna_cast_attempt = (key, limit)  # before counting: over the limit is a refusal
                throttle.count(db.session, key, limit, what=CAST_WHAT)
            else:
                throttle.hit(db.session, key, limit, what=CAST_WHAT)


def after_request(response: Response) -> Response:
    """A recognised code gives its attempt back; a refused ballot's attempt is counted."""
    key = g.pop("urna_code_key", None)
    if key is not None and response.status_code == 200:
        throttle.release(db.session, key)
    attempt = g.pop("urna_cast_attempt", None)
    if attempt is not None and response.status_code not in (201, 503):  # 503: no database
        # The attempt was counted in the cast's transaction, which a refusal
        # rolls back: count it again, on its own (it may now be over the limit).
        db.session.rollback()
        with contextlib.suppress(TooManyAttempts):
            throttle.hit(db.session, *attempt, what=CAST_WHAT)
    return response
