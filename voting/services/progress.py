"""Where a vote day stands: the key ceremony's and the tally's progress, for the officials' pages.

Read-only summaries of what the log (through the ceremony state) and the
tally tables say; nothing here changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from voting.models.elections import Election
from voting.models.session_types import DbSession
from voting.models.tally import ChannelCountsRow
from voting.models.tally import DecryptionShareRow
from voting.models.tally import TallyUnit
from voting.services import ceremony

__all__ = [
    "CeremonyProgress",
    "TallyProgress",
    "TrusteeStep",
    "ceremony_progress",
    "tally_progress",
]


@dataclass(frozen=True)
class TrusteeStep:
    """One trustee's steps in the key ceremony."""

    index: int
    name: str
    committed: bool
    dealt: bool
    ready: bool


@dataclass(frozen=True)
class CeremonyProgress:
    threshold: int
    trustees: list[TrusteeStep]
    complaints: int

    @property
    def complete(self) -> bool:
        """Every trustee has declared itself ready (the ceremony can be completed)."""
        return all(t.ready for t in self.trustees)


@dataclass(frozen=True)
class TallyProgress:
    """The encrypted tally and the trustees' decryption shares so far."""

    started: bool
    units: int
    ballots: int
    decrypted_units: int
    shares_by_trustee: dict[str, int]
    """Units each trustee has sent decryption shares for."""
    channel_counts: int
    """Channel-count records in force (postal, polling station)."""


def ceremony_progress(session: DbSession, vote_day_id: str) -> CeremonyProgress | None:
    """The ceremony's state from the log, or None before it has started."""
    if session.get(Election, vote_day_id) is None:
        return None
    state = ceremony.ceremony_state(session, vote_day_id)
    steps = [
        TrusteeStep(
            index=i,
            name=name,
            committed=i in state.commitments,
            dealt=i in state.shares,
            ready=i in state.ready,
        )
        for i, name in enumerate(state.ceremony.trustees, start=1)
    ]
    return CeremonyProgress(state.ceremony.threshold, steps, len(state.complaints))


def tally_progress(session: DbSession, vote_day_id: str) -> TallyProgress:
    units, ballots, decrypted = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(TallyUnit.ballots), 0),
            sa.func.count(TallyUnit.counts_index),
        ).where(TallyUnit.vote_day_id == vote_day_id)
    ).one()
    shares = session.execute(
        sa.select(DecryptionShareRow.trustee, sa.func.count())
        .where(DecryptionShareRow.vote_day_id == vote_day_id)
        .group_by(DecryptionShareRow.trustee)
        .order_by(DecryptionShareRow.trustee)
    ).all()
    counts = session.scalar(
        sa.select(sa.func.count()).where(
            ChannelCountsRow.vote_day_id == vote_day_id, ChannelCountsRow.current.is_(True)
        )
    )
    return TallyProgress(
        started=units > 0,
        units=int(units),
        ballots=int(ballots),
        decrypted_units=int(decrypted),
        shares_by_trustee={name: int(n) for name, n in shares},
        channel_counts=int(counts or 0),
    )
