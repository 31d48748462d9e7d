"""Hostile clients (issue 14): a stranger tries to lock voters out, crash a worker or leak data.

Each test names the attacker and what they can do, and fails on the code
before its defence (docs/threat-model.md, "Hostile clients").
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner

from tests.fixtures_casting import OpenVoteDay
from tests.fixtures_casting import blank_ballot
from voting.app.extensions import db
from voting.errors import InvalidOfficial
from voting.log import bulletin
from voting.models.officials import RateCounter
from voting.services import officials
from voting.services import throttle
from voting.views._auth import safe_next

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_keeps_the_default_recursion_limit() -> None:
    """Stranger, any HTTP client: a deeply nested body must raise, not overflow the C stack.

    py_ecc raises the limit to 100,000 at import; crypto.witness puts it back.
    """
    code = (
        "import sys; d = sys.getrecursionlimit(); import crypto.witness;"
        " from voting.app import create_app;"
        " create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'});"
        " print(d, sys.getrecursionlimit())"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    default, after = out.stdout.split()
    assert after == default


def _counter_keys() -> list[str]:
    db.session.rollback()
    return list(db.session.execute(sa.select(RateCounter.key)).scalars())


ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
VICTIM = {"REMOTE_ADDR": "198.51.100.20"}


def test_junk_naming_a_victims_credential_does_not_lock_the_victim_out(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Stranger who read the victim's public credential in the log: sends 1,000 junk ballots.

    Before: the 21st junk request locked the credential for 15 minutes (429).
    """
    opened = prepare_vote_day()
    victim = blank_ballot(opened)
    url = f"/api/vote-days/{opened.vote_day}/ballots"
    client = app.test_client()
    junk_kinds = [
        {"credential": victim["credential"]},  # no ballot at all
        {**victim, "signature": "00" * 64},  # the victim's credential, a forged signature
        {"ballot": {"credential": victim["credential"]}},
    ]
    statuses = Counter(
        client.post(url, json=junk_kinds[n % 3], environ_base=ATTACKER).status_code
        for n in range(1000)
    )
    assert set(statuses) <= {400, 429}, statuses
    assert statuses[429] > 0  # the attacker's address is limited, not the victim's credential
    size = bulletin.log_size(db.session, opened.vote_day)
    answer = client.post(url, json=victim, environ_base=VICTIM)
    assert answer.status_code == 201, answer.get_json()
    assert bulletin.log_size(db.session, opened.vote_day) == size + 1
    keys = _counter_keys()
    assert f"cast:{victim['credential']}" in keys  # counted once, for the real ballot
    assert not any(k.endswith(("203.0.113.7", "198.51.100.20")) for k in keys)  # hashed


