"""Vote days and their questions.

A vote day's id is a slug (``2026-03-08-ch``) that also names its bulletin
board log. Its status is stored here; the state machine that moves it belongs
to the casting service. Questions are frozen once the vote day is open or
later: a flush that adds, changes or deletes a question of such a vote day
raises :class:`~voting.errors.QuestionsFrozen`, whatever code path made
the change.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app.extensions import db
from voting.errors import QuestionsFrozen
from voting.models.jurisdictions import Jurisdiction
from voting.models.session_types import DbSession

STATUSES = ("draft", "key-ceremony", "credentials", "open", "closed", "tallied", "published")
EDITABLE_STATUSES = frozenset({"draft", "key-ceremony", "credentials"})
REVOTE_POLICIES = ("first-counts", "last-counts")
KINDS = ("referendum", "initiative", "counter-proposal", "tie-break", "consultation")
RULES = (
    "popular-majority",
    "absolute-majority",
    "double-majority",
    "counter-proposal",
    "consultative",
)


class VoteDay(db.Model):  # type: ignore[name-defined,misc]
    """One vote day: questions of every tier, decided together."""

    __tablename__ = "vote_days"

    id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    date: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    titles: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="draft")
    revote_policy: so.Mapped[str] = so.mapped_column(sa.String(16), default="first-counts")
    min_electronic_ballots: so.Mapped[int] = so.mapped_column(
        sa.Integer, default=10, server_default="10"
    )
    """A unit's electronic counts are published only if they cover this many ballots."""
    return_codes: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON, nullable=True)
    """Return codes (docs/return-codes.md), chosen at creation: ``{"authorities":
    [{"name": ..., "key": hex}, ...]}`` as the officials entered them, or None."""

    questions: so.Mapped[list[Question]] = so.relationship(
        back_populates="vote_day", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def questions_frozen(self) -> bool:
        return self.status not in EDITABLE_STATUSES


class Question(db.Model):  # type: ignore[name-defined,misc]
    """A question on the ballot of every voter in its jurisdiction's subtree."""

    __tablename__ = "questions"
    __table_args__ = (
        sa.UniqueConstraint("vote_day_id", "key", name="uq_questions_vote_day_key"),
        sa.CheckConstraint(
            "min_selections >= 0 AND max_selections >= min_selections",
            name="ck_questions_selections",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), index=True
    )
    key: so.Mapped[str] = so.mapped_column(sa.String(64))
    """The question's id within its vote day, as used in ballots and the log."""
    jurisdiction_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("jurisdictions.id", ondelete="RESTRICT"), index=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    rule: so.Mapped[str] = so.mapped_column(sa.String(24))
    options: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON)
    """Ordered ``[{"id": "yes", "texts": {"de": "Ja", ...}}, ...]``."""
    min_selections: so.Mapped[int] = so.mapped_column(sa.Integer)
    max_selections: so.Mapped[int] = so.mapped_column(sa.Integer)
    titles: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON)
    explanations: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON)
    recommendation: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    """The authorities' recommendation: an option id, or None."""
    turnout_quorum: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    approval_quorum: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    group_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    """For a counter-proposal and its tie-break: the key of their initiative."""
    position: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)

    vote_day: so.Mapped[VoteDay] = so.relationship(back_populates="questions")
    jurisdiction: so.Mapped[Jurisdiction] = so.relationship()

    @property
    def option_ids(self) -> list[str]:
        return [str(option["id"]) for option in self.options]

    @staticmethod
    def quorum_fraction(text: str | None) -> Fraction | None:
        """A stored quorum ("1/4", ">1/2") as a fraction, without its strictness mark."""
        return None if text is None else Fraction(text.lstrip(">"))


def _refuse_frozen_edits(session: DbSession, _context: object, _instances: object) -> None:
    """Before every flush: no question of an open (or later) vote day may change."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, Question):
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        vote_day = obj.vote_day or (
            session.get(VoteDay, obj.vote_day_id) if obj.vote_day_id else None
        )
        if vote_day is not None and vote_day.questions_frozen:
            raise QuestionsFrozen(
                f"question {obj.key!r} of vote day {vote_day.id!r} cannot change: "
                f"the vote day is {vote_day.status}",
                vote_day=vote_day.id,
                question=obj.key,
            )


sa.event.listen(so.Session, "before_flush", _refuse_frozen_edits)
