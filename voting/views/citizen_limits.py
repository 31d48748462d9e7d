"""Rate limits on the citizens' routes: code entry and casting (docs/security.md, "Rate limits").

Reuses :mod:`voting.services.throttle` (database counters shared by every
worker; 429 ``too_many_attempts`` with ``Retry-After``, JSON or the error
page, when over). No counter names a client's address: the key is a keyed
hash (:func:`client_key`) of the address, or of its /64 network for IPv6.

- code entry: the ballot of a credential is asked for with its public key
  (``GET /vote/<id>/ballot`` and ``GET /api/vote-days/<id>/ballot``), and so
  is a card's ("no electronic ballot with my card", ``GET /vote/<id>/card/status``). Only
  lookups that fail count, per client address: an attempt is reserved before
  the lookup and given back when it succeeds. A voter's own typing errors
  never get this far (the code's check symbol catches them in the browser).
- casting: ``POST /api/vote-days/<id>/ballots`` and ``/audits`` pass
  :func:`cast_limits` to the casting service, which counts an attempt per
  credential only once the ballot's signature verified (a stranger naming a
  victim's credential uses up nothing of the victim's), and counts requests
  refused before that as junk, per client address and for everyone together
  (:class:`voting.services.casting.CastLimits`).

The limits are ``URNA_CODE_LIMIT``, ``URNA_CAST_LIMIT``, ``URNA_JUNK_LIMIT``
and ``URNA_JUNK_TOTAL_LIMIT`` (``(attempts, window seconds)``) when
configured, else the defaults below.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import Response
from flask import current_app
from flask import g
from flask import request

from voting.app.extensions import db
from voting.services import throttle
from voting.services.casting import CastLimits

CODE_LIMIT = throttle.Limit(attempts=20, window=15 * 60)
CAST_LIMIT = throttle.Limit(attempts=20, window=15 * 60)
JUNK_LIMIT = throttle.Limit(attempts=300, window=10 * 60)
JUNK_TOTAL_LIMIT = throttle.Limit(attempts=30_000, window=10 * 60)
CODE_ENDPOINTS = frozenset(
    {"citizen.ballot_form", "citizen.card_status", "casting_api.ballot_questions"}
)


def _limit(name: str, default: throttle.Limit) -> throttle.Limit:
    configured = current_app.config.get(name)
    return default if configured is None else throttle.Limit(*configured)


def client_key(prefix: str) -> str:
    """``prefix:`` and a keyed hash of the client's address (its /64 network for IPv6).

    The hash is keyed with the application's secret key, so a counter's key
    does not give the address back to whoever reads the table.
    """
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        mapped = parsed.ipv4_mapped if isinstance(parsed, ipaddress.IPv6Address) else None
        if isinstance(parsed, ipaddress.IPv6Address) and mapped is None:
            network = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
        else:
            network = str(mapped or parsed)
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    digest = hmac.new(secret, f"urna/v1/client\n{network}".encode(), hashlib.sha256)
    return f"{prefix}:{digest.hexdigest()[:32]}"


def cast_limits() -> CastLimits:
    """The limits of one cast or audit from this client."""
    return CastLimits(
        per_credential=_limit("URNA_CAST_LIMIT", CAST_LIMIT),
        client_key=client_key("junk-ip"),
        per_client=_limit("URNA_JUNK_LIMIT", JUNK_LIMIT),
        everyone=_limit("URNA_JUNK_TOTAL_LIMIT", JUNK_TOTAL_LIMIT),
    )


def before_request() -> None:
    """Count a code lookup before any work (raises TooManyAttempts when over the limit)."""
    if request.endpoint in CODE_ENDPOINTS:
        key = client_key("code-ip")
        limit = _limit("URNA_CODE_LIMIT", CODE_LIMIT)
        throttle.hit(db.session, key, limit, what="voting codes that were not recognised")
        g.urna_code_key = key


def after_request(response: Response) -> Response:
    """A recognised code gives its attempt back."""
    key = g.pop("urna_code_key", None)
    if key is not None and response.status_code == 200:
        throttle.release(db.session, key)
    return response
