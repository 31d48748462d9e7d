"""What a voting code has done on a vote day: the ballots cast with its credential.

Two citizen pages ask this with a credential's public key, derived from the
code on the voter's device (the code itself never reaches the server):

- code entry (``GET /vote/<id>/ballot``): a code already used learns it at once,
  with the receipt of the ballot that counts, before filling in a ballot;
- "no electronic ballot with my card" (``GET /vote/<id>/card``): a citizen who
  voted by post or at the polling station checks that no electronic ballot
  was cast with their card (VEleS Art. 5(2)(b)). It answers yes or no only.

Neither answer is a secret of the server's: credentials are published in the
``credentials`` records of the log and every cast ballot names its credential,
so anyone can tell from the public record whether a credential was used. What
is private is which card a credential belongs to, and only the code's holder
can derive the credential from the card (docs/citizen.md, docs/threat-model.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from voting.models.elections import CastBallot
from voting.models.session_types import DbSession
from voting.models.votedays import VoteDay


@dataclass(frozen=True)
class CountedBallot:
    """The ballot that counts for a credential under the vote day's re-vote policy."""

    leaf_index: int
    leaf_hash: bytes
    ballots: int
    """how many ballots were cast with the credential (more than one only when re-voting)"""
    policy: str


def counted_ballot_of(
    session: DbSession, vote_day_id: str, public_key: str
) -> CountedBallot | None:
    """The counted ballot cast with the credential ``public_key`` (hex), or None if none was.

    Audited (spoiled) ballots are not ballots cast: they never count, and a
    code that was only used to audit has not voted.
    """
    policy = session.scalar(sa.select(VoteDay.revote_policy).where(VoteDay.id == vote_day_id))
    rows = session.execute(
        sa.select(CastBallot.leaf_index, CastBallot.leaf_hash)
        .where(CastBallot.vote_day_id == vote_day_id, CastBallot.credential == public_key)
        .order_by(CastBallot.leaf_index)
    ).all()
    if policy is None or not rows:
        return None
    index, leaf_hash = rows[-1] if policy == "last-counts" else rows[0]
    return CountedBallot(int(index), bytes.fromhex(leaf_hash), len(rows), policy)
