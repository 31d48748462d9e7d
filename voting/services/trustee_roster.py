"""Beginning and completing a vote day's key ceremony on an official's word (docs/trustees.md).

The ceremony itself is :mod:`voting.services.ceremony`; this adds what the web
API and ``flask --app app ceremony`` need around it: every trustee named must
be an active official holding the ``trustee`` role (its user name is its name
on the roster, which is how the trustee routes recognise it), and the
officials who may begin or complete a ceremony are administrators and the
returning officers of the vote day's top jurisdiction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from crypto.trustees import ThresholdKey
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.log.keys import LogSigning
from voting.models.jurisdictions import Jurisdiction
from voting.models.officials import Official
from voting.models.officials import RoleGrant
from voting.models.session_types import DbSession
from voting.models.tally import DecryptionShareRow
from voting.models.votedays import Question
from voting.services.ceremony import complete_key_ceremony
from voting.services.lifecycle import begin_key_ceremony
from voting.services.lifecycle import get_vote_day

__all__ = [
    "NotTrusteeOfficials",
    "begin_ceremony",
    "complete_ceremony",
    "decryption_progress",
    "vote_day_top_unit",
]


class NotTrusteeOfficials(InvalidRequest):
    """A name on the proposed roster is not an active official with the trustee role."""

    code = "not_trustee_officials"


def vote_day_top_unit(session: DbSession, vote_day_id: str) -> Jurisdiction:
    """The root of the jurisdiction tree the vote day's questions belong to.

    Raises:
        NotFound: no such vote day.
        Conflict: the vote day has no question yet (so no jurisdiction).
    """
    get_vote_day(session, vote_day_id)
    unit = session.scalar(
        sa.select(Jurisdiction)
        .join(Question, Question.jurisdiction_id == Jurisdiction.id)
        .where(Question.vote_day_id == vote_day_id)
        .limit(1)
    )
    if unit is None:
        raise Conflict(
            f"vote day {vote_day_id!r} has no questions yet: add them before its key ceremony"
        )
    while unit.parent is not None:
        unit = unit.parent
    return unit


def check_trustee_officials(session: DbSession, names: Sequence[str]) -> None:
    """Every name is the user name of an active official holding the trustee role.

    Raises:
        NotTrusteeOfficials: naming every name that is not.
    """
    found = set(
        session.scalars(
            sa.select(Official.username)
            .join(RoleGrant, RoleGrant.official_id == Official.id)
            .where(
                Official.username.in_(list(names)),
                Official.active.is_(True),
                RoleGrant.role == "trustee",
            )
        )
    )
    missing = [name for name in names if name not in found]
    if missing:
        raise NotTrusteeOfficials(
            f"{missing} are not active officials with the trustee role; create them first "
            "(flask --app app officials create NAME --role trustee)",
            names=missing,
        )


def begin_ceremony(
    session: DbSession,
    vote_day_id: str,
    *,
    trustees: Sequence[str],
    threshold: int,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> None:
    """draft → key-ceremony, with trustees who are trustee officials.

    Raises:
        InvalidRequest: a bad roster or threshold (a name twice, t outside 1..n).
        NotTrusteeOfficials: a name is not a trustee official's.
        TransitionRefused: the vote day is not a draft.
    """
    names = list(trustees)
    if not names or any(not isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise InvalidRequest("name one or more distinct trustees")
    if type(threshold) is not int:
        raise InvalidRequest("the threshold is an integer")
    get_vote_day(session, vote_day_id)
    check_trustee_officials(session, names)
    begin_key_ceremony(
        session, vote_day_id, trustees=names, threshold=threshold, signing=signing, now=now
    )


def complete_ceremony(
    session: DbSession,
    vote_day_id: str,
    *,
    unanswered: bool = False,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> ThresholdKey:
    """key-ceremony → credentials (see :func:`voting.services.ceremony.complete_key_ceremony`)."""
    return complete_key_ceremony(
        session, vote_day_id, signing=signing, now=now, unanswered=unanswered
    )


def decryption_progress(session: DbSession, vote_day_id: str) -> dict[str, list[int]]:
    """The trustee indexes whose decryption shares are logged, by unit (public)."""
    rows = session.execute(
        sa.select(DecryptionShareRow.unit, DecryptionShareRow.trustee_index)
        .where(DecryptionShareRow.vote_day_id == vote_day_id)
        .order_by(DecryptionShareRow.unit, DecryptionShareRow.trustee_index)
    ).all()
    shared: dict[str, list[int]] = {}
    for unit, index in rows:
        shared.setdefault(unit, []).append(int(index))
    return shared
