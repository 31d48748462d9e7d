"""Trustees' decryption of the encrypted totals, and their combination (docs/trustees.md 8-9).

Each trustee submits, per unit, a :class:`~crypto.trustees.DecryptionShare`
over the unit's ``encrypted-totals`` ciphertexts in canonical order (the
record's questions in order, each question's options in order). The server
verifies every share's Chaum–Pedersen proofs before logging it as a
``decryption-shares`` record; a bad share is refused, naming the trustee and
the unit, and nothing of that submission is logged. A trustee submits only its
own shares, once per unit.

As soon as t trustees have shared every unit, :func:`finish_tally` combines,
per unit, the shares of the first t trustees on the log, logs one
``electronic-counts`` record per unit and moves the vote day to ``tallied``,
all in one transaction.

:func:`decrypt_totals` is the trustee's side (pure: a key share and the
logged totals in, submissions out), used by rehearsals and tests; the
trustee tool calls it on the totals it downloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidShare
from crypto.errors import InvalidSignature
from crypto.group import RandomBytes
from crypto.group import secure_random
from crypto.trustees import DecryptionShare
from crypto.trustees import KeyShare
from crypto.trustees import ThresholdKey
from crypto.trustees import combine_decryption_shares
from crypto.trustees import decrypt_share
from crypto.trustees import sign_decryption
from crypto.trustees import verify_decryption_share
from crypto.trustees import verify_decryption_signature
from voting.errors import Forbidden
from voting.errors import InvalidRequest
from voting.log import bulletin
from voting.log.keys import LogSigning
from voting.models.session_types import DbSession
from voting.models.tally import DecryptionShareRow
from voting.models.tally import TallyUnit
from voting.models.votedays import VoteDay
from voting.services.ceremony import ceremony_state
from voting.services.lifecycle import mark_tallied
from voting.services.tally import encrypted_totals
from voting.services.tally_log import TallyRefused
from voting.services.tally_log import read_manifest
from voting.services.tally_log import read_threshold_key
from voting.services.tally_log import records_at
from voting.services.tally_log import totals_ciphertexts

__all__ = [
    "DecryptionShareRefused",
    "NotATrustee",
    "SharesAccepted",
    "decrypt_totals",
    "finish_tally",
    "submit_decryption_shares",
    "trustee_shares",
]


class DecryptionShareRefused(InvalidRequest):
    """A malformed or wrong decryption share; ``trustee`` (and ``unit``) name it."""

    code = "decryption_share_refused"


class NotATrustee(Forbidden):
    code = "not_a_trustee"


@dataclass(frozen=True)
class SharesAccepted:
    """The outcome of a submission."""

    accepted: int
    remaining_units: int
    """Units that still lack shares from t trustees."""
    tallied: bool


def submit_decryption_shares(
    session: DbSession,
    vote_day_id: str,
    trustee: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> SharesAccepted:
    """Verify and log trustee ``trustee``'s shares:
    ``{"shares": [{"unit", "share", "signature"}, ...]}``.

    Each item is signed by the trustee under the verify key of its ceremony
    commitment (docs/trustees.md, step 8); the session alone is not enough.

    When this completes every unit, the tally is finished (:func:`finish_tally`).

    Raises:
        NotATrustee: ``trustee`` is not on the vote day's roster.
        DecryptionShareRefused: malformed, someone else's, a unit shared twice, or a
            proof that fails (``trustee`` and ``unit`` name it); nothing is logged.
        TallyRefused: the vote day is not closed or its totals are not logged.
    """
    _check_closed(session, vote_day_id)
    key = read_threshold_key(session, vote_day_id)
    if trustee not in key.trustees:
        raise NotATrustee(f"{trustee!r} is not a trustee of vote day {vote_day_id!r}")
    items = _parse_items(data, trustee)
    totals = {r["unit"]: r for r in encrypted_totals(session, vote_day_id, list(items))}
    digest = read_manifest(session, vote_day_id).digest
    verify_key = _verify_key(session, vote_day_id, trustee)
    for unit, (share, signature) in items.items():
        _verify(session, vote_day_id, key, digest, unit, share, totals.get(unit))
        _check_signature(unit, share, signature, verify_key, digest)
    with bulletin.locked_log(session, vote_day_id, signing=signing, now=now) as log:
        _check_closed(session, vote_day_id)
        for unit, (share, signature) in items.items():
            _refuse_repeat(session, vote_day_id, unit, share)
            record = {
                "type": "decryption-shares",
                "unit": unit,
                "share": share.to_json(),
                "signature": signature.hex(),
            }
            appended = log.append(record)
            session.add(
                DecryptionShareRow(
                    vote_day_id=vote_day_id,
                    unit=unit,
                    trustee_index=share.index,
                    trustee=share.trustee,
                    leaf_index=appended.index,
                )
            )
    remaining = len(_incomplete_units(session, vote_day_id, key.threshold))
    if remaining == 0:
        finish_tally(session, vote_day_id, signing=signing, now=now)
    return SharesAccepted(len(items), remaining, remaining == 0)


def _check_closed(session: DbSession, vote_day_id: str) -> None:
    status = session.scalar(sa.select(VoteDay.status).where(VoteDay.id == vote_day_id))
    if status != "closed":
        raise TallyRefused(
            f"vote day {vote_day_id!r} is {status}: decryption shares are taken while it is "
            "closed and not yet tallied",
            status=status,
        )


def _verify_key(session: DbSession, vote_day_id: str, trustee: str) -> bytes:
    """The verify key of ``trustee``'s ceremony commitment (from the log)."""
    state = ceremony_state(session, vote_day_id)
    index = state.ceremony.index_of(trustee)
    return state.commitments[index].verify_key


