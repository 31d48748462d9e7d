"""Demo data for a first run (``flask --app app demo``). Never used in production.

Loads, idempotently, the small Swiss tree of ``voting/data/demo_ch.json`` (real
codes and electorates) and a demo vote day with questions on three tiers:
the nation (a referendum and an initiative with a counter-proposal), the
canton of Zurich and the city of Winterthur.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import sqlalchemy as sa

from voting.app.extensions import db
from voting.models.jurisdictions import Jurisdiction
from voting.models.votedays import VoteDay
from voting.services.jurisdiction_formats import parse_text
from voting.services.jurisdictions import import_records
from voting.services.questions import QuestionDraft
from voting.services.questions import add_counter_proposal
from voting.services.questions import add_question
from voting.services.votedays import create_vote_day


def _data(name: str) -> str:
    return resources.files("voting.data").joinpath(name).read_text(encoding="utf-8")


def load_demo_tree() -> Iterator[str]:
    """Load the Swiss demo jurisdictions idempotently (also used by benchmarks)."""
    exists = db.session.scalar(
        sa.select(Jurisdiction).where(Jurisdiction.level == "nation", Jurisdiction.code == "CH")
    )
    if exists is not None:
        yield "Swiss demo jurisdictions already loaded."
        return
    summary = import_records(db.session, parse_text(_data("demo_ch.json"), name="demo_ch.json"))
    yield f"Swiss demo jurisdictions: {summary}."


def _draft(spec: dict[str, Any]) -> QuestionDraft:
    return QuestionDraft(**spec)


def _load_vote_day() -> Iterator[str]:
    spec = json.loads(_data("demo_vote_day.json"))
    if db.session.get(VoteDay, spec["id"]) is not None:
        yield f"Demo vote day {spec['id']} already loaded."
        return
    create_vote_day(
        db.session,
        vote_day_id=spec["id"],
        date=dt.date.fromisoformat(spec["date"]),
        titles=spec["titles"],
        revote_policy=spec["revote_policy"],
    )
    for question in spec["questions"]:
        add_question(db.session, spec["id"], _draft(question))
    linked = {name: _draft(q) for name, q in spec["counter_proposal"].items()}
    add_counter_proposal(db.session, spec["id"], **linked)
    for question in spec["more_questions"]:
        add_question(db.session, spec["id"], _draft(question))
    count = len(db.session.get(VoteDay, spec["id"]).questions)  # type: ignore[union-attr]
    yield f"Demo vote day {spec['id']}: {count} questions on three tiers."


def load_demo() -> Iterator[str]:
    """Load the demo data idempotently, yielding lines to show in the terminal."""
    yield from load_demo_tree()
    yield from _load_vote_day()
    yield "Urna demo database is ready."
