"""Questions of a vote day: validated creation, edits, and the frozen rule.

Kinds (DESIGN.md section 6): a referendum (yes/no, blank allowed); an
initiative with a direct counter-proposal and a tie-break (three linked
questions, BV Art. 139b); a multiple-choice consultation (1 of k, or up to m
of k). Questions can change only while the vote day is draft, key-ceremony or
credentials; from opening on they are frozen (:class:`QuestionsFrozen`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from voting.errors import DuplicateKey
from voting.errors import InvalidQuestion
from voting.errors import QuestionNotFound
from voting.errors import QuestionsFrozen
from voting.models.jurisdictions import Jurisdiction
from voting.models.session_types import DbSession
from voting.models.votedays import Question
from voting.models.votedays import VoteDay
from voting.rules import RulesError
from voting.rules import Threshold
from voting.services.jurisdictions import get_unit
from voting.services.votedays import check_texts
from voting.services.votedays import get_vote_day

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
YES = {"de": "Ja", "fr": "Oui", "it": "Sì", "rm": "Gea", "en": "Yes", "ko": "찬성"}
NO = {"de": "Nein", "fr": "Non", "it": "No", "rm": "Na", "en": "No", "ko": "반대"}
INITIATIVE = {
    "de": "Volksinitiative",
    "fr": "Initiative populaire",
    "it": "Iniziativa popolare",
    "en": "Popular initiative",
    "ko": "국민발안",
}
COUNTER = {
    "de": "Gegenentwurf",
    "fr": "Contre-projet",
    "it": "Controprogetto",
    "en": "Counter-proposal",
    "ko": "대안",
}
YES_NO: list[dict[str, Any]] = [{"id": "yes", "texts": YES}, {"id": "no", "texts": NO}]
TIE_BREAK: list[dict[str, Any]] = [
    {"id": "initiative", "texts": INITIATIVE},
    {"id": "counter", "texts": COUNTER},
]
YES_NO_RULES = ("popular-majority", "absolute-majority", "double-majority")
NATIONAL_RULES = ("double-majority", "counter-proposal")


@dataclass(frozen=True)
class QuestionDraft:
    """A question as an official enters it; ``jurisdiction`` is ``level:code``."""

    key: str
    jurisdiction: str
    kind: str
    titles: Mapping[str, str]
    rule: str | None = None
    explanations: Mapping[str, str] = field(default_factory=dict)
    options: Sequence[Mapping[str, Any]] | None = None
    min_selections: int | None = None
    max_selections: int | None = None
    recommendation: str | None = None
    turnout_quorum: str | None = None
    approval_quorum: str | None = None
    position: int | None = None


def _editable_vote_day(session: DbSession, vote_day_id: str) -> VoteDay:
    vote_day = get_vote_day(session, vote_day_id)
    if vote_day.questions_frozen:
        raise QuestionsFrozen(
            f"the questions of vote day {vote_day_id!r} are frozen: it is {vote_day.status}",
            vote_day=vote_day_id,
        )
    return vote_day


def _options(draft: QuestionDraft) -> list[dict[str, Any]]:
    """The option list: fixed for yes/no kinds and the tie-break, given for consultations."""
    fixed = TIE_BREAK if draft.kind == "tie-break" else YES_NO
    if draft.kind != "consultation":
        if draft.options is not None and [o.get("id") for o in draft.options] != [
            o["id"] for o in fixed
        ]:
            ids = [o["id"] for o in fixed]
            raise InvalidQuestion(f"{draft.key}: a {draft.kind} has exactly the options {ids}")
        return [dict(o) for o in (draft.options or fixed)]
    if draft.options is None or len(draft.options) < 2:
        raise InvalidQuestion(f"{draft.key}: a consultation needs at least two options")
    options, seen = [], set()
    for index, option in enumerate(draft.options):
        option_id = option.get("id") if isinstance(option, Mapping) else None
        if not isinstance(option_id, str) or not KEY_RE.match(option_id) or option_id in seen:
            raise InvalidQuestion(
                f"{draft.key}.options[{index}]: id missing, malformed or repeated"
            )
        seen.add(option_id)
        where = f"{draft.key}.options[{index}].texts"
        texts = check_texts(option.get("texts"), where, error=InvalidQuestion)
        options.append({"id": option_id, "texts": texts})
    return options


def _selections(draft: QuestionDraft, k: int) -> tuple[int, int]:
    if draft.kind != "consultation":
        if draft.min_selections not in (None, 0) or draft.max_selections not in (None, 1):
            raise InvalidQuestion(f"{draft.key}: a {draft.kind} takes 0 or 1 selection")
        return 0, 1
    low = 0 if draft.min_selections is None else draft.min_selections
    high = 1 if draft.max_selections is None else draft.max_selections
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
        raise InvalidQuestion(f"{draft.key}: selections must be integers")
    if not 0 <= low <= high <= k or high < 1:
        raise InvalidQuestion(f"{draft.key}: need 0 <= min {low} <= max {high} <= {k} options")
    return low, high


def _rule(draft: QuestionDraft, unit: Jurisdiction, *, linked: bool) -> str:
    if draft.kind == "consultation":
        rule = draft.rule or "consultative"
        allowed: tuple[str, ...] = ("consultative",)
    elif linked:
        rule, allowed = draft.rule or "counter-proposal", ("counter-proposal",)
    else:
        rule = draft.rule or ("double-majority" if draft.kind == "initiative" else "")
        allowed = YES_NO_RULES
    if rule not in allowed:
        raise InvalidQuestion(f"{draft.key}: rule must be one of {allowed} for a {draft.kind}")
    if rule in NATIONAL_RULES and not any(c.vote_weight for c in unit.children):
        raise InvalidQuestion(
            f"{draft.key}: the {rule} rule needs a nation whose cantons carry vote weights, "
            f"not {unit.ref}"
        )
    return rule


def _quorum(text: str | None, name: str, draft: QuestionDraft, rule: str) -> str | None:
    if text is None:
        return None
    if rule in ("consultative", "counter-proposal"):
        raise InvalidQuestion(f"{draft.key}: no {name} quorum with the {rule} rule")
    try:
        return str(Threshold.parse(text, name))
    except RulesError as exc:
        raise InvalidQuestion(f"{draft.key}: {exc}") from exc


def build_question(
    session: DbSession, vote_day: VoteDay, draft: QuestionDraft, *, linked: bool = False
) -> Question:
    """Validate ``draft`` and build (not add) its :class:`Question`.

    Raises:
        InvalidQuestion: the first problem found, naming the question.
        DuplicateKey: the key is taken on this vote day.
        UnitNotFound: unknown jurisdiction.
    """
    if not isinstance(draft.key, str) or not KEY_RE.match(draft.key):
        raise InvalidQuestion(
            f"question key {draft.key!r} must be lowercase letters, digits, - or _"
        )
    if draft.kind not in ("referendum", "initiative", "consultation") and not linked:
        raise InvalidQuestion(f"{draft.key}: use add_counter_proposal for a {draft.kind}")
    if any(q.key == draft.key for q in vote_day.questions):
        raise DuplicateKey(f"question {draft.key!r} already exists on vote day {vote_day.id!r}")
    unit = get_unit(session, draft.jurisdiction)
    options = _options(draft)
    low, high = _selections(draft, len(options))
    rule = _rule(draft, unit, linked=linked)
    if draft.recommendation is not None and draft.recommendation not in [o["id"] for o in options]:
        raise InvalidQuestion(f"{draft.key}: recommendation {draft.recommendation!r} is no option")
    return Question(
        key=draft.key,
        jurisdiction=unit,
        kind=draft.kind,
        rule=rule,
        options=options,
        min_selections=low,
        max_selections=high,
        titles=check_texts(draft.titles, f"{draft.key}.titles", error=InvalidQuestion),
        explanations=check_texts(
            draft.explanations, f"{draft.key}.explanations", required=False, error=InvalidQuestion
        ),
        recommendation=draft.recommendation,
        turnout_quorum=_quorum(draft.turnout_quorum, "turnout", draft, rule),
        approval_quorum=_quorum(draft.approval_quorum, "approval", draft, rule),
        position=len(vote_day.questions) if draft.position is None else draft.position,
    )


def add_question(session: DbSession, vote_day_id: str, draft: QuestionDraft) -> Question:
    """Add a referendum, a stand-alone initiative or a consultation."""
    vote_day = _editable_vote_day(session, vote_day_id)
    question = build_question(session, vote_day, draft)
    vote_day.questions.append(question)
    session.commit()
    return question


def add_counter_proposal(
    session: DbSession,
    vote_day_id: str,
    *,
    initiative: QuestionDraft,
    counter: QuestionDraft,
    tiebreak: QuestionDraft,
) -> list[Question]:
    """Add an initiative, its direct counter-proposal and the tie-break (BV Art. 139b)
    as three linked questions of one jurisdiction, in that order on the ballot."""
    vote_day = _editable_vote_day(session, vote_day_id)
    expected = (("initiative", initiative), ("counter-proposal", counter), ("tie-break", tiebreak))
    for kind, draft in expected:
        if draft.kind != kind:
            raise InvalidQuestion(f"{draft.key}: expected a {kind}, got a {draft.kind}")
        if draft.jurisdiction != initiative.jurisdiction:
            raise InvalidQuestion(f"{draft.key}: all three questions belong to one jurisdiction")
    if len({initiative.key, counter.key, tiebreak.key}) != 3:
        raise InvalidQuestion(f"{initiative.key}: the three questions need distinct keys")
    questions = []
    position = len(vote_day.questions) if initiative.position is None else initiative.position
    for offset, (_, draft) in enumerate(expected):
        question = build_question(
            session, vote_day, replace(draft, position=position + offset), linked=True
        )
        question.group_key = initiative.key
        questions.append(question)
    vote_day.questions.extend(questions)
    session.commit()
    return questions


def get_question(session: DbSession, vote_day_id: str, key: str) -> Question:
    question = session.scalar(
        sa.select(Question).where(Question.vote_day_id == vote_day_id, Question.key == key)
    )
    if question is None:
        raise QuestionNotFound(f"no question {key!r} on vote day {vote_day_id!r}")
    return question


def update_texts(
    session: DbSession,
    vote_day_id: str,
    key: str,
    *,
    titles: Mapping[str, str] | None = None,
    explanations: Mapping[str, str] | None = None,
) -> Question:
    """Change a question's titles or explanations (refused once the vote day is open)."""
    _editable_vote_day(session, vote_day_id)
    question = get_question(session, vote_day_id, key)
    if titles is not None:
        question.titles = check_texts(titles, f"{key}.titles", error=InvalidQuestion)
    if explanations is not None:
        question.explanations = check_texts(
            explanations, f"{key}.explanations", required=False, error=InvalidQuestion
        )
    session.commit()
    return question


def delete_question(session: DbSession, vote_day_id: str, key: str) -> None:
    """Remove a question, and with an initiative its whole linked group."""
    _editable_vote_day(session, vote_day_id)
    question = get_question(session, vote_day_id, key)
    if question.group_key is not None and question.group_key != key:
        raise InvalidQuestion(f"{key} is part of {question.group_key!r}: delete that initiative")
    group = session.scalars(
        sa.select(Question).where(Question.vote_day_id == vote_day_id, Question.group_key == key)
    ).all()
    for item in {question, *group}:
        session.delete(item)
    session.commit()
