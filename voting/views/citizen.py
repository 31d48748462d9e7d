"""The citizens' pages under ``/vote/`` (issues 7, 17): read, vote, audit, receipt, check,
"no electronic ballot with my card", and the help and accessibility pages.

Pages render on the server (Jinja2, every language of :mod:`voting.app.i18n`) and
work with the keyboard alone; JavaScript (``static/js/pages/``) is used only
for what must happen on the voter's device: deriving the credential from the
voting code, encrypting, proving and signing the ballot, the Benaloh audit,
and checking a receipt's proofs. The voting code never reaches the server:
the ballot form is asked for with the credential's public key only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for

from crypto.ballot import Ballot
from crypto.encoding import canonical_json
from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.receipt import parse_tracking_code
from crypto.receipt import tracking_code
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import InvalidRequest
from voting.log import bulletin
from voting.log import witnesses
from voting.models.elections import Election
from voting.models.jurisdictions import LEVEL_RANK
from voting.models.jurisdictions import Jurisdiction
from voting.models.votedays import Question
from voting.models.votedays import VoteDay
from voting.services import casting
from voting.services import return_codes
from voting.services.credentials import unit_of_credential
from voting.services.votedays import ballot_for_unit
from voting.services.votedays import get_vote_day
from voting.services.voter_ballots import counted_ballot_of
from voting.views import citizen_limits

bp = Blueprint("citizen", __name__, url_prefix="/vote")
pages = Blueprint("citizen_pages", __name__)
"""The help and accessibility pages (outside ``/vote/``: they concern every vote day)."""
bp.before_app_request(citizen_limits.before_request)
bp.after_app_request(citizen_limits.after_request)


@dataclass(frozen=True)
class Tier:
    """The questions of one unit, as shown on the pages."""

    unit: Jurisdiction
    questions: list[Question]


def tiers_of(questions: Iterable[Question]) -> list[Tier]:
    """Group questions by their unit, from the nation down (stable within a unit)."""
    grouped: dict[int, Tier] = {}
    for question in questions:
        tier = grouped.setdefault(question.jurisdiction_id, Tier(question.jurisdiction, []))
        tier.questions.append(question)
    return sorted(grouped.values(), key=lambda t: (LEVEL_RANK[t.unit.level], t.unit.code))


def _election(vote_day_id: str) -> Election | None:
    return db.session.scalar(sa.select(Election).where(Election.vote_day_id == vote_day_id))


def _log_key(election: Election | None) -> str | None:
    """The log's verifier key as the manifest logged it at opening (None before)."""
    if election is None or election.manifest_index is None:
        return None
    entry = bulletin.get_entry(db.session, election.vote_day_id, election.manifest_index)
    manifest = json.loads(entry.data)
    return str(manifest["log"]["key"])


def _credential_arg() -> str:
    try:
        return unhex(request.args.get("credential"), 32, what="credential").hex()
    except InvalidEncoding as exc:
        raise InvalidRequest(str(exc)) from exc


def _leaf_hash(code: str) -> bytes:
    try:
        return parse_tracking_code(code)
    except InvalidEncoding as exc:
        raise InvalidRequest(f"not a tracking code: {exc}") from exc


@bp.get("/")
def index() -> str:
    """Every vote day, newest first."""
    vote_days = db.session.scalars(sa.select(VoteDay).order_by(VoteDay.date.desc())).all()
    return render_template("citizen/index.html", vote_days=vote_days)


@bp.get("/<vote_day>")
def vote_day_page(vote_day: str) -> str:
    """The questions of the day, readable by anyone, and the voting code entry."""
    day = get_vote_day(db.session, vote_day)
    return render_template(
        "citizen/vote_day.html",
        vote_day=day,
        tiers=tiers_of(day.questions),
        is_open=day.status == "open",
        demo=bool(current_app.config.get("URNA_DEMO")),
    )


@bp.get("/<vote_day>/ballot")
def ballot_form(vote_day: str) -> Response:
    """The ballot form of a credential's unit (an HTML fragment the page inserts).

    A code that already voted learns it here, before filling anything in: under
    ``first-counts`` the fragment is the receipt of the ballot that counts
    instead of a ballot; under ``last-counts`` the ballot comes with a notice
    that casting again replaces it. The page asks with its own language
    (``?lang=``): the request carries no cookie.
    """
    credential = _credential_arg()
    day = get_vote_day(db.session, vote_day)
    unit = unit_of_credential(db.session, vote_day, credential)
    counted = counted_ballot_of(db.session, vote_day, credential)
    if counted is not None and counted.policy != "last-counts":
        code = tracking_code(counted.leaf_hash)
        html = render_template(
            "citizen/_already_voted.html",
            vote_day=day,
            index=counted.leaf_index,
            code=code,
            confirmation=return_codes.confirmation_state(db.session, vote_day, credential),
            coded_questions=_coded_questions(vote_day, unit),
        )
    else:
        html = render_template(
            "citizen/_ballot.html",
            vote_day=vote_day,
            unit=unit,
            election=_election(vote_day),
            tiers=[Tier(t.unit, t.questions) for t in ballot_for_unit(db.session, vote_day, unit)],
            revoting=counted is not None,
            return_codes=return_codes.has_return_codes(db.session, vote_day),
        )
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _coded_questions(vote_day: str, unit: Jurisdiction) -> list[Question]:
    """The questions of the unit's ballot that carry return codes (single-choice), in ballot
    order: the page that comes back to an unconfirmed ballot names them beside their codes."""
    if not return_codes.has_return_codes(db.session, vote_day):
        return []
    tiers = ballot_for_unit(db.session, vote_day, unit)
    return [q for tier in tiers for q in tier.questions if q.max_selections == 1]


