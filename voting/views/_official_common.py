"""What the official pages share: the roles of vote-day actions and the vote day's scope.

A vote day's *jurisdiction* (the scope a returning officer must act for) is
the root of its tree: once open, the root of the logged manifest (as the
tally API has it, :func:`voting.views.tally_api.top_unit`); before, the top
ancestor of its questions' jurisdictions, which is what the manifest will
hold. A vote day without questions yet belongs to the single root of the
jurisdiction tree; if several trees are loaded, only an administrator acts
on it until it has a question.

A refusal (:class:`Refusal`) is shown in the page's language by its error
code or HTTP status; the service's own message, which names the exact
problem in English, follows it marked ``lang="en"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from voting.app.extensions import db
from voting.errors import LoginRequired
from voting.errors import RoleRequired
from voting.errors import VotingError
from voting.models.elections import Election
from voting.models.jurisdictions import Jurisdiction
from voting.models.officials import Official
from voting.services import officials
from voting.services.jurisdictions import ancestors_or_self
from voting.services.votedays import get_vote_day
from voting.views._auth import current_official
from voting.views.tally_api import top_unit

OFFICERS = ("administrator", "returning_officer")
"""Who runs a vote day's lifecycle (as the tally and results API routes require)."""


def vote_day_unit(vote_day: str, **_: Any) -> Jurisdiction | None:
    """The jurisdiction a vote-day action is scoped to (see the module docstring)."""
    day = get_vote_day(db.session, vote_day)
    election = db.session.get(Election, day.id)
    if election is not None and election.manifest_index is not None:
        return top_unit(vote_day)
    if day.questions:
        return ancestors_or_self(db.session, day.questions[0].jurisdiction)[0]
    roots = db.session.scalars(
        sa.select(Jurisdiction).where(Jurisdiction.parent_id.is_(None)).limit(2)
    ).all()
    if len(roots) == 1:
        return roots[0]
    officials.require(current_official(), "administrator")
    return None


def signed_in() -> Official:
    """The logged-in official (the views run behind ``official_required``)."""
    official = current_official()
    if official is None:
        raise LoginRequired("please log in as an official")
    return official


def may(roles: str | tuple[str, ...], unit: Jurisdiction | None = None) -> bool:
    """Whether the logged-in official may act in ``roles`` (for ``unit``): for showing forms.

    Only decides what a page offers; every action checks again when posted.
    """
    try:
        officials.require(current_official(), roles, unit)
    except (LoginRequired, RoleRequired):
        return False
    return True


@dataclass(frozen=True)
class Refusal:
    """Why nothing was done: a sentence in the page's language, the service's words after it."""

    summary: str
    detail: str = ""
    """The service's message (English), shown after the summary with ``lang="en"``."""

    def __str__(self) -> str:
        return f"{self.summary} {self.detail}".strip()


def _summaries() -> dict[str, str]:
    return {
        "role_required": _("Nothing was done: your roles do not allow this step."),
        "transition_refused": _(
            "Nothing was done: the vote day's present state does not allow this step."
        ),
        "questions_frozen": _(
            "Nothing was done: the questions are frozen once the vote day opens."
        ),
        "duplicate_key": _("Nothing was done: this key is already used on the vote day."),
        "unit_not_found": _("Nothing was done: no unit has this reference (level:code)."),
        "invalid_question": _("Nothing was done: the question is not valid."),
        "invalid_vote_day": _("Nothing was done: the vote day is not valid."),
        "import_rejected": _("Nothing was imported."),
        "invalid_credential_list": _("Nothing was stored: the credential list is not valid."),
        "credentials_frozen": _("Nothing was stored: the credential lists are frozen."),
    }


def _by_status(status: int) -> str:
    if status == 403:
        return _("Nothing was done: your roles do not allow this step.")
    if status == 404:
        return _("Nothing was done: something the request names does not exist.")
    if status == 409:
        return _("Nothing was done: it conflicts with what is already recorded.")
    return _("Nothing was done: the request is not valid.")


def refusal(exc: VotingError) -> Refusal:
    """``exc`` for the page: a summary in the page's language and the service's detail."""
    return Refusal(_summaries().get(exc.code) or _by_status(exc.status), exc.message)