def test_junk_from_one_address_is_limited_and_answers_carry_retry_after(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Stranger flooding the casting endpoint: over the junk limit, 429 with Retry-After."""
    app.config["URNA_JUNK_LIMIT"] = (5, 600)
    opened = prepare_vote_day()
    url = f"/api/vote-days/{opened.vote_day}/ballots"
    client = app.test_client()
    junk = {**blank_ballot(opened), "signature": "00" * 64}
    answers = [client.post(url, json=junk, environ_base=ATTACKER) for _ in range(7)]
    assert [a.status_code for a in answers] == [400] * 5 + [429] * 2
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 600
    assert client.post(url, json=blank_ballot(opened, 1), environ_base=VICTIM).status_code == 201


def test_junk_from_everyone_together_is_limited(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Many strangers (a botnet), each under its own address's limit: the total is limited."""
    app.config["URNA_JUNK_TOTAL_LIMIT"] = (10, 600)
    opened = prepare_vote_day()
    url = f"/api/vote-days/{opened.vote_day}/ballots"
    client = app.test_client()
    junk = {**blank_ballot(opened), "signature": "00" * 64}
    statuses = [
        client.post(url, json=junk, environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code
        for n in range(12)
    ]
    assert statuses == [400] * 10 + [429] * 2


NESTED = b"[" * 90_000


def _json_routes(app: Flask) -> list[str]:
    """Every POST route whose view reads a JSON body (the official ones answer 401/403 first)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or set()) and rule.rule.startswith("/api/"):
            routes.append(
                rule.rule.replace("<vote_day>", "2026-06-14-ch").replace("<name>", "2026-06-14-ch")
            )
    return routes


def test_deeply_nested_json_is_refused_by_every_json_endpoint(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Stranger: 90,000 nested brackets (180 KB), with and without Content-Length.

    Before: py_ecc's recursion limit let the C decoder overflow the stack (SIGSEGV).
    """
    prepare_vote_day()
    client = app.test_client()
    routes = _json_routes(app)
    assert len(routes) >= 10
    for route in routes:
        answer = client.post(route, data=NESTED, content_type="application/json")
        assert 400 <= answer.status_code < 500, (route, answer.status_code)
    deep = b"[" * 33 + b"]" * 33
    for route in ("/api/vote-days/2026-06-14-ch/ballots", "/api/logs/2026-06-14-ch/witnesses"):
        answer = client.post(route, data=deep, content_type="application/json")
        assert answer.status_code == 400 and answer.get_json()["error"] in {
            "malformed_json",
            "malformed_ballot",
        }
        chunked = client.post(
            route,
            input_stream=io.BytesIO(NESTED),
            content_type="application/json",
            headers={"Transfer-Encoding": "chunked"},
            environ_base={"wsgi.input_terminated": True},  # as gunicorn decodes chunks
        )
        assert chunked.status_code == 413, route


def test_a_5000_digit_credential_is_a_client_error(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Stranger: a number longer than Python's integer limit (was a 500)."""
    opened = prepare_vote_day()
    client = app.test_client()
    body = b'{"credential": ' + b"7" * 5000 + b"}"
    for route in (
        f"/api/vote-days/{opened.vote_day}/ballots",
        f"/api/vote-days/{opened.vote_day}/audits",
        f"/api/logs/{opened.vote_day}/cosignatures",
    ):
        answer = client.post(route, data=body, content_type="application/json")
        assert answer.status_code == 400, (route, answer.status_code)


def test_a_nul_in_any_path_segment_is_a_client_error(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Stranger: ``%00`` in a vote-day or log name (a PostgreSQL DataError, a 500, before)."""
    opened = prepare_vote_day()
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for argument in sorted(rule.arguments):
                if f"<int:{argument}>" in rule.rule:
                    continue  # not a string: %00 does not match the route (404)
                values = {a: opened.vote_day for a in rule.arguments}
                values[argument] = f"{opened.vote_day}%00x"
                path = rule.rule
                for name, value in values.items():
                    path = path.replace(f"<{name}>", value).replace(f"<int:{name}>", "1")
                answer = client.open(path, method=method, query_string={"start": "0", "old": "1"})
                assert 400 <= answer.status_code < 500, (method, path, answer.status_code)
                checked += 1
    assert checked >= 60
    answer = client.get("/api/logs/x/entries", query_string={"start": "0\x00"})
    assert answer.status_code == 400


def test_login_never_redirects_to_another_site(client: FlaskClient) -> None:
    """Stranger sending a voter or official a login link with ``next=/%09/evil.example``."""
    for target in ("/\t/evil.example/phish", "/\n/evil.example", "/ /evil.example", "/\\evil"):
        assert safe_next(target) is None, target
    assert safe_next("/officials/vote-days/x?tab=1") == "/officials/vote-days/x?tab=1"
    page = client.get("/login?next=/%09/evil.example/phish")
    assert 'name="next" value="/' not in page.get_data(as_text=True)


def test_a_tracking_code_typed_with_spaces_is_found(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """A voter copying the 13 groups with spaces (64 characters: it was read as hex)."""
    opened = prepare_vote_day()
    client = app.test_client()
    receipt = client.post(f"/api/vote-days/{opened.vote_day}/ballots", json=blank_ballot(opened))
    code = receipt.get_json()["tracking_code"]
    spaced = code.replace("-", " ")
    assert len(spaced) == 64
    for typed in (code, spaced, code.replace("-", ""), code.lower()):
        found = client.get(f"/api/vote-days/{opened.vote_day}/receipts/{typed}")
        assert found.status_code == 200, (typed, found.get_json())


def test_immutable_log_answers_are_cacheable_by_anyone(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Crowd of observers (or a stranger's flood) on the log: a CDN must be able to serve it."""
    opened = prepare_vote_day()
    client = app.test_client()
    client.set_cookie("urna", "anything")  # an official's browser, say
    log = f"/api/logs/{opened.vote_day}"
    size = bulletin.log_size(db.session, opened.vote_day)
    for path in (
        f"{log}/entries/0",
        f"{log}/entries?start=0&end=2",
        f"{log}/proof/inclusion?index=0&size={size}",
        f"{log}/proof/consistency?old=1&new={size}",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable", path
        assert "Cookie" not in answer.headers.get("Vary", ""), path
        assert "Set-Cookie" not in answer.headers, path
    latest = client.get(f"{log}/proof/consistency?old=1")  # against the latest: may change
    assert "immutable" not in latest.headers.get("Cache-Control", "")


def test_rate_limit_rows_are_purged_without_any_login(app: Flask, runner: FlaskCliRunner) -> None:
    """Server operator's database leaked later: who typed codes, and from where, is gone.

    Before: ``code-ip:<address>`` and ``cast:<credential>`` rows stayed until an official logged in.
    """
    old = int(time.time()) - throttle.RETENTION - 5
    limit = throttle.Limit(attempts=20, window=900)
    throttle.hit(db.session, "code-ip:old", limit, what="x", now=old)
    throttle.hit(db.session, "cast:old", limit, what="x", now=old)
    result = runner.invoke(args=["schedule", "run"])
    assert result.exit_code == 0, result.output
    assert _counter_keys() == []
    throttle.hit(db.session, "cast:old", limit, what="x", now=old)
    throttle._last_purge = 0  # the next hit of any worker purges
    throttle.hit(db.session, "code-ip:new", limit, what="x")
    assert _counter_keys() == ["code-ip:new"]


def test_the_code_form_never_sends_the_code(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Anyone reading proxy logs or the browser history: without JavaScript, no code in the URL."""
    opened = prepare_vote_day()
    page = app.test_client().get(f"/vote/{opened.vote_day}").get_data(as_text=True)
    form = page[page.index('<form id="code-form"') : page.index("</form>", page.index("code-form"))]
    assert 'id="code"' in form
    assert "name=" not in form  # an unnamed field is never submitted


def test_common_and_patterned_passwords_are_refused_for_officials() -> None:
    """Online guesser trying the usual passwords against officials' accounts (NIST SP 800-63B)."""
    for weak in (
        "password1234",
        "aaaaaaaaaaaa",
        "abcabcabcabc",
        "123456789012",
        "qwertzuiopas",
        "!Monkey2024!",
        "Abstimmung2026",
    ):
        with pytest.raises(InvalidOfficial):
            officials.check_password_rules(weak)
    officials.check_password_rules("correct horse battery staple")
