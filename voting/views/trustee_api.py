"""The key ceremony's JSON API under ``/api/vote-days/<vote_day>/`` (docs/api.md, docs/trustees.md).

- ``GET ceremony`` (public): the ceremony as the log has it (roster,
  commitments, boxed shares, complaints, reveals, who is ready, unanswered
  complaints, and the ``election-key`` record once complete);
- ``POST ceremony/commitment``, ``ceremony/shares``, ``ceremony/complaints``,
  ``ceremony/reveals``, ``ceremony/ready``: a trustee's messages. The official
  must hold the ``trustee`` role, its user name must be a name on the vote
  day's roster (else 403 ``not_a_trustee``), and the message must be its own
  (else 403 ``wrong_trustee``);
- ``POST ceremony/begin`` (``{"trustees": [...], "threshold": t}``) and
  ``POST ceremony/complete`` (``{"unanswered": false}``): an administrator or
  a returning officer of the vote day's top jurisdiction;
- ``GET decryption-shares`` (public): which trustees have shared which unit.

Official routes authenticate with the web login's session and the
``X-CSRFToken`` header, as the trustee tool (``python -m voting.trustee``)
does. A refusal is a 4xx JSON answer carrying the service's error code, and
nothing is logged.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import jsonify
from flask.typing import ResponseReturnValue

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import Forbidden
from voting.errors import InvalidRequest
from voting.errors import LoginRequired
from voting.models.jurisdictions import Jurisdiction
from voting.services import ceremony
from voting.services import trustee_roster
from voting.services.decryption import NotATrustee
from voting.services.lifecycle import get_election
from voting.services.lifecycle import get_vote_day
from voting.views._auth import current_official
from voting.views._auth import official_required
from voting.views.tally_api import OFFICERS
from voting.views.tally_api import json_body

bp = Blueprint("trustee_api", __name__, url_prefix="/api/vote-days/<vote_day>")


class WrongTrustee(Forbidden):
    """A trustee posting a message that names another trustee as its author."""

    code = "wrong_trustee"


def top_unit(vote_day: str, **_: Any) -> Jurisdiction:
    """The root of the tree of the vote day's questions (the manifest does not exist yet)."""
    return trustee_roster.vote_day_top_unit(db.session, vote_day)


def _trustee(vote_day: str) -> str:
    """The logged-in official's user name, which must be on the vote day's roster."""
    official = current_official()
    if official is None:  # official_required lets no anonymous request through
        raise LoginRequired("please log in as an official")
    name = official.username
    roster = [entry["name"] for entry in get_election(db.session, vote_day).trustees]
    if name not in roster:
        raise NotATrustee(f"{name!r} is not a trustee of vote day {vote_day!r}")
    return name


def _own(body: Any, field: str, trustee: str) -> Any:
    """``body`` if its ``field`` names ``trustee`` (shape is the service's to check)."""
    if isinstance(body, dict) and field in body and body[field] != trustee:
        raise WrongTrustee(f"{trustee!r} may post only its own messages, not {body[field]!r}'s")
    return body


@bp.get("/ceremony")
def state(vote_day: str) -> ResponseReturnValue:
    status = get_vote_day(db.session, vote_day).status
    current = ceremony.ceremony_state(db.session, vote_day)
    body = {
        "vote_day": vote_day,
        "status": status,
        **current.to_json(),
        "unanswered": [c.to_json() for c in ceremony.unanswered_complaints(current)],
        "election_key": current.election_key,
    }
    return jsonify(body)


@bp.post("/ceremony/commitment")
@official_required("trustee")
def commitment(vote_day: str) -> ResponseReturnValue:
    trustee = _trustee(vote_day)
    body = _own(json_body(), "trustee", trustee)
    ceremony.submit_commitment(db.session, vote_day, trustee, body, signing=log_signing())
    return jsonify({"accepted": "commitment"}), 201


@bp.post("/ceremony/shares")
@official_required("trustee")
def shares(vote_day: str) -> ResponseReturnValue:
    trustee = _trustee(vote_day)
    body = json_body()
    listed = isinstance(body, dict) and set(body) == {"shares"}
    if not listed or not isinstance(body["shares"], list):
        raise InvalidRequest('shares are sent as {"shares": [encrypted share, ...]}')
    for share in body["shares"]:
        _own(share, "sender", trustee)
    ceremony.submit_shares(db.session, vote_day, trustee, body["shares"], signing=log_signing())
    return jsonify({"accepted": "shares"}), 201


@bp.post("/ceremony/complaints")
@official_required("trustee")
def complaint(vote_day: str) -> ResponseReturnValue:
    trustee = _trustee(vote_day)
    body = _own(json_body(), "accuser", trustee)
    ceremony.submit_complaint(db.session, vote_day, trustee, body, signing=log_signing())
    return jsonify({"accepted": "complaint"}), 201


@bp.post("/ceremony/reveals")
@official_required("trustee")
def reveal(vote_day: str) -> ResponseReturnValue:
    trustee = _trustee(vote_day)
    body = _own(json_body(), "sender", trustee)
    ceremony.submit_reveal(db.session, vote_day, trustee, body, signing=log_signing())
    return jsonify({"accepted": "reveal"}), 201


@bp.post("/ceremony/ready")
@official_required("trustee")
def ready(vote_day: str) -> ResponseReturnValue:
    trustee = _trustee(vote_day)
    body = _own(json_body(), "trustee", trustee)
    ceremony.submit_ready(db.session, vote_day, trustee, body, signing=log_signing())
    return jsonify({"accepted": "ready"}), 201


@bp.post("/ceremony/begin")
@official_required(OFFICERS, jurisdiction_from=top_unit)
def begin(vote_day: str) -> ResponseReturnValue:
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"trustees", "threshold"}:
        raise InvalidRequest('begin with {"trustees": ["name", ...], "threshold": t}')
    if not isinstance(body["trustees"], list):
        raise InvalidRequest("trustees is a list of official user names")
    trustee_roster.begin_ceremony(
        db.session,
        vote_day,
        trustees=body["trustees"],
        threshold=body["threshold"],
        signing=log_signing(),
    )
    return jsonify({"status": "key-ceremony"}), 201


@bp.post("/ceremony/complete")
@official_required(OFFICERS, jurisdiction_from=top_unit)
def complete(vote_day: str) -> ResponseReturnValue:
    body = json_body()
    if not isinstance(body, dict) or not set(body) <= {"unanswered"}:
        raise InvalidRequest('complete with {} or {"unanswered": true}')
    unanswered = body.get("unanswered", False)
    if not isinstance(unanswered, bool):
        raise InvalidRequest("unanswered is true or false")
    key = trustee_roster.complete_ceremony(
        db.session, vote_day, unanswered=unanswered, signing=log_signing()
    )
    return jsonify({"status": "credentials", **key.to_json()}), 201


@bp.get("/decryption-shares")
def decryption_progress(vote_day: str) -> ResponseReturnValue:
    get_vote_day(db.session, vote_day)
    shared = trustee_roster.decryption_progress(db.session, vote_day)
    return jsonify({"vote_day": vote_day, "units": shared})
