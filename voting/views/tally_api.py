"""The tally's JSON API under ``/api/vote-days/<vote_day>/`` (docs/record.md; docs/api.md).

- ``POST tally``: start the tally (administrator, or returning officer of the
  vote day's top jurisdiction);
- ``GET encrypted-totals`` (public; ``?unit=level:code`` repeatable);
- ``POST decryption-shares``: a trustee's shares; the official's user name must
  be the trustee's name on the vote day's roster (role ``trustee``);
- ``POST clerk-keys`` and ``POST channel-counts``: a clerk of the unit;
- ``GET channel-counts`` (public): the counts in force.

Official routes authenticate with the web login's session cookie and the
``X-CSRFToken`` header (there are no API tokens yet; ``python -m voting.clerk``
logs in the same way).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import InvalidRequest
from voting.errors import LoginRequired
from voting.models.jurisdictions import Jurisdiction
from voting.models.officials import Official
from voting.services import channels
from voting.services import decryption
from voting.services import tally
from voting.services.jurisdictions import get_unit
from voting.services.tally_log import read_manifest
from voting.views._auth import current_official
from voting.views._auth import official_required
from voting.views._json import json_body as bounded_json_body

bp = Blueprint("tally_api", __name__, url_prefix="/api/vote-days/<vote_day>")

OFFICERS = ("administrator", "returning_officer")


def top_unit(vote_day: str, **_: Any) -> Jurisdiction:
    """The root of the vote day's jurisdiction tree (as its manifest has it)."""
    manifest = read_manifest(db.session, vote_day)
    root = next(ref for ref, parent in manifest.parents.items() if parent is None)
    return get_unit(db.session, root)


OFFICIAL_BODY_BYTES = 256 * 1024
"""Officials' messages: the application's ``MAX_CONTENT_LENGTH``, as before."""


def json_body() -> Any:
    """An official's JSON body, bounded (:mod:`voting.views._json`)."""
    return bounded_json_body(OFFICIAL_BODY_BYTES)


def _official() -> Official:
    official = current_official()
    if official is None:  # official_required lets no anonymous request through
        raise LoginRequired("please log in as an official")
    return official


@bp.post("/tally")
@official_required(OFFICERS, jurisdiction_from=top_unit)
def start(vote_day: str) -> ResponseReturnValue:
    summary = tally.start_tally(db.session, vote_day, signing=log_signing())
    body = {"units": summary.units, "ballots": summary.ballots, "first_index": summary.first_index}
    return jsonify(body), 201


@bp.get("/encrypted-totals")
def encrypted_totals(vote_day: str) -> ResponseReturnValue:
    units = request.args.getlist("unit") or None
    records = tally.encrypted_totals(db.session, vote_day, units)
    return jsonify({"vote_day": vote_day, "totals": records})


@bp.post("/decryption-shares")
@official_required("trustee")
def decryption_shares(vote_day: str) -> ResponseReturnValue:
    outcome = decryption.submit_decryption_shares(
        db.session, vote_day, _official().username, json_body(), signing=log_signing()
    )
    body = {
        "accepted": outcome.accepted,
        "remaining_units": outcome.remaining_units,
        "tallied": outcome.tallied,
    }
    return jsonify(body), 201


@bp.post("/clerk-keys")
@official_required("clerk")
def clerk_keys(vote_day: str) -> ResponseReturnValue:
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"unit", "public_key"}:
        raise InvalidRequest('a key registration is {"unit": "level:code", "public_key": hex}')
    index = channels.register_clerk_key(
        db.session, vote_day, _official(), body["unit"], body["public_key"], signing=log_signing()
    )
    return jsonify({"index": index}), 201


@bp.post("/channel-counts")
@official_required("clerk")
def submit_counts(vote_day: str) -> ResponseReturnValue:
    index = channels.submit_channel_counts(
        db.session, vote_day, _official(), json_body(), signing=log_signing()
    )
    return jsonify({"index": index}), 201


@bp.get("/channel-counts")
def current_counts(vote_day: str) -> ResponseReturnValue:
    records = channels.current_channel_counts(db.session, vote_day)
    return jsonify({"vote_day": vote_day, "counts": records})
