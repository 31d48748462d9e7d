"""Every official route refuses anonymous users and users of the wrong role or jurisdiction.

The walk over ``app.url_map`` covers every route marked by ``official_required``
(now and in future), and checks that nothing under ``/officials/`` or
``/api/officials/`` escaped the marking.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator

import pytest
import sqlalchemy.orm as so
from flask import Blueprint
from flask import Flask
from flask import jsonify
from flask.testing import FlaskClient
from flask.typing import ResponseReturnValue
from nacl.signing import SigningKey
from werkzeug.routing import Rule

from tests.official_actions import OfficialActions
from tests.small_tree import make_tree
from voting.app.security import OFFICIAL_ROUTE_ATTR
from voting.models.jurisdictions import Jurisdiction
from voting.models.officials import JURISDICTION_ROLES
from voting.models.officials import ROLES
from voting.services.votedays import create_vote_day
from voting.services.votedays import set_status
from voting.views._auth import OfficialRoute
from voting.views._auth import official_required

OFFICIAL_PREFIXES = ("/officials/", "/api/officials/")
UNIT_ARG = "municipality:351"  # in canton BE
ELSEWHERE = "canton:ZH"


def _route(app: Flask, rule: Rule) -> OfficialRoute | None:
    return getattr(app.view_functions[rule.endpoint], OFFICIAL_ROUTE_ATTR, None)


def official_rules(app: Flask) -> Iterator[tuple[Rule, OfficialRoute, str]]:
    for rule in app.url_map.iter_rules():
        route = _route(app, rule)
        if route is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, route, method


def url_for_rule(rule: Rule, route: OfficialRoute) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        is_number = type(converter).__name__ in {"IntegerConverter", "FloatConverter"}
        values[name] = 1 if is_number else "placeholder"
    if isinstance(route.jurisdiction_from, str):
        values[route.jurisdiction_from] = UNIT_ARG
    return rule.build(values, append_unknown=False)[1]  # type: ignore[index]


def request(client: FlaskClient, method: str, url: str, token: str) -> int:
    headers = {"X-CSRFToken": token}
    response = client.open(url, method=method, data={"csrf_token": token}, headers=headers)
    return response.status_code


@pytest.fixture()
def tree(db_session: so.Session) -> dict[str, Jurisdiction]:
    return make_tree(db_session)


@pytest.fixture()
def demo_routes(app: Flask) -> None:
    """Routes of the kinds other blueprints will add (registered before any request)."""
    bp = Blueprint("demo_official", __name__)

    @bp.route("/officials/demo/<unit>/count", methods=["GET", "POST"])
    @official_required("returning_officer", jurisdiction_from="unit")
    def count(unit: str) -> ResponseReturnValue:
        return f"counted {unit}"

    @bp.post("/api/officials/demo/ping")
    @official_required(("clerk", "registrar"))
    def ping() -> ResponseReturnValue:
        return jsonify(pong=True)

    @bp.post("/api/demo/public")
    def public() -> ResponseReturnValue:
        return jsonify(public=True)

    app.register_blueprint(bp)


def test_the_walk_sees_official_routes(app: Flask, demo_routes: None) -> None:
    endpoints = {rule.endpoint for rule, _, _ in official_rules(app)}
    assert {"auth.account", "registrar.upload", "demo_official.count"} <= endpoints


def test_nothing_under_the_official_prefixes_is_unmarked(app: Flask, demo_routes: None) -> None:
    unmarked = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(OFFICIAL_PREFIXES) and _route(app, rule) is None
    ]
    assert unmarked == []


def test_every_official_route_refuses_anonymous_users(
    app: Flask, demo_routes: None, official_actions: OfficialActions, client: FlaskClient
) -> None:
    token = official_actions.csrf_token()  # a valid token: the refusal must be the login check
    for rule, route, method in official_rules(app):
        url = url_for_rule(rule, route)
        status = request(client, method, url, token)
        expected = {401} if url.startswith("/api/") else {303}
        assert status in expected, f"{method} {rule.rule} answered {status} to an anonymous user"


def test_every_official_route_refuses_the_wrong_roles(
    app: Flask,
    demo_routes: None,
    official_actions: OfficialActions,
    client: FlaskClient,
    tree: dict[str, Jurisdiction],
) -> None:
    for index, (rule, route, method) in enumerate(official_rules(app)):
        if route.roles is None:
            continue  # any logged-in official
        others = [r for r in ROLES if r not in route.roles]
        grants = [f"{r}:nation:CH" if r in JURISDICTION_ROLES else r for r in others]
        official_actions.log_in_as(*grants, username=f"wrong{index}")
        status = request(client, method, url_for_rule(rule, route), official_actions.csrf_token())
        assert status == 403, f"{method} {rule.rule} answered {status} to roles {others}"
        official_actions.log_out()


def test_every_scoped_route_refuses_the_wrong_jurisdiction(
    app: Flask,
    demo_routes: None,
    official_actions: OfficialActions,
    client: FlaskClient,
    tree: dict[str, Jurisdiction],
) -> None:
    checked = 0
    for index, (rule, route, method) in enumerate(official_rules(app)):
        if route.roles is None or not isinstance(route.jurisdiction_from, str):
            continue
        scoped = [r for r in route.roles if r in JURISDICTION_ROLES]
        official_actions.log_in_as(*(f"{r}:{ELSEWHERE}" for r in scoped), username=f"zh{index}")
        status = request(client, method, url_for_rule(rule, route), official_actions.csrf_token())
        assert status == 403, f"{method} {rule.rule} answered {status} to {ELSEWHERE} officials"
        official_actions.log_out()
        checked += 1
    assert checked >= 2  # the demo route's GET and POST at least


def test_right_jurisdiction_via_an_ancestor(
    demo_routes: None, official_actions: OfficialActions, tree: dict[str, Jurisdiction]
) -> None:
    official_actions.log_in_as("returning_officer:canton:BE")
    client = official_actions.client
    assert client.get("/officials/demo/municipality:351/count").data == b"counted municipality:351"
    response = official_actions.post("/officials/demo/municipality:351/count")
    assert response.status_code == 200
    refused = client.get("/officials/demo/quarter:10261/count")
    assert refused.status_code == 403
    assert b"returning_officer for quarter:10261" in refused.data
    assert client.get("/officials/demo/canton:XX/count").status_code == 404


def test_official_api_routes_need_the_csrf_header_but_public_api_routes_do_not(
    demo_routes: None, official_actions: OfficialActions, client: FlaskClient
) -> None:
    assert client.post("/api/demo/public", json={}).status_code == 200
    official_actions.log_in_as("registrar")
    assert client.post("/api/officials/demo/ping", json={}).status_code == 400
    response = official_actions.post_json("/api/officials/demo/ping", {})
    assert response.status_code == 200 and response.get_json() == {"pong": True}


def test_anonymous_api_answer_is_json(demo_routes: None, client: FlaskClient) -> None:
    response = client.post(
        "/api/officials/demo/ping", json={}, headers={"X-CSRFToken": "irrelevant"}
    )
    # CSRF comes first for official routes; with no session there is no token to match.
    assert response.status_code in {400, 401}
    assert response.is_json


# -- the registrar's upload page ------------------------------------------------------


DAY = "2026-03-08-ch"


def _list(units: dict[str, int]) -> bytes:
    document = {
        "vote_day": DAY,
        "units": {
            unit: sorted(
                bytes(SigningKey(bytes([i, n]) * 16).verify_key).hex() for i in range(count)
            )
            for n, (unit, count) in enumerate(units.items())
        },
    }
    return json.dumps(document).encode()


def test_registrar_uploads_a_list(
    official_actions: OfficialActions, tree: dict[str, Jurisdiction], db_session: so.Session
) -> None:
    create_vote_day(db_session, vote_day_id=DAY, date=dt.date(2026, 3, 8), titles={"de": "T"})
    official_actions.log_in_as("registrar")
    url = f"/officials/vote-days/{DAY}/credentials"
    page = official_actions.client.get(url)
    assert page.status_code == 200 and b"None yet" in page.data
    upload = {"credential_list": (io.BytesIO(_list({"quarter:10261": 3})), "list.json")}
    response = official_actions.post(url, upload, content_type="multipart/form-data")
    assert response.status_code == 200
    assert b"Credential list stored: 3 credentials; units: 1." in response.data
    again = {"credential_list": (io.BytesIO(_list({"quarter:10261": 1})), "list.json")}
    refused = official_actions.post(url, again, content_type="multipart/form-data")
    assert refused.status_code == 400 and b"Nothing was stored" in refused.data
    set_status(db_session, DAY, "open")
    late = {"credential_list": (io.BytesIO(_list({"quarter:10262": 1})), "list.json")}
    frozen = official_actions.post(url, late, content_type="multipart/form-data")
    assert frozen.status_code == 409 and b"can no longer change" in frozen.data
    not_json = {"credential_list": (io.BytesIO(b"\xff{"), "list.json")}
    response = official_actions.post(url, not_json, content_type="multipart/form-data")
    assert response.status_code == 400
    assert official_actions.client.get("/officials/vote-days/nope/credentials").status_code == 404
