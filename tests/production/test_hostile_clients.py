"""Hostile clients against gunicorn as shipped (gunicorn.conf.py; issue 14).

Each test names the attacker and what they can do; each failed before its
defence: sync workers were held by slow clients, and a nested body crashed a
worker (SIGSEGV) because py_ecc had raised the recursion limit.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests.production._server import Gunicorn
from tests.production.conftest import prepare_voters

NESTED = b"[" * 90_000


@pytest.fixture()
def shipped(app: Flask, tmp_path: Path) -> Iterator[Gunicorn]:
    """gunicorn with the shipped defaults on a two-core machine: two workers."""
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2)
    try:
        yield server
    finally:
        server.stop()


def _json_posts(app: Flask, vote_day: str) -> list[str]:
    return [
        rule.rule.replace("<vote_day>", vote_day).replace("<name>", vote_day)
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and rule.rule.startswith("/api/")
    ]


def _restarts(server: Gunicorn) -> list[str]:
    lines = server.errors().splitlines()
    return [line for line in lines if "SIGSEGV" in line or "Booting worker" in line]


def test_deep_nesting_to_every_json_endpoint_is_refused_by_the_same_worker(
    app: Flask, shipped: Gunicorn
) -> None:
    """Stranger: 180 KB of nested brackets to every JSON endpoint, also chunked."""
    voters = prepare_voters(app, 1)
    url = shipped.start()
    workers = sorted(shipped.worker_pids())
    booted = len(_restarts(shipped))
    routes = _json_posts(app, voters.vote_day)
    assert len(routes) >= 10
    with requests.Session() as http:
        for route in routes:
            headers = {"Content-Type": "application/json"}
            answer = http.post(url + route, data=NESTED, headers=headers, timeout=30)
            assert 400 <= answer.status_code < 500, (route, answer.status_code)
        for route in (
            f"/api/vote-days/{voters.vote_day}/ballots",
            f"/api/logs/{voters.vote_day}/witnesses",
        ):
            chunks = (NESTED[i : i + 4096] for i in range(0, len(NESTED), 4096))
            answer = http.post(url + route, data=chunks, headers=headers, timeout=30)
            assert 400 <= answer.status_code < 500, (route, answer.status_code)
        answer = http.post(
            f"{url}/api/vote-days/{voters.vote_day}/ballots",
            data=voters.ballot(0),
            headers=headers,
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
    assert sorted(shipped.worker_pids()) == workers
    assert len(_restarts(shipped)) == booted, shipped.errors()


def _slow_client(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(b"GET /api/logs/none/key HTTP/1.1\r\nHost: x\r\n")  # headers never end
    return sock


def test_slow_clients_do_not_hold_the_workers(app: Flask, shipped: Gunicorn) -> None:
    """Stranger: two connections that send their headers one byte at a time.

    Before: each held a sync worker until the 30 s timeout; nothing else was served.
    """
    prepare_voters(app, 1)
    url = shipped.start()
    slow = [_slow_client(url), _slow_client(url)]
    try:
        for sock in slow:
            sock.sendall(b"X")  # first byte of a header: the request has begun
        host, port = url.removeprefix("http://").split(":")
        answered = 0
        for _ in range(4):  # meanwhile, normal requests on fresh connections
            for sock in slow:
                sock.sendall(b"-")
            connection = http.client.HTTPConnection(host, int(port), timeout=5)
            connection.request("GET", "/api/logs/none/key")
            response = connection.getresponse()
            response.read()
            connection.close()
            assert response.status == 404
            answered += 1
            time.sleep(0.2)
        assert answered == 4
    finally:
        for sock in slow:
            sock.close()


def test_junk_naming_a_victims_credential_through_gunicorn(
    app: Flask, shipped: Gunicorn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stranger who read the victim's public credential: 1,000 junk casts, then the victim votes.

    Before: the 21st junk request locked the victim's credential out (429 for 15 minutes).
    Behind the reverse proxy (URNA_PROXY_FIX=1) attacker and victim have their own addresses.
    """
    monkeypatch.setenv("URNA_PROXY_FIX", "1")
    voters = prepare_voters(app, 1)
    url = shipped.start()
    cast = f"{url}/api/vote-days/{voters.vote_day}/ballots"
    victim = json.loads(voters.ballot(0))
    junk = json.dumps({"credential": victim["credential"]}).encode()
    attacker = {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.7"}
    with requests.Session() as http:
        statuses = [
            http.post(cast, data=junk, headers=attacker, timeout=30).status_code
            for _ in range(1000)
        ]
        assert set(statuses) <= {400, 429}
        assert statuses.count(429) > 0  # the attacker's address is limited
        headers = {**attacker, "X-Forwarded-For": "198.51.100.20"}
        answer = http.post(cast, data=voters.ballot(0), headers=headers, timeout=30)
    assert answer.status_code == 201, answer.text
