"""HTTP security for every response: headers, session cookies and the CSRF policy.

docs/security.md explains each choice. In short:

- ``Content-Security-Policy``: only this origin's scripts, styles, images and
  connections; no inline scripts or styles, no plug-ins, no framing, forms post
  only here. ``X-Frame-Options: DENY`` for older browsers.
- ``Referrer-Policy: same-origin``: nothing leaves for other sites, while
  same-origin form posts keep the ``Referer`` that Flask-WTF's strict HTTPS
  check needs (``no-referrer`` would break every form over HTTPS).
- ``Strict-Transport-Security`` on HTTPS requests (behind a proxy, configure
  ``ProxyFix`` so that Flask sees the scheme; docs/operations.md).
- ``URNA_PROXY_FIX``: the number of reverse proxies in front of the
  application (default 0). With N > 0, werkzeug's ``ProxyFix`` takes the
  client address, scheme, host and port from the last N hops of the
  ``X-Forwarded-*`` headers, so that rate limits see the real client and
  cookies and HSTS see HTTPS. Never set it higher than the real number of
  proxies: a client could then forge its address.
- Session cookie: ``Secure`` (except in debug and testing), ``HttpOnly``,
  ``SameSite=Lax``, and the ``__Host-`` prefix when Secure.
- CSRF (Flask-WTF): every POST/PUT/PATCH/DELETE needs a token, except JSON API
  routes under ``/api/`` that do not act on an official's session (voters'
  ballots and witnesses' cosignatures authenticate by signature and send no
  cookie). Official routes under ``/api/`` still need the token, in the
  ``X-CSRFToken`` header.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from flask import session
from werkzeug.middleware.proxy_fix import ProxyFix

from voting.app.extensions import csrf
from voting.errors import InvalidRequest

OFFICIAL_ROUTE_ATTR = "urna_official_route"
"""Set on a view function by :func:`voting.views._auth.official_required`."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), geolocation=(), microphone=(), payment=(), usb=()",
}

HSTS_SECONDS = 2 * 365 * 24 * 3600


def init_security(app: Flask, overrides: Mapping[str, Any]) -> None:
    """Configure cookies and CSRF and add the header hook.

    Args:
        overrides: the configuration the caller gave ``create_app``; a setting
            named there is left as given.
    """
    secure = not (app.debug or app.testing)
    defaults: dict[str, Any] = {
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "__Host-urna" if secure else "urna",
        "URNA_HSTS_SECONDS": HSTS_SECONDS,
    }
    for key, value in defaults.items():
        if key not in overrides:
            app.config[key] = value
    hops = proxy_hops(app.config.get("URNA_PROXY_FIX", 0))
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    # Flask-WTF's own hook checks every endpoint; ours applies the /api/ policy.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(refuse_control_characters)
    app.before_request(_protect_from_csrf)
    app.after_request(add_security_headers)
    app.after_request(drain_unread_body)


def proxy_hops(value: object) -> int:
    """The ``URNA_PROXY_FIX`` setting as a number of trusted proxies (0 to 5).

    Raises:
        ValueError: not a whole number between 0 and 5.
    """
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) > 5:
        raise ValueError(
            f"URNA_PROXY_FIX is the number of reverse proxies in front of Urna (0 to 5), "
            f"got {value!r}"
        )
    return int(text)


def is_official_view(view: Callable[..., Any] | None) -> bool:
    """Whether a view acts on an official's session (marked by ``official_required``)."""
    return view is not None and getattr(view, OFFICIAL_ROUTE_ATTR, None) is not None


def refuse_control_characters() -> None:
    """Refuse a control character (``%00``...) in a path segment or query value, first.

    No identifier of Urna contains one, and PostgreSQL refuses a NUL in text
    with a driver error (a 500): one check here covers every route.

    Raises:
        InvalidRequest: a path segment or query value holds a control character.
    """
    values = [*(request.view_args or {}).values(), *(v for _, v in request.args.items(multi=True))]
    for value in values:
        if isinstance(value, str) and any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise InvalidRequest("the address holds a control character (such as %00)")


DRAIN_BYTES = 1024 * 1024
"""At most this much of a body the view did not read is read and dropped after the answer."""


def drain_unread_body(response: Response) -> Response:
    """Read (and drop) what is left of a refused request's body, up to :data:`DRAIN_BYTES`.

    A route that refuses a request before reading its body (401, 403, 413, a
    nested body refused after the first bytes) would otherwise leave the rest
    unread: the server then closes the connection while the client is still
    sending, and the client sees a reset instead of the answer.
    """
    length = request.content_length
    if length is None and not request.environ.get("wsgi.input_terminated"):
        return response  # no body, or one the server cannot delimit
    if length is not None and length > DRAIN_BYTES:
        return response  # too large to be worth reading: the connection closes
    stream = request.stream
    left = DRAIN_BYTES
    while left > 0:
        chunk = stream.read(min(64 * 1024, left))
        if not chunk:
            break
        left -= len(chunk)
    return response


def _protect_from_csrf() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if request.path.startswith("/api/") and not is_official_view(view):
        return
    csrf.protect(apply_exemptions=True)


def add_security_headers(response: Response) -> Response:
    """Add the headers above (a view may set its own value first)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        seconds = int(current_app.config.get("URNA_HSTS_SECONDS", HSTS_SECONDS))
        response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}")
    if "immutable" in (response.headers.get("Cache-Control") or ""):
        return response  # the same for everyone: the session is not read (no Vary: Cookie)
    if session.get("official_token"):
        # Pages of a logged-in official carry personal data and CSRF tokens.
        response.headers["Cache-Control"] = "no-store"
    return response
