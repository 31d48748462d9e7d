"""A decryption share posted in a trustee's name without that trustee's signature.

Attacker: anyone holding a trustee's server session (a stolen password, or the
server operator replaying a trustee's earlier request for another unit) but
not the trustee's ceremony signing key (docs/threat-model.md, "Key ceremony,
decryption and channel counts"). Every decryption-shares item is signed by its
trustee under the verify key of its ceremony commitment, over the unit and
the share (tag ``urna/v1/decryption-shares``, bound to the manifest hash):
the server refuses an item that is not (400, nothing logged), and the
verifier fails a record holding one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from flask import Flask

from crypto.trustees import DecryptionShare
from crypto.trustees._signing import sign_message
from tests.fixtures_casting import OpenVoteDay
from tests.voting.conftest import record_copy  # noqa: F401 (fixtures)
from tests.voting.conftest import rehearsed  # noqa: F401
from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import Record
from tests.voting.record_tamper import failures
from tests.voting.record_tamper import messages
from tests.voting.record_tamper import run_verifier
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import close_and_start
from tests.voting.tally_helpers import vote
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.rehearsal.rehearse import RehearsalSummary
from voting.services import decryption
from voting.services.tally_log import read_manifest


def test_a_decryption_share_its_trustee_did_not_sign_is_refused(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day()
    vote(app, prepared, WINTERTHUR, 0, {"bike-paths": ["yes"]})
    close_and_start(app, prepared)
    alice, bob = prepared.trustees.key_shares[0], prepared.trustees.key_shares[1]
    good = decryption.trustee_shares(db.session, prepared.vote_day, alice)
    digest = read_manifest(db.session, prepared.vote_day).digest
    size = bulletin.log_size(db.session, prepared.vote_day)
    item = good["shares"][0]
    by_bob = sign_message(
        "decryption", digest, {"unit": item["unit"], "share": item["share"]}, bob.signing_key
    )
    moved = {"unit": good["shares"][1]["unit"], "share": item["share"]}  # alice's, elsewhere
    for forged in (
        {**item, "signature": by_bob.hex()},  # a valid signature, but bob's
        {**item, "signature": "00" * 64},
        {**moved, "signature": item["signature"]},  # alice's signature, another unit
    ):
        submission = copy.deepcopy(good)
        submission["shares"] = [forged]
        with pytest.raises(decryption.DecryptionShareRefused) as refused:
            decryption.submit_decryption_shares(
                db.session, prepared.vote_day, "alice", submission, signing=log_signing(app)
            )
        assert refused.value.details["trustee"] == "alice"
        assert bulletin.log_size(db.session, prepared.vote_day) == size
    unsigned = {"shares": [{"unit": item["unit"], "share": item["share"]}]}
    with pytest.raises(decryption.DecryptionShareRefused, match="signed by the trustee"):
        decryption.submit_decryption_shares(
            db.session, prepared.vote_day, "alice", unsigned, signing=log_signing(app)
        )
    accepted = decryption.submit_decryption_shares(
        db.session, prepared.vote_day, "alice", good, signing=log_signing(app)
    )
    assert accepted.accepted == len(good["shares"])
    assert DecryptionShare.from_json(item["share"]).trustee == "alice"


def test_the_verifier_fails_a_decryption_share_without_its_trustees_signature(
    record_copy: Record,  # noqa: F811
    rehearsed: tuple[RehearsalSummary, Keys],  # noqa: F811
) -> None:
    """The server logs a share whose signature is not its trustee's: the record fails."""
    leaf = record_copy.indexes("decryption-shares")[0]
    record = record_copy.record(leaf)
    record["signature"] = "00" * 64
    record_copy.set_record(leaf, record)
    record_copy.reseal_as_insider(rehearsed[1])
    code, report = run_verifier(record_copy.path)
    assert code == 1
    assert "decryption-shares" in report["failed"]
    trustee = record["share"]["trustee"]
    assert f"trustee {trustee!r}" in messages(report, "decryption-shares")
    assert leaf in failures(report, "decryption-shares")[0]["leaves"]
