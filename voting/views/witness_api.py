"""JSON API for witnesses under ``/api/logs/<name>/`` (docs/api.md, "Witnesses").

``POST witnesses`` registers a witness, ``GET witnesses`` lists the roster,
``POST cosignatures`` accepts a witness's cosignature of a checkpoint. Errors
are :class:`voting.errors.VotingError` subclasses, rendered as JSON in one place.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import jsonify
from flask.typing import ResponseReturnValue

from voting.app.extensions import db
from voting.errors import InvalidRequest
from voting.log import witnesses
from voting.views._json import json_body

bp = Blueprint("witness_api", __name__, url_prefix="/api/logs/<name>")


def _json_body() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    return body


@bp.post("/witnesses")
def register(name: str) -> ResponseReturnValue:
    body = _json_body()
    witness = witnesses.register_witness(
        db.session,
        name,
        name=body.get("name"),
        public_key=body.get("public_key"),
        proof=body.get("proof_of_possession"),
    )
    log = witnesses.get_log(db.session, name)
    answer = {
        "name": witness.name,
        "position": witness.position,
        "public_key": witness.public_key.hex(),
        "roster": witnesses.roster_name(log),
    }
    return jsonify(answer), 201


@bp.get("/witnesses")
def roster(name: str) -> ResponseReturnValue:
    log = witnesses.get_log(db.session, name)
    members = [
        {
            "position": w.position,
            "name": w.name,
            "public_key": w.public_key.hex(),
            "proof_of_possession": w.proof_of_possession.hex(),
            "registered_at": w.registered_at.isoformat(),
        }
        for w in witnesses.list_witnesses(db.session, log)
    ]
    roster = witnesses.roster_of(db.session, log)
    return jsonify({"roster": roster.name, "key_id": roster.key_id.hex(), "witnesses": members})


@bp.post("/cosignatures")
def cosign(name: str) -> ResponseReturnValue:
    body = _json_body()
    stored = witnesses.submit_cosignature(
        db.session,
        name,
        witness_name=body.get("witness"),
        note=body.get("checkpoint"),
        signature=body.get("signature"),
    )
    return jsonify({"witness": body["witness"], "checkpoint_id": stored.checkpoint_id}), 201
