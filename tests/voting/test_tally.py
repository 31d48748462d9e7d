"""The encrypted tally and its decryption: sums from the log, verified shares, t of n."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from crypto.elgamal import decrypt
from crypto.group import Scalar
from crypto.testing import deterministic_rng
from crypto.trustees import lagrange_coefficient
from tests.fixtures_casting import OpenVoteDay
from tests.voting.tally_helpers import ELSAU
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import close_and_start
from tests.voting.tally_helpers import decrypt_as
from tests.voting.tally_helpers import spoil
from tests.voting.tally_helpers import vote
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.models.tally import DecryptionShareRow
from voting.models.tally import TallyUnit
from voting.models.votedays import VoteDay
from voting.services import decryption
from voting.services.casting import counted_ballots
from voting.services.lifecycle import close_vote_day
from voting.services.tally import encrypted_totals
from voting.services.tally import start_tally
from voting.services.tally_log import IDENTITY_HEX
from voting.services.tally_log import TallyRefused
from voting.services.tally_log import totals_ciphertexts

SEUZACH = "municipality:227"
VOTERS = {WINTERTHUR: 3, ELSAU: 2, SEUZACH: 1}


@pytest.fixture()
def cast(app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    """Last-counts vote day: a re-vote, an audit, three counted ballots; Seuzach abstains."""
    prepared = prepare_vote_day(voters=VOTERS, revote_policy="last-counts")
    vote(app, prepared, WINTERTHUR, 0, {"bike-paths": ["yes"], "winterthur-square": ["eulach"]})
    vote(app, prepared, WINTERTHUR, 0, {"bike-paths": ["no"], "winterthur-square": ["toess"]})
    spoil(app, prepared, WINTERTHUR, 1, {"bike-paths": ["yes"], "zh-tax-law": ["yes"]})
    vote(app, prepared, WINTERTHUR, 1, {"bike-paths": ["no"], "housing": ["yes"]})
    vote(app, prepared, ELSAU, 0, {"bike-paths": ["yes"], "zh-tax-law": ["no"]})
    return prepared


def _secret(prepared: OpenVoteDay) -> Scalar:
    """The joint secret from two key shares (only a test can do this)."""
    shares = prepared.trustees.key_shares[:2]
    indices = [s.index for s in shares]
    total = Scalar(0)
    for share in shares:
        total = total + share.secret * lagrange_coefficient(share.index, indices)
    return total


def _decrypted(prepared: OpenVoteDay) -> dict[str, dict[str, list[int]]]:
    secret = _secret(prepared)
    out: dict[str, dict[str, list[int]]] = {}
    for record in encrypted_totals(db.session, prepared.vote_day):
        values = [decrypt(ct, secret, bound=10) for ct in totals_ciphertexts(record)]
        position, unit = 0, out.setdefault(record["unit"], {})
        for q in record["questions"]:
            unit[q["question"]] = values[position : position + len(q["ciphertexts"])]
            position += len(q["ciphertexts"])
    return out


def test_totals_sum_the_counted_ballots_of_each_unit(app: Flask, cast: OpenVoteDay) -> None:
    close_and_start(app, cast)
    records = {r["unit"]: r for r in encrypted_totals(db.session, cast.vote_day)}
    assert sorted(records) == sorted(VOTERS)
    assert {u: r["ballots"] for u, r in records.items()} == {WINTERTHUR: 2, ELSAU: 1, SEUZACH: 0}
    assert [q["question"] for q in records[WINTERTHUR]["questions"]] == [
        "bike-paths",
        "housing",
        "housing-counter",
        "housing-tiebreak",
        "zh-tax-law",
        "winterthur-square",
    ]
    seuzach = records[SEUZACH]["questions"][0]["ciphertexts"][0]
    assert seuzach == {"pad": IDENTITY_HEX, "data": IDENTITY_HEX}
    counts = _decrypted(cast)
    # the re-vote replaced the first ballot; the audited ballot is not counted
    assert counts[WINTERTHUR]["bike-paths"] == [0, 2]
    assert counts[WINTERTHUR]["winterthur-square"] == [0, 0, 1]
    assert counts[WINTERTHUR]["housing"] == [1, 0]
    assert counts[WINTERTHUR]["zh-tax-law"] == [0, 0]
    assert counts[ELSAU] == {
        "bike-paths": [1, 0],
        "housing": [0, 0],
        "housing-counter": [0, 0],
        "housing-tiebreak": [0, 0],
        "zh-tax-law": [0, 1],
    }
    assert counts[SEUZACH]["bike-paths"] == [0, 0]


def test_two_of_three_trustees_decrypt_and_the_vote_day_is_tallied(
    app: Flask, cast: OpenVoteDay
) -> None:
    close_and_start(app, cast)
    first, second = decrypt_as(app, cast, "alice", "carol")  # bob is absent
    assert (first.tallied, first.remaining_units) == (False, 3)
    assert (second.tallied, second.remaining_units) == (True, 0)
    assert db.session.get_one(VoteDay, cast.vote_day).status == "tallied"
    size = bulletin.log_size(db.session, cast.vote_day)
    tail = [e.record for e in bulletin.get_entries(db.session, cast.vote_day, size - 4, size)]
    assert [r["type"] for r in tail] == ["electronic-counts"] * 3 + ["tallied"]
    winterthur = next(r for r in tail if r.get("unit") == WINTERTHUR)
    assert winterthur["ballots"] == 2
    assert winterthur["questions"]["bike-paths"] == [0, 2]
    assert winterthur["questions"]["winterthur-square"] == [0, 0, 1]
    assert len(winterthur["shares"]) == 2
    shares = [bulletin.get_entry(db.session, cast.vote_day, i).record for i in winterthur["shares"]]
    assert {s["share"]["trustee"] for s in shares} == {"alice", "carol"}
    row = db.session.get_one(TallyUnit, (cast.vote_day, WINTERTHUR))
    assert row.counts_index is not None
    with pytest.raises(TallyRefused, match="tallied"):  # bob comes too late
        decrypt_as(app, cast, "bob")


def _size(prepared: OpenVoteDay) -> tuple[int, int]:
    shares = db.session.scalar(sa.select(sa.func.count()).select_from(DecryptionShareRow))
    return bulletin.log_size(db.session, prepared.vote_day), int(shares or 0)


def test_bad_shares_are_refused_naming_the_trustee(app: Flask, cast: OpenVoteDay) -> None:
    close_and_start(app, cast)
    alice, bob = cast.trustees.key_shares[0], cast.trustees.key_shares[1]
    good = decryption.trustee_shares(db.session, cast.vote_day, alice, rng=deterministic_rng(b"a"))
    before = _size(cast)
    signing = log_signing(app)

    def submit(trustee: str, data: object) -> None:
        decryption.submit_decryption_shares(
            db.session, cast.vote_day, trustee, data, signing=signing
        )

    wrong = copy.deepcopy(good)  # (1) one D_j replaced by another valid point
    item = next(i for i in wrong["shares"] if i["unit"] == WINTERTHUR)
    item["share"]["shares"][0] = item["share"]["shares"][1]
    with pytest.raises(decryption.DecryptionShareRefused, match="alice") as info:
        submit("alice", wrong)
    assert info.value.details == {"trustee": "alice", "unit": item["unit"]}
    swapped = copy.deepcopy(good)  # (2) a proof swapped between units
    swapped["shares"][0]["share"]["proofs"][0] = good["shares"][2]["share"]["proofs"][0]
    with pytest.raises(decryption.DecryptionShareRefused, match="decryption proof"):
        submit("alice", swapped)
    with pytest.raises(decryption.NotATrustee):  # (3) not on the roster
        submit("mallory", good)
    with pytest.raises(decryption.DecryptionShareRefused, match="only its own"):
        submit("bob", good)  # (4) bob uploading alice's shares
    bobs = decryption.trustee_shares(db.session, cast.vote_day, bob, rng=deterministic_rng(b"b"))
    bobs["shares"][0]["share"]["trustee"] = "alice"  # (5) bob's share under alice's name
    with pytest.raises(decryption.DecryptionShareRefused, match="alice"):
        submit("alice", bobs)
    with pytest.raises(decryption.DecryptionShareRefused, match="named twice"):
        submit("alice", {"shares": [good["shares"][0], good["shares"][0]]})
    for malformed in ({"shares": []}, {"shares": [{"unit": WINTERTHUR}]}, [1], {"x": 1}):
        with pytest.raises(decryption.DecryptionShareRefused):
            submit("alice", malformed)
    assert _size(cast) == before  # nothing half-written
    submit("alice", {"shares": good["shares"][:1]})
    with pytest.raises(decryption.DecryptionShareRefused, match="already shared"):
        submit("alice", {"shares": good["shares"][:2]})  # (6) once per unit
    assert _size(cast) == (before[0] + 1, before[1] + 1)


def test_tally_steps_out_of_order_are_refused(app: Flask, cast: OpenVoteDay) -> None:
    signing = log_signing(app)
    with pytest.raises(TallyRefused, match="closed"):
        start_tally(db.session, cast.vote_day, signing=signing)  # still open
    with pytest.raises(TallyRefused, match="no encrypted totals"):
        encrypted_totals(db.session, cast.vote_day)
    close_vote_day(db.session, cast.vote_day, signing=signing)
    with pytest.raises(TallyRefused, match="no encrypted totals"):
        decrypt_as(app, cast, "alice")
    summary = start_tally(db.session, cast.vote_day, signing=signing)
    assert (summary.units, summary.ballots) == (3, 3)
    size = bulletin.log_size(db.session, cast.vote_day)
    with pytest.raises(TallyRefused, match="already"):
        start_tally(db.session, cast.vote_day, signing=signing)  # a second tally
    with pytest.raises(TallyRefused, match="need decryption shares"):
        decryption.finish_tally(db.session, cast.vote_day, signing=signing)
    decrypt_as(app, cast, "alice")
    with pytest.raises(TallyRefused, match="3 units"):
        decryption.finish_tally(db.session, cast.vote_day, signing=signing)
    assert bulletin.log_size(db.session, cast.vote_day) == size + 3


def test_a_corrupted_ballot_leaf_stops_the_tally(app: Flask, cast: OpenVoteDay) -> None:
    from voting.models.log import Log
    from voting.models.log import LogLeaf

    close_vote_day(db.session, cast.vote_day, signing=log_signing(app))
    index = max(counted_ballots(db.session, cast.vote_day, "last-counts"))
    log_id = db.session.scalar(sa.select(Log.id).where(Log.name == cast.vote_day))
    leaf = db.session.get_one(LogLeaf, (log_id, index))
    record = json.loads(leaf.data)
    record["ballot"]["answers"][0]["ciphertexts"][0]["pad"] = "01" + "00" * 31  # negative s
    leaf.data = json.dumps(record).encode()
    db.session.commit()
    size = bulletin.log_size(db.session, cast.vote_day)
    with pytest.raises(bulletin.LogCorrupted, match=f"ballot {index}"):
        start_tally(db.session, cast.vote_day, signing=log_signing(app))
    assert bulletin.log_size(db.session, cast.vote_day) == size
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TallyUnit)) == 0
