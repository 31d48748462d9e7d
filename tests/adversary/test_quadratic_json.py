"""A stranger burns a worker's CPU with a body that the JSON reader scans in quadratic time.

Attacker: anyone who can POST to a JSON endpoint (casting needs no account).
Before: the depth check's string pattern needed a closing quote, so each of
the 32,000 quotes of ``"\\"\\"\\…`` (64 KB, under the size limit) began a
string that ran to the end of the body and failed: 12 s of a worker's CPU
for one request (docs/threat-model.md, "Hostile clients").
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.log import bulletin
from voting.services.json_input import MAX_DEPTH
from voting.services.json_input import MalformedJson
from voting.services.json_input import check_depth
from voting.services.json_input import parse_json

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = (b'"\\' * 32_000)[: 64 * 1024]
"""Quotes and backslashes: every quote opens a string that never closes."""

CPU_SECONDS = 3
"""The CPU the reader may take for the hostile body (the fixed reader needs milliseconds)."""


def test_an_unterminated_string_costs_linear_time_not_quadratic() -> None:
    """The reader's CPU is bounded by RLIMIT_CPU in a child process: the old scan was killed."""
    code = (
        "import resource, sys;"
        f" resource.setrlimit(resource.RLIMIT_CPU, ({CPU_SECONDS}, {CPU_SECONDS + 1}));"
        " from voting.services.json_input import parse_json, MalformedJson;"
        " body = sys.stdin.buffer.read()\n"
        "try:\n parse_json(body)\nexcept MalformedJson:\n print('refused')"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], input=HOSTILE, cwd=ROOT, env=env, capture_output=True
    )
    assert done.returncode == 0, f"killed by the CPU limit (signal {-done.returncode})"
    assert done.stdout.strip() == b"refused"


def test_the_hostile_body_is_refused_as_a_client_error(
    client: FlaskClient, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    """Through the casting endpoint: 400 and the log does not grow."""
    vote_day = prepare_vote_day().vote_day
    size = bulletin.log_size(db.session, vote_day)
    answer = client.post(
        f"/api/vote-days/{vote_day}/ballots",
        data=HOSTILE,
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "malformed_ballot"
    assert bulletin.log_size(db.session, vote_day) == size


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
        (b'["' + b"[" * 40 + b'"]', False),  # brackets inside a string do not nest
        (b'["\\"' + b"[" * 40 + b'"]', False),  # nor after an escaped quote in it
        (b'["a"' + b"," + b"[" * 40, True),  # the string closed: the brackets count
        (b'"' + b"[" * 40, False),  # unterminated: JSON refuses it at the string
        (b"[" * 33 + b'"' + b"[" * 40, True),  # the brackets before it still count
    ],
)
def test_depth_counts_brackets_outside_strings_only(body: bytes, deep: bool) -> None:
    if deep:
        with pytest.raises(MalformedJson, match="nested deeper"):
            check_depth(body)
    else:
        check_depth(body)


def test_an_unterminated_string_is_refused_by_the_decoder() -> None:
    """What the depth check skips after an unterminated string, JSON never parses."""
    with pytest.raises(MalformedJson, match="not JSON"):
        parse_json(b'["' + b"[" * 10_000)
