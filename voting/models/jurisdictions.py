"""The jurisdiction tree: nation → canton → district → municipality → village or quarter.

Official codes: canton abbreviations (``ZH``), the Federal Statistical Office's
district and municipality numbers (``101``, ``261``), its counting-district
numbers for city quarters (``10261``); Korean administrative codes (시·도
``11``, 시·군·구 ``11110``, 읍·면·동 ``1111051500``). A code is unique within its
level. Only leaf units carry an electorate; a canton carries its cantonal vote
weight (BV Art. 142(4)) as an exact fraction string, "1" or "1/2".
"""

from __future__ import annotations

from fractions import Fraction

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app.extensions import db

LEVELS = ("nation", "canton", "district", "municipality", "village", "quarter")
LEVEL_RANK = {
    "nation": 0,
    "canton": 1,
    "district": 2,
    "municipality": 3,
    "village": 4,
    "quarter": 4,
}
"""Tiers from the top; a village and a city quarter are the same tier."""
LANGUAGES = ("de", "fr", "it", "rm", "en", "ko")


class Jurisdiction(db.Model):  # type: ignore[name-defined,misc]
    """One unit of the tree."""

    __tablename__ = "jurisdictions"
    __table_args__ = (
        sa.UniqueConstraint("level", "code", name="uq_jurisdictions_level_code"),
        sa.CheckConstraint(
            "electorate IS NULL OR electorate >= 0", name="ck_jurisdictions_electorate"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    level: so.Mapped[str] = so.mapped_column(sa.String(16))
    code: so.Mapped[str] = so.mapped_column(sa.String(32))
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("jurisdictions.id", ondelete="RESTRICT"), index=True
    )
    names: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON)
    electorate: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    vote_weight: so.Mapped[str | None] = so.mapped_column(sa.String(8))

    parent: so.Mapped[Jurisdiction | None] = so.relationship(
        remote_side=[id], back_populates="children"
    )
    children: so.Mapped[list[Jurisdiction]] = so.relationship(back_populates="parent")

    @property
    def ref(self) -> str:
        """``level:code``, the unit's reference in import files and the CLI."""
        return f"{self.level}:{self.code}"

    @property
    def weight(self) -> Fraction | None:
        """The cantonal vote weight as an exact fraction (None below or above cantons)."""
        return None if self.vote_weight is None else Fraction(self.vote_weight)

    def name(self, language: str = "de") -> str:
        """The name in ``language``, else the first name given."""
        return self.names.get(language) or next(iter(self.names.values()), self.code)

    def __repr__(self) -> str:
        return f"<Jurisdiction {self.ref}>"
