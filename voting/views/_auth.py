"""Who is logged in, and the ``official_required`` decorator for official routes.

Every official route is wrapped by :func:`official_required`, which marks the
view (``urna_official_route``) so that the CSRF policy and the route-walking
tests (tests/web/test_official_routes.py) find it. Anonymous users get a
redirect to the login page (HTML) or a 401 JSON answer (``/api/``); an
official without the role, or with it for another jurisdiction, gets 403.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from typing import TypeVar
from urllib.parse import urlsplit

from flask import current_app
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue

from voting.app.extensions import db
from voting.app.security import OFFICIAL_ROUTE_ATTR
from voting.errors import LoginRequired
from voting.models.jurisdictions import Jurisdiction
from voting.models.officials import ROLES
from voting.models.officials import Official
from voting.services import officials
from voting.services.jurisdictions import get_unit

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])
JurisdictionFrom = Callable[..., Jurisdiction | None] | str | None

SESSION_TOKEN = "official_token"  # noqa: S105 (a session key name, not a secret)
SESSION_SEEN = "seen"
IDLE_SECONDS = 30 * 60
_CACHE = "urna.official"


@dataclass(frozen=True, slots=True)
class OfficialRoute:
    """What an official route requires: one of ``roles`` (None: any logged-in official)."""

    roles: tuple[str, ...] | None
    jurisdiction_from: JurisdictionFrom


def current_official() -> Official | None:
    """The official of this request's session, or None (an ended session is cleared)."""
    # Cached per request in the WSGI environ (``g`` may outlive one request in tests).
    if _CACHE in request.environ:
        return request.environ[_CACHE]  # type: ignore[no-any-return]
    request.environ[_CACHE] = _load_official()
    return request.environ[_CACHE]  # type: ignore[no-any-return]


def _load_official() -> Official | None:
    token = session.get(SESSION_TOKEN)
    if not isinstance(token, str):
        return None
    now = int(time.time())
    idle = int(current_app.config.get("URNA_SESSION_IDLE_SECONDS", IDLE_SECONDS))
    seen = session.get(SESSION_SEEN)
    if not isinstance(seen, int) or now - seen > idle:
        _drop_session(token)
        return None
    try:
        official = officials.resume_session(db.session, token)
    except LoginRequired:
        _forget_login()
        return None
    if now - seen >= 60:  # refresh the idle clock at most once a minute
        session[SESSION_SEEN] = now
    return official


def _drop_session(token: str) -> None:
    officials.end_session(db.session, token)
    _forget_login()


def _forget_login() -> None:
    # Only the login: the anonymous CSRF secret of a form being filled in stays.
    session.pop(SESSION_TOKEN, None)
    session.pop(SESSION_SEEN, None)


def official_required(
    role: str | Iterable[str] | None, *, jurisdiction_from: JurisdictionFrom = None
) -> Callable[[View], View]:
    """Restrict a view to officials holding ``role`` (or one of several roles).

    Args:
        role: a role name, several (any one suffices), or None for any
            logged-in official.
        jurisdiction_from: the jurisdiction the action applies to: the name of
            a URL variable holding ``level:code`` (for example ``"unit"``), or
            a function of the view's keyword arguments returning a
            :class:`Jurisdiction` (or None when the action is not scoped).
    """
    roles = _roles(role)

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(**kwargs: Any) -> ResponseReturnValue:
            official = current_official()
            if official is None:
                return _refuse_anonymous()
            if roles is not None:
                officials.require(official, roles)  # (1) the role at all, before any lookup
                unit = _jurisdiction(jurisdiction_from, kwargs)
                if unit is not None:
                    officials.require(official, roles, unit)  # (2) for this jurisdiction
            return view(**kwargs)

        setattr(wrapped, OFFICIAL_ROUTE_ATTR, OfficialRoute(roles, jurisdiction_from))
        return wrapped  # type: ignore[return-value]

    return decorator


def _roles(role: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if role is None:
        return None
    roles = (role,) if isinstance(role, str) else tuple(role)
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValueError(f"official_required: unknown roles {unknown}; roles are {ROLES}")
    return roles


def _jurisdiction(source: JurisdictionFrom, kwargs: dict[str, Any]) -> Jurisdiction | None:
    if source is None:
        return None
    if isinstance(source, str):
        return get_unit(db.session, str(kwargs[source]))
    return source(**kwargs)


def _refuse_anonymous() -> ResponseReturnValue:
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        raise LoginRequired("please log in as an official")
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target), code=303)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no open redirect), else None.

    Browsers drop tabs and newlines from URLs and read ``\\`` as ``/``, so
    ``/\t/evil.example`` would become ``//evil.example``, another site: every
    control character, space and backslash is refused, and what is left must
    be a path without a scheme or a host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return target