def _check_signature(
    unit: str, share: DecryptionShare, signature: bytes, verify_key: bytes, digest: bytes
) -> None:
    try:
        verify_decryption_signature(unit, share, signature, verify_key, manifest_hash=digest)
    except InvalidSignature as exc:
        raise DecryptionShareRefused(
            f"refused the decryption share of {unit}: {exc}", trustee=share.trustee, unit=unit
        ) from exc


def _parse_items(data: Any, trustee: str) -> dict[str, tuple[DecryptionShare, bytes]]:
    if (
        not isinstance(data, dict)
        or set(data) != {"shares"}
        or not isinstance(data["shares"], list)
    ):
        raise DecryptionShareRefused(
            'a submission is {"shares": [{"unit": "level:code", "share": {...}, '
            '"signature": "<hex64>"}, ...]}',
            trustee=trustee,
        )
    items: dict[str, tuple[DecryptionShare, bytes]] = {}
    for item in data["shares"]:
        if not isinstance(item, dict) or set(item) != {"unit", "share", "signature"}:
            raise DecryptionShareRefused(
                'each item is {"unit": ..., "share": ..., "signature": ...} (signed by the '
                "trustee: docs/trustees.md, step 8)",
                trustee=trustee,
            )
        unit = item["unit"]
        if not isinstance(unit, str) or unit in items:
            raise DecryptionShareRefused(f"unit {unit!r} is named twice or badly", trustee=trustee)
        try:
            share = DecryptionShare.from_json(item["share"])
            signature = unhex(item["signature"], 64, what="signature")
        except InvalidEncoding as exc:
            raise DecryptionShareRefused(
                f"malformed decryption share for {unit}: {exc}", trustee=trustee, unit=unit
            ) from exc
        if share.trustee != trustee:
            raise DecryptionShareRefused(
                f"{trustee!r} may submit only its own shares, not {share.trustee!r}'s",
                trustee=trustee,
                unit=unit,
            )
        items[unit] = (share, signature)
    if not items:
        raise DecryptionShareRefused("a submission holds at least one share", trustee=trustee)
    return items


def _verify(
    session: DbSession,
    vote_day_id: str,
    key: ThresholdKey,
    digest: bytes,
    unit: str,
    share: DecryptionShare,
    totals: dict[str, Any] | None,
) -> None:
    who = share.trustee
    if totals is None:
        raise DecryptionShareRefused(f"{unit} has no encrypted totals", trustee=who, unit=unit)
    _refuse_repeat(session, vote_day_id, unit, share)
    try:
        verify_decryption_share(share, key, totals_ciphertexts(totals), manifest_hash=digest)
    except InvalidShare as exc:
        raise DecryptionShareRefused(
            f"refused the decryption share of trustee {who!r} for {unit}: {exc}",
            trustee=who,
            unit=unit,
        ) from exc


def _refuse_repeat(session: DbSession, vote_day_id: str, unit: str, share: DecryptionShare) -> None:
    if session.get(DecryptionShareRow, (vote_day_id, unit, share.index)) is not None:
        raise DecryptionShareRefused(
            f"trustee {share.trustee!r} has already shared {unit}",
            trustee=share.trustee,
            unit=unit,
        )


def _incomplete_units(session: DbSession, vote_day_id: str, threshold: int) -> list[str]:
    shared = (
        sa.select(DecryptionShareRow.unit, sa.func.count().label("n"))
        .where(DecryptionShareRow.vote_day_id == vote_day_id)
        .group_by(DecryptionShareRow.unit)
        .subquery()
    )
    rows = session.scalars(
        sa.select(TallyUnit.unit)
        .outerjoin(shared, shared.c.unit == TallyUnit.unit)
        .where(
            TallyUnit.vote_day_id == vote_day_id,
            sa.func.coalesce(shared.c.n, 0) < threshold,
        )
    ).all()
    return list(rows)


