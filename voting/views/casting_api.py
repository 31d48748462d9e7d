"""The citizens' JSON API under ``/api/vote-days/<vote_day>/`` (docs/api.md, "Casting").

Everything a voting client needs: the manifest, the questions of a
credential's ballot, casting, Benaloh audits and receipts. Voters carry no
session: a ballot is authorised by its credential signature alone, so these
routes take no cookies and need no CSRF token.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.receipt import parse_tracking_code
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.log import bulletin
from voting.log import witnesses
from voting.models.elections import Election
from voting.services import casting
from voting.services import return_code_status
from voting.services import return_codes
from voting.services.credentials import unit_of_credential
from voting.services.json_input import BodyTooLarge
from voting.services.lifecycle import get_election
from voting.services.lifecycle import get_vote_day
from voting.services.rc_authorities import DEFAULT_TIMEOUT
from voting.services.votedays import ballot_for_unit
from voting.views._json import body_bytes
from voting.views.citizen_limits import cast_limits

bp = Blueprint("casting_api", __name__, url_prefix="/api/vote-days/<vote_day>")


def _body() -> Any:
    try:
        body = body_bytes(casting.MAX_BALLOT_BYTES)
    except BodyTooLarge as exc:
        limit = casting.MAX_BALLOT_BYTES
        raise casting.BallotTooLarge(f"a ballot is at most {limit} bytes") from exc
    return casting.parse_ballot_body(body)


def _authority_timeout() -> float:
    """Seconds per socket operation with a return-code authority (``URNA_RETURN_CODE_TIMEOUT``)."""
    return float(current_app.config.get("URNA_RETURN_CODE_TIMEOUT", DEFAULT_TIMEOUT))


@bp.get("/manifest")
def manifest(vote_day: str) -> ResponseReturnValue:
    """The manifest logged at opening (404 before)."""
    get_vote_day(db.session, vote_day)  # 404 for an unknown vote day
    election = db.session.get(Election, vote_day)
    if election is None or election.manifest_index is None:
        raise NotFound(f"vote day {vote_day!r} has not opened yet: it has no manifest")
    entry = bulletin.get_entry(db.session, vote_day, election.manifest_index)
    return entry.data, 200, {"Content-Type": "application/json"}


@bp.get("/ballot")
def ballot_questions(vote_day: str) -> ResponseReturnValue:
    """What a credential must answer: ``?credential=<hex public key>``."""
    try:
        key = unhex(request.args.get("credential"), 32, what="credential").hex()
    except InvalidEncoding as exc:
        raise InvalidRequest(str(exc)) from exc
    get_vote_day(db.session, vote_day)
    unit = unit_of_credential(db.session, vote_day, key)
    election = get_election(db.session, vote_day)
    tiers = ballot_for_unit(db.session, vote_day, unit)
    return jsonify(
        {
            "vote_day": vote_day,
            "unit": unit.ref,
            "election_key": election.public_key,
            "manifest_hash": election.manifest_hash,
            "questions": [
                {
                    "id": q.key,
                    "tier": tier.unit.ref,
                    "options": len(q.options),
                    "option_ids": q.option_ids,
                    "min": q.min_selections,
                    "max": q.max_selections,
                }
                for tier in tiers
                for q in tier.questions
            ],
        }
    )


@bp.post("/ballots")
def cast(vote_day: str) -> ResponseReturnValue:
    """Cast a ballot; on a vote day with return codes, ``{"ballot", "return_codes"}`` and the
    answer carries the choice codes (docs/return-codes.md)."""
    body = _body()
    if return_codes.has_return_codes(db.session, vote_day):
        result, codes = return_codes.cast_with_codes(
            db.session,
            vote_day,
            body,
            signing=log_signing(),
            limits=cast_limits(),
            timeout=_authority_timeout(),
        )
        return jsonify({**result.receipt.to_json(), "return_codes": codes.to_json()}), 201
    result = casting.cast_ballot(
        db.session, vote_day, body, signing=log_signing(), limits=cast_limits()
    )
    return jsonify(result.receipt.to_json()), 201


@bp.post("/return-codes")
def choice_codes(vote_day: str) -> ResponseReturnValue:
    """A cast ballot's choice codes again: ``{"credential", "return_codes"}`` (after a 503)."""
    codes = return_codes.resend_codes(
        db.session,
        vote_day,
        _body(),
        signing=log_signing(),
        limits=cast_limits(),
        timeout=_authority_timeout(),
    )
    return jsonify(codes.to_json())


@bp.post("/return-codes/status")
def codes_status(vote_day: str) -> ResponseReturnValue:
    """What the server holds for a credential's ballot with codes: ``{"credential",
    "signature"}`` → its state, the choice codes and tries left, or the vote cast code."""
    status = return_code_status.codes_status(db.session, vote_day, _body())
    return jsonify(status.to_json())


@bp.post("/confirmations")
def confirm(vote_day: str) -> ResponseReturnValue:
    """Confirm a ballot with the ballot casting key: ``{"credential", "pbck", "proof"}``."""
    confirmed = return_codes.confirm(
        db.session, vote_day, _body(), signing=log_signing(), timeout=_authority_timeout()
    )
    return jsonify(confirmed.to_json())


@bp.post("/audits")
def audit(vote_day: str) -> ResponseReturnValue:
    result = casting.spoil_ballot(
        db.session, vote_day, _body(), signing=log_signing(), limits=cast_limits()
    )
    return jsonify(result.receipt.to_json()), 201


@bp.get("/receipts/<code>")
def receipt(vote_day: str, code: str) -> ResponseReturnValue:
    """The receipt of a tracking code (or leaf hash), with the latest covering proof.

    For a ballot or an audit, ``ballot`` says whether it is the one counted
    for its credential (:func:`voting.services.casting.ballot_standing`).
    """
    try:
        # A tracking code is 52 base32 characters once its spaces and dashes are
        # gone (13 groups and 12 separators are 64 characters, as a hex hash is).
        compact = "".join(code.split()).replace("-", "")
        is_hex = len(compact) == 64
        leaf_hash = bytes.fromhex(compact) if is_hex else parse_tracking_code(code)
    except (InvalidEncoding, ValueError) as exc:
        raise InvalidRequest(f"not a tracking code: {exc}") from exc
    bulletin.latest_checkpoint_note(db.session, vote_day, signing=log_signing())
    index = bulletin.find_index(db.session, vote_day, leaf_hash)
    found = bulletin.receipt_for(db.session, vote_day, index)
    if found.checkpoint is not None:  # with the witnesses' aggregate cosignature line
        note = witnesses.cosigned_note(db.session, vote_day, found.checkpoint)
        found = dataclasses.replace(found, checkpoint=note)
    standing = casting.ballot_standing(db.session, vote_day, index)
    body = found.to_json()
    if standing is not None:
        body["ballot"] = standing.to_json()
    return jsonify(body)
