"""The record a cast ballot is logged as: the canonical record of the ballot it was sent.

The casting path builds the record from the ballot's canonical JSON (made once
for its signature and content key); it must be the very bytes that
``bulletin.encode_record`` makes of the ballot's JSON, and hash to its receipt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Flask

from tests.fixtures_casting import OpenVoteDay
from tests.fixtures_casting import blank_ballot
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.services import casting


def test_a_cast_ballot_is_logged_as_the_canonical_record_of_its_json(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    opened = prepare_vote_day()
    ballot = blank_ballot(opened)
    # the body as a browser may send it: other key order, spaces
    sent = json.loads(json.dumps(dict(reversed(ballot.items())), indent=1))
    result = casting.cast_ballot(db.session, opened.vote_day, sent, signing=log_signing(app))
    entry = bulletin.get_entry(db.session, opened.vote_day, result.receipt.index)
    expected = bulletin.encode_record({"type": "ballot", "ballot": ballot})
    assert entry.data == expected
    assert hashlib.sha256(b"\x00" + expected).digest() == result.receipt.leaf_hash
