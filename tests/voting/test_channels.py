"""Postal and polling-station counts: clerks' keys, signatures, rules, corrections."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from nacl.signing import SigningKey

from crypto.clerk_signature import new_clerk_key
from crypto.clerk_signature import sign_counts
from crypto.clerk_signature import verify_counts
from crypto.errors import InvalidSignature
from crypto.testing import deterministic_rng
from tests.crypto.torsion import TORSION_POINTS
from tests.fixtures_casting import OpenVoteDay
from tests.official_actions import FAST_HASH
from tests.official_actions import PASSWORD
from tests.voting.tally_helpers import ELSAU
from tests.voting.tally_helpers import WINTERTHUR
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import RoleRequired
from voting.errors import UnitNotFound
from voting.log import bulletin
from voting.models.officials import Official
from voting.models.tally import ChannelCountsRow
from voting.services import channels
from voting.services import officials
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import open_vote_day


def counts(vote_day: str, **changes: Any) -> dict[str, Any]:
    """Consistent postal counts of 10 ballots in Elsau (its ballot: 5 questions)."""

    def q(options: list[int], blank: int = 0, invalid: int = 0) -> dict[str, Any]:
        return {"options": options, "blank": blank, "invalid": invalid}

    record = {
        "type": "channel-counts",
        "vote_day": vote_day,
        "unit": ELSAU,
        "channel": "postal",
        "clerk": "clara",
        "ballots_cast": 10,
        "replaces": None,
        "questions": {
            "bike-paths": q([6, 3], 1),
            "housing": q([5, 5]),
            "housing-counter": q([7, 2], 0, 1),
            "housing-tiebreak": q([4, 4], 2),
            "zh-tax-law": q([1, 9]),
        },
    }
    return {**record, **changes}


class Clerks:
    def __init__(self, app: Flask, prepared: OpenVoteDay) -> None:
        self.app, self.vote_day = app, prepared.vote_day
        self.key = new_clerk_key(rng=deterministic_rng(b"clara"))
        self.clara = self.official("clara", ELSAU)

    def official(self, name: str, unit: str) -> Official:
        official = officials.create_official(db.session, name, PASSWORD, limits=FAST_HASH)
        officials.grant_role(db.session, official, "clerk", unit)
        return official

    def register(self, official: Official, unit: str, key: SigningKey) -> int:
        public = bytes(key.verify_key).hex()
        signing = log_signing(self.app)
        return channels.register_clerk_key(
            db.session, self.vote_day, official, unit, public, signing=signing
        )

    def submit(self, record: dict[str, Any], official: Official | None = None) -> int:
        return channels.submit_channel_counts(
            db.session,
            self.vote_day,
            official or self.clara,
            record,
            signing=log_signing(self.app),
        )

    def signed(self, **changes: Any) -> dict[str, Any]:
        return sign_counts(counts(self.vote_day, **changes), self.key)


@pytest.fixture()
def clerks(app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]) -> Clerks:
    prepared = prepare_vote_day(open_it=False)
    helper = Clerks(app, prepared)
    helper.register(helper.clara, ELSAU, helper.key)  # clerks' keys are fixed before opening
    open_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    close_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    return helper


def _state(vote_day: str) -> tuple[int, int]:
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(ChannelCountsRow))
    return bulletin.log_size(db.session, vote_day), int(rows or 0)


def test_signature_covers_every_field() -> None:
    key = new_clerk_key(rng=deterministic_rng(b"k"))
    signed = sign_counts(counts("vd"), key)
    verify_counts(signed, bytes(key.verify_key))
    for field, value in (("ballots_cast", 11), ("vote_day", "other"), ("replaces", 3)):
        with pytest.raises(InvalidSignature):
            verify_counts({**signed, field: value}, bytes(key.verify_key))


def test_counts_and_a_correction_are_logged(clerks: Clerks) -> None:
    first = clerks.submit(clerks.signed())
    entry = bulletin.get_entry(db.session, clerks.vote_day, first).record
    assert entry == clerks.signed()  # logged exactly as signed
    corrected = counts(clerks.vote_day, ballots_cast=11, replaces=first)
    corrected["questions"]["zh-tax-law"]["blank"] = 1
    for key in ("bike-paths", "housing", "housing-counter", "housing-tiebreak"):
        corrected["questions"][key]["blank"] += 1
    second = clerks.submit(sign_counts(corrected, clerks.key))
    assert [r["index"] for r in channels.current_channel_counts(db.session, clerks.vote_day)] == [
        second
    ]
    third = clerks.signed(replaces=second)
    clerks.submit(third)  # a correction of the correction
    # the original entry is still on the log, untouched
    assert bulletin.get_entry(db.session, clerks.vote_day, first).record == clerks.signed()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: r["questions"].update({"winterthur-square": r["questions"]["housing"]}),
            "exactly",
        ),
        (lambda r: r["questions"].pop("zh-tax-law"), "exactly the questions"),
        (lambda r: r["questions"]["housing"].update(options=[6, -1]), "non-negative"),
        (lambda r: r["questions"]["housing"].update(options=[6, 5]), "must equal"),
        (lambda r: r["questions"]["housing"].update(options=[5]), "one count per option"),
        (lambda r: r["questions"]["housing"].update(blank=True), "non-negative"),
        (lambda r: r.update(ballots_cast=10**7), "electorate"),
        (lambda r: r.update(channel="electronic"), "channel"),
        (lambda r: r.update(vote_day="2020-01-01-ch"), "vote_day"),
        (lambda r: r.update(extra=1), "exactly"),
        (lambda r: r.update(replaces=12345), "no postal counts"),
    ],
)
def test_bad_counts_are_refused(
    clerks: Clerks, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    record = counts(clerks.vote_day)
    change(record)
    before = _state(clerks.vote_day)
    with pytest.raises(channels.ChannelCountsRefused, match=message):
        clerks.submit(sign_counts(record, clerks.key))
    assert _state(clerks.vote_day) == before


def test_wrong_signatures_and_wrong_clerks_are_refused(clerks: Clerks) -> None:
    before = _state(clerks.vote_day)
    forged = clerks.signed()
    forged["ballots_cast"] = 10  # same value: still valid; change a count instead
    forged["questions"] = copy.deepcopy(forged["questions"])
    forged["questions"]["housing"]["options"] = [4, 6]
    with pytest.raises(channels.BadCountsSignature, match="clara"):
        clerks.submit(forged)
    other_key = new_clerk_key(rng=deterministic_rng(b"other"))
    with pytest.raises(channels.BadCountsSignature):
        clerks.submit(sign_counts(counts(clerks.vote_day), other_key))
    # a clerk of Winterthur may not enter Elsau's counts, even signed by itself
    winnie = clerks.official("winnie", WINTERTHUR)
    with pytest.raises(RoleRequired):
        clerks.submit(sign_counts(counts(clerks.vote_day, clerk="winnie"), other_key), winnie)
    with pytest.raises(channels.ChannelCountsRefused, match="signed as 'clara'"):
        clerks.submit(clerks.signed(), winnie)
    with pytest.raises(UnitNotFound):
        clerks.submit(clerks.signed(unit="nation:XX"))
    assert _state(clerks.vote_day) == before


def test_a_second_entry_must_name_the_one_it_replaces(clerks: Clerks) -> None:
    first = clerks.submit(clerks.signed())
    before = _state(clerks.vote_day)
    with pytest.raises(channels.ChannelCountsRefused, match=f'"replaces": {first}'):
        clerks.submit(clerks.signed())
    with pytest.raises(channels.ChannelCountsRefused, match="in force"):
        clerks.submit(clerks.signed(replaces=first - 1))
    assert _state(clerks.vote_day) == before
    clerks.submit(clerks.signed(channel="polling-station"))  # another channel stands apart


def test_keys_are_checked(app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]) -> None:
    prepared = prepare_vote_day(open_it=False)
    clerks = Clerks(app, prepared)
    for bad in ("01" + "00" * 31, TORSION_POINTS["order 8 a+"], "AB" * 32, "12", 5):
        with pytest.raises(channels.ClerkKeyRefused):
            channels.register_clerk_key(db.session, clerks.vote_day, clerks.clara, ELSAU, bad)
    # a clerk of Winterthur may not register a key for Elsau
    winnie = clerks.official("winnie", WINTERTHUR)
    with pytest.raises(RoleRequired):
        clerks.register(winnie, ELSAU, new_clerk_key(rng=deterministic_rng(b"other")))
    # a new key (still before opening) replaces the old one for later counts
    clerks.register(clerks.clara, ELSAU, clerks.key)
    new = new_clerk_key(rng=deterministic_rng(b"new"))
    clerks.register(clerks.clara, ELSAU, new)
    open_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    close_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    with pytest.raises(channels.BadCountsSignature):
        clerks.submit(clerks.signed())
    clerks.submit(sign_counts(counts(clerks.vote_day), new))


def test_a_key_registered_after_opening_is_refused(clerks: Clerks) -> None:
    """Opening freezes the clerks' keys: a late key could be the server's own."""
    before = _state(clerks.vote_day)
    late = new_clerk_key(rng=deterministic_rng(b"late"))
    with pytest.raises(channels.ChannelClosed, match="credentials or key-ceremony"):
        clerks.register(clerks.clara, ELSAU, late)
    assert _state(clerks.vote_day) == before


def test_counts_need_a_registered_key(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day()
    helper = Clerks(app, prepared)
    close_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    with pytest.raises(channels.ChannelCountsRefused, match="no key registered"):
        helper.submit(helper.signed())


def test_counts_while_open_are_refused(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day(open_it=False)
    helper = Clerks(app, prepared)
    helper.register(helper.clara, ELSAU, helper.key)
    open_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    with pytest.raises(channels.ChannelClosed, match="open"):
        helper.submit(helper.signed())
