"""Live figures of a vote day while it is open: turnout per unit and ballots per hour.

Computed from ``cast_ballots`` (the index of the log's ``ballot`` entries:
every row is a leaf of the log, DESIGN.md section 5) joined with the
registered credentials, with aggregate queries only, so that a dashboard
refreshing every half minute costs a few index scans even with millions of
ballots. A voter who re-votes is counted once in the turnout (distinct
credentials) and every time in the ballots per hour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from voting.log import bulletin
from voting.models.credentials import Credential
from voting.models.elections import CastBallot
from voting.models.jurisdictions import Jurisdiction
from voting.models.session_types import DbSession
from voting.services.lifecycle import get_vote_day

__all__ = ["LiveFigures", "UnitTurnout", "ballots_per_hour", "live_figures", "turnout_by_unit"]


@dataclass(frozen=True)
class UnitTurnout:
    """One unit with registered credentials."""

    unit: str
    """``level:code``"""
    name: str
    electorate: int | None
    credentials: int
    voters: int
    """Distinct credentials that cast at least one ballot."""
    ballots: int
    """Ballots cast, re-votes included."""


@dataclass(frozen=True)
class LiveFigures:
    """What the live dashboard shows."""

    vote_day: str
    status: str
    log_size: int
    units: list[UnitTurnout]
    per_hour: list[tuple[dt.datetime, int]]

    @property
    def credentials(self) -> int:
        return sum(u.credentials for u in self.units)

    @property
    def voters(self) -> int:
        return sum(u.voters for u in self.units)

    @property
    def ballots(self) -> int:
        return sum(u.ballots for u in self.units)


def turnout_by_unit(session: DbSession, vote_day_id: str) -> list[UnitTurnout]:
    """Credentials, voters and ballots of every unit with credentials, ordered by unit."""
    registered = (
        sa.select(Credential.jurisdiction_id, sa.func.count().label("n"))
        .where(Credential.vote_day_id == vote_day_id)
        .group_by(Credential.jurisdiction_id)
        .subquery()
    )
    cast = (
        sa.select(
            Credential.jurisdiction_id,
            sa.func.count(sa.distinct(CastBallot.credential)).label("voters"),
            sa.func.count().label("ballots"),
        )
        .join(
            Credential,
            sa.and_(
                Credential.vote_day_id == CastBallot.vote_day_id,
                Credential.public_key == CastBallot.credential,
            ),
        )
        .where(CastBallot.vote_day_id == vote_day_id)
        .group_by(Credential.jurisdiction_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Jurisdiction, registered.c.n, cast.c.voters, cast.c.ballots)
        .join(registered, registered.c.jurisdiction_id == Jurisdiction.id)
        .outerjoin(cast, cast.c.jurisdiction_id == Jurisdiction.id)
        .order_by(Jurisdiction.level, Jurisdiction.code)
    ).all()
    return [
        UnitTurnout(
            unit=unit.ref,
            name=unit.name(),
            electorate=unit.electorate,
            credentials=int(n),
            voters=int(voters or 0),
            ballots=int(ballots or 0),
        )
        for unit, n, voters, ballots in rows
    ]


def _hour_expression(session: DbSession) -> sa.ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(
            sa.func.date_trunc("hour", sa.func.timezone("UTC", CastBallot.cast_at)),
            "YYYY-MM-DD HH24",
        )
    return sa.func.strftime("%Y-%m-%d %H", CastBallot.cast_at)


def ballots_per_hour(session: DbSession, vote_day_id: str) -> list[tuple[dt.datetime, int]]:
    """Ballots cast per hour (UTC), oldest first; hours without ballots are left out."""
    hour = _hour_expression(session).label("hour")
    rows = session.execute(
        sa.select(hour, sa.func.count())
        .where(CastBallot.vote_day_id == vote_day_id)
        .group_by(hour)
        .order_by(hour)
    ).all()
    return [
        (dt.datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=dt.UTC), int(count))
        for text, count in rows
    ]


def live_figures(session: DbSession, vote_day_id: str) -> LiveFigures:
    """Everything the live dashboard shows.

    Raises:
        VoteDayNotFound: no such vote day.
    """
    vote_day = get_vote_day(session, vote_day_id)
    try:
        size = bulletin.log_size(session, vote_day_id)
    except bulletin.LogNotFound:
        size = 0
    return LiveFigures(
        vote_day=vote_day.id,
        status=vote_day.status,
        log_size=size,
        units=turnout_by_unit(session, vote_day_id),
        per_hour=ballots_per_hour(session, vote_day_id),
    )
