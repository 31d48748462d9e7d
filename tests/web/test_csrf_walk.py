"""CSRF is enforced on every state-changing route (a walk over ``app.url_map``).

Every POST/PUT/PATCH/DELETE route needs a CSRF token, except the public JSON
API routes that act on no session (voters' ballots and witnesses' cosignatures
authenticate by signature, docs/security.md): those are listed here, so that a
new exemption is a reviewed change. The official tested holds every role, so a
refusal can only be the CSRF check; a request with the right token is not
refused by it (the walk cannot pass vacuously).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy.orm as so
from flask import Flask
from werkzeug.routing import Rule

from tests.official_actions import OfficialActions
from tests.small_tree import make_tree
from voting.app.security import is_official_view
from voting.models.officials import JURISDICTION_ROLES
from voting.models.officials import ROLES

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SIGNED_PUBLIC_API = {
    "casting_api.cast",
    "casting_api.audit",
    "casting_api.choice_codes",  # return codes: partial codes proven with the voter's x_c
    "casting_api.confirm",  # return codes: a proof of knowledge of the voter's x_c
    "casting_api.codes_status",  # return codes: signed by the credential (a read)
    "witness_api.register",
    "witness_api.cosign",
}
"""Exempt: authorised by a credential or witness signature, never by a cookie."""


def unsafe_rules(app: Flask) -> Iterator[tuple[Rule, str]]:
    # Logging out (with the right token) ends the session: walk it last.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout"):
        for method in sorted((rule.methods or set()) & UNSAFE):
            yield rule, method


def _url(rule: Rule) -> str:
    values: dict[str, object] = {}
    for name in rule.arguments:
        is_number = type(rule._converters[name]).__name__ in {"IntegerConverter", "FloatConverter"}
        values[name] = 1 if is_number else "2026-03-08-ch"
    return rule.build(values, append_unknown=False)[1]  # type: ignore[index]


def _is_csrf_refusal(status: int, body: bytes) -> bool:
    return status == 400 and b"CSRF" in body


@pytest.fixture()
def everything_official(official_actions: OfficialActions, db_session: so.Session) -> str:
    """Logged in with every role everywhere; returns the session's CSRF token."""
    make_tree(db_session)
    grants = [f"{r}:nation:CH" if r in JURISDICTION_ROLES else r for r in ROLES]
    official_actions.log_in_as(*grants, username="omnipotent")
    return official_actions.csrf_token()


def test_only_the_signed_public_api_is_exempt(app: Flask) -> None:
    exempt = {
        rule.endpoint
        for rule, _ in unsafe_rules(app)
        if rule.rule.startswith("/api/") and not is_official_view(app.view_functions[rule.endpoint])
    }
    assert exempt <= SIGNED_PUBLIC_API, (
        f"new CSRF-exempt routes {sorted(exempt - SIGNED_PUBLIC_API)}: "
        "only routes authorised by a signature may skip CSRF (docs/security.md)"
    )
    assert exempt, "the walk found no public API route: is the url_map empty?"


def test_every_other_unsafe_route_needs_the_csrf_token(
    app: Flask, official_actions: OfficialActions, everything_official: str
) -> None:
    client = official_actions.client
    checked = 0
    for rule, method in unsafe_rules(app):
        if rule.endpoint in SIGNED_PUBLIC_API:
            continue
        url = _url(rule)
        missing = client.open(url, method=method, data={})
        assert _is_csrf_refusal(missing.status_code, missing.data), (
            f"{method} {rule.rule} without a CSRF token answered {missing.status_code}"
        )
        forged = client.open(
            url, method=method, data={"csrf_token": "forged"}, headers={"X-CSRFToken": "forged"}
        )
        assert _is_csrf_refusal(forged.status_code, forged.data), (
            f"{method} {rule.rule} with a forged CSRF token answered {forged.status_code}"
        )
        right = client.open(
            url,
            method=method,
            data={"csrf_token": everything_official},
            headers={"X-CSRFToken": everything_official},
        )
        assert not _is_csrf_refusal(right.status_code, right.data), (
            f"{method} {rule.rule} refused the right CSRF token"
        )
        checked += 1
    assert checked >= 10