def finish_tally(
    session: DbSession,
    vote_day_id: str,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Combine t shares per unit, log the ``electronic-counts``, closed → tallied.

    Returns the number of units counted.

    Raises:
        TallyRefused: not closed, or a unit lacks shares from t trustees.
    """
    _check_closed(session, vote_day_id)
    key = read_threshold_key(session, vote_day_id)
    missing = _incomplete_units(session, vote_day_id, key.threshold)
    if missing:
        raise TallyRefused(
            f"{len(missing)} units still need decryption shares from {key.threshold} trustees",
            units=missing[:20],
        )
    digest = read_manifest(session, vote_day_id).digest
    chosen = _first_shares(session, vote_day_id, key.threshold)
    records = [
        _counts(key, digest, totals, chosen[totals["unit"]])
        for totals in encrypted_totals(session, vote_day_id)
    ]
    rows = {
        row.unit: row
        for row in session.scalars(sa.select(TallyUnit).where(TallyUnit.vote_day_id == vote_day_id))
    }

    def remember(appended: list[bulletin.Appended]) -> None:
        for record, where in zip(records, appended, strict=True):
            rows[record["unit"]].counts_index = where.index

    mark_tallied(
        session, vote_day_id, records=records, signing=signing, now=now, on_logged=remember
    )
    return len(records)


def _first_shares(
    session: DbSession, vote_day_id: str, threshold: int
) -> dict[str, list[tuple[int, DecryptionShare]]]:
    rows = session.execute(
        sa.select(DecryptionShareRow.unit, DecryptionShareRow.leaf_index)
        .where(DecryptionShareRow.vote_day_id == vote_day_id)
        .order_by(DecryptionShareRow.leaf_index)
    ).all()
    wanted: dict[str, list[int]] = {}
    for unit, index in rows:
        if len(wanted.setdefault(unit, [])) < threshold:
            wanted[unit].append(int(index))
    by_index = dict(records_at(session, vote_day_id, sorted(i for v in wanted.values() for i in v)))
    return {
        unit: [(i, DecryptionShare.from_json(by_index[i]["share"])) for i in indexes]
        for unit, indexes in wanted.items()
    }


def _counts(
    key: ThresholdKey,
    digest: bytes,
    totals: dict[str, Any],
    shares: Sequence[tuple[int, DecryptionShare]],
) -> dict[str, Any]:
    values = combine_decryption_shares(
        key,
        totals_ciphertexts(totals),
        [share for _, share in shares],
        manifest_hash=digest,
        bound=totals["ballots"],
    )
    questions: dict[str, list[int]] = {}
    position = 0
    for q in totals["questions"]:
        width = len(q["ciphertexts"])
        questions[q["question"]] = list(values[position : position + width])
        position += width
    return {
        "type": "electronic-counts",
        "unit": totals["unit"],
        "units": totals["units"],
        "ballots": totals["ballots"],
        "questions": questions,
        "shares": [index for index, _ in shares],
    }


def decrypt_totals(
    key_share: KeyShare,
    key: ThresholdKey,
    totals: Sequence[dict[str, Any]],
    *,
    manifest_hash: bytes,
    rng: RandomBytes = secure_random,
) -> dict[str, Any]:
    """The trustee's side: its shares of the given ``encrypted-totals`` records.

    Returns a submission for :func:`submit_decryption_shares` (and the API).
    """
    return {
        "shares": [
            signed_share_item(
                key_share,
                record["unit"],
                decrypt_share(
                    key_share, key, totals_ciphertexts(record), manifest_hash=manifest_hash, rng=rng
                ),
                manifest_hash=manifest_hash,
            )
            for record in totals
        ]
    }


def signed_share_item(
    key_share: KeyShare, unit: str, share: DecryptionShare, *, manifest_hash: bytes
) -> dict[str, Any]:
    """One submission item: the unit, the share and the trustee's signature of both."""
    signature = sign_decryption(key_share, unit, share, manifest_hash=manifest_hash)
    return {"unit": unit, "share": share.to_json(), "signature": signature.hex()}


def trustee_shares(
    session: DbSession,
    vote_day_id: str,
    key_share: KeyShare,
    *,
    units: Sequence[str] | None = None,
    rng: RandomBytes = secure_random,
) -> dict[str, Any]:
    """Read the logged totals and the key, and decrypt them as ``key_share``'s trustee would."""
    return decrypt_totals(
        key_share,
        read_threshold_key(session, vote_day_id),
        encrypted_totals(session, vote_day_id, units),
        manifest_hash=read_manifest(session, vote_day_id).digest,
        rng=rng,
    )
