"""Trustee key ceremony: the qualified set QUAL after every complaint (docs/trustees.md, step 5).

Complaints are decided in the order given (the log's order), each with
:func:`crypto.trustees._dkg_shares.resolve_complaint` against the trustees still
qualified at that point. The server (before logging the election key), the
trustee tool (before deriving its key share) and anyone reading the record
decide the same way, so they agree on QUAL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crypto.errors import InvalidShare
from crypto.trustees._dkg import Ceremony
from crypto.trustees._dkg import TrusteeCommitment
from crypto.trustees._dkg_messages import Complaint
from crypto.trustees._dkg_messages import RevealedShare
from crypto.trustees._dkg_shares import resolve_complaint
from crypto.trustees._dkg_signed import verify_all_signed


@dataclass(frozen=True, slots=True)
class Qualification:
    """The outcome of the complaints: who stays, who is out, and the revealed values."""

    qualified: tuple[TrusteeCommitment, ...]
    """QUAL in the spec, in index order"""
    disqualified: tuple[str, ...]
    """names of the trustees disqualified, in the order their complaints were decided"""
    revealed: tuple[RevealedShare, ...]
    """the answers that cleared their accused (the accuser uses them as its shares)"""


def answer_to(complaint: Complaint, reveals: Sequence[RevealedShare]) -> RevealedShare | None:
    """The first reveal answering ``complaint`` (sender = accused, recipient = accuser)."""
    wanted = (complaint.accused_index, complaint.accuser_index)
    return next((r for r in reveals if (r.sender_index, r.recipient_index) == wanted), None)


def decide_complaints(
    ceremony: Ceremony,
    commitments: Sequence[TrusteeCommitment],
    complaints: Sequence[Complaint],
    reveals: Sequence[RevealedShare],
) -> Qualification:
    """Decide every complaint in order; an unanswered one disqualifies its accused.

    ``commitments`` are the valid commitments (the trustees that committed).
    A complaint against a trustee already disqualified is moot. Every
    complaint and reveal must carry its author's signature: a forged one is
    not a message of the ceremony, and whoever presents it is lying.

    Raises:
        InvalidSignature: a complaint or reveal its named author did not sign.
        ValueError: a complaint names someone outside the ceremony.
    """
    verify_all_signed(ceremony, commitments, [*complaints, *reveals])
    qualified = {c.index: c for c in commitments}
    disqualified: list[str] = []
    cleared: list[RevealedShare] = []
    for complaint in complaints:
        if complaint.accused_index not in qualified:
            continue
        answer = answer_to(complaint, reveals)
        try:
            resolve_complaint(ceremony, complaint, list(qualified.values()), answer)
        except InvalidShare:
            del qualified[complaint.accused_index]
            disqualified.append(complaint.accused)
            continue
        if answer is not None:
            cleared.append(answer)
    return Qualification(
        qualified=tuple(qualified[i] for i in sorted(qualified)),
        disqualified=tuple(disqualified),
        revealed=tuple(cleared),
    )