def _receipt_json(vote_day: str, code: str) -> dict[str, Any]:
    """As ``GET /api/vote-days/<id>/receipts/<code>``: with the latest cosigned checkpoint."""
    leaf_hash = _leaf_hash(code)
    bulletin.latest_checkpoint_note(db.session, vote_day, signing=log_signing())
    index = bulletin.find_index(db.session, vote_day, leaf_hash)
    found = bulletin.receipt_for(db.session, vote_day, index)
    if found.checkpoint is not None:
        note = witnesses.cosigned_note(db.session, vote_day, found.checkpoint)
        found = dataclasses.replace(found, checkpoint=note)
    return found.to_json()


def _fingerprint(vote_day: str, index: int) -> str | None:
    """The fingerprint the voting page showed before casting, from the ballot as logged.

    SHA-256 of the canonical unsigned ballot, its first 24 hex digits in groups
    of four (``static/js/pages/vote.js``): the voter compares the two.
    """
    record = json.loads(bulletin.get_entry(db.session, vote_day, index).data)
    if not isinstance(record, dict) or not isinstance(record.get("ballot"), dict):
        return None
    unsigned = Ballot.from_json(record["ballot"]).unsigned_json()
    digest = hashlib.sha256(canonical_json(unsigned)).hexdigest()[:24]
    return " ".join(digest[i : i + 4] for i in range(0, 24, 4))


@bp.get("/<vote_day>/receipt/<code>")
def receipt_page(vote_day: str, code: str) -> str:
    """A ballot's receipt: cast (or audited), its fingerprint, download and print."""
    day = get_vote_day(db.session, vote_day)
    receipt = _receipt_json(vote_day, code)
    standing = casting.ballot_standing(db.session, vote_day, receipt["index"])
    return render_template(
        "citizen/receipt.html",
        vote_day=day,
        receipt=receipt,
        standing=standing,
        fingerprint=_fingerprint(vote_day, receipt["index"]) if standing else None,
        log_key=_log_key(_election(vote_day)),
        duplicate=request.args.get("duplicate") == "1",
        confirmation=return_codes.ballot_confirmation(db.session, vote_day, receipt["index"]),
    )


@bp.get("/<vote_day>/receipt/<code>/download")
def receipt_download(vote_day: str, code: str) -> Response:
    """The receipt as a JSON file (with the latest covering checkpoint and proof)."""
    get_vote_day(db.session, vote_day)
    receipt = _receipt_json(vote_day, code)
    name = f"urna-receipt-{vote_day}-{receipt['tracking_code'][:9]}.json"
    return Response(
        json.dumps(receipt, indent=2) + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/<vote_day>/check")
def check_page(vote_day: str) -> str:
    """Check a receipt in the browser against the latest signed checkpoint."""
    day = get_vote_day(db.session, vote_day)
    code = request.args.get("code", "")
    if code:
        try:
            code = tracking_code(parse_tracking_code(code))
        except InvalidEncoding:
            pass  # shown as typed: the page's own check names the mistake in its language
    return render_template(
        "citizen/check.html",
        vote_day=day,
        code=code,
        log_key=_log_key(_election(vote_day)),
        api_log=url_for("log_api.checkpoint", name=vote_day).rsplit("/", 1)[0],
    )


@bp.get("/<vote_day>/card")
def card_page(vote_day: str) -> str:
    """The page "no electronic ballot with my card", for citizens who voted by post or in person."""
    day = get_vote_day(db.session, vote_day)
    return render_template("citizen/card.html", vote_day=day)


@bp.get("/<vote_day>/card/status")
def card_status(vote_day: str) -> Response:
    """Whether an electronic ballot was cast with a credential: ``{"cast": true|false}``.

    On a vote day with return codes, a cast ballot's answer adds ``confirmed``:
    whether it was confirmed with the ballot casting key (only then is it
    counted). Asked with the public key the page derives from the card's
    code; counted like code entry (:mod:`voting.views.citizen_limits`): an unknown credential
    is a 403 that uses up an attempt. Yes or no, nothing more: no tracking code,
    no time, no entry (the code's holder can have those from the voting page).
    """
    credential = _credential_arg()
    get_vote_day(db.session, vote_day)
    unit_of_credential(db.session, vote_day, credential)
    cast = counted_ballot_of(db.session, vote_day, credential) is not None
    # with return codes: "confirmed" says whether the ballot counts (docs/return-codes.md)
    answer: dict[str, bool] = {"cast": cast}
    state = return_codes.confirmation_state(db.session, vote_day, credential)
    if state is not None:
        answer["confirmed"] = state == "confirmed"
    return Response(
        json.dumps(answer),
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


@pages.get("/help")
def help_page() -> str:
    """How voting works, what the codes mean, what an audit is, whom to contact."""
    return render_template("citizen/help.html")


@pages.get("/accessibility")
def accessibility_page() -> str:
    """The accessibility statement."""
    return render_template("citizen/accessibility.html")
