"""JSON API for witnesses under ``/api/logs/<name>/`` (docs/api.md, "Witnesses").

- ``POST witnesses``: a witness's signed request to join the roster; stored
  as pending (202) after cheap checks only, limited per client address;
- ``POST witnesses/requests/<id>/approve`` and ``.../reject``: an
  administrator decides (CSRF token and session, like every official route);
- ``POST cosigners``: an administrator lists a C2SP ``cosignature/v1``
  witness (its vkey and URL) that the log pushes its checkpoints to;
- ``GET witnesses``: the roster; ``GET witnesses/requests``: pending requests;
- ``POST cosignatures``: a roster witness's cosignature of a checkpoint,
  signed with its Ed25519 key; checked cheap-first, then rate-limited per
  witness, and only then the BLS pairing.

Errors are :class:`voting.errors.VotingError` subclasses, rendered as JSON in one place.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from crypto.witness import WitnessPublicKey
from crypto.witness import witness_verifier_key
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import InvalidRequest
from voting.log import cosigners
from voting.log import witnesses
from voting.models.witness import LogWitness
from voting.services import throttle
from voting.services import witness_roster
from voting.views._auth import current_official
from voting.views._auth import official_required
from voting.views._json import json_body

bp = Blueprint("witness_api", __name__, url_prefix="/api/logs/<name>")

REQUEST_LIMIT = throttle.Limit(attempts=10, window=60 * 60)
"""Registration requests per client address (hashed) and hour."""
COSIGN_LIMIT = throttle.Limit(attempts=120, window=60)
"""Authenticated cosignature submissions per witness and minute (each may cost a pairing)."""
MAX_BODY_BYTES = 16 * 1024
"""A registration or a cosignature with its checkpoint note fits in far less."""


def _limit(name: str, default: throttle.Limit) -> throttle.Limit:
    configured = current_app.config.get(name)
    return default if configured is None else throttle.Limit(*configured)


def _json_body() -> dict[str, Any]:
    body = json_body(MAX_BODY_BYTES)
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    return body


def _address_key() -> str:
    """The client address, hashed: the counter does not keep addresses."""
    address = (request.remote_addr or "unknown").encode()
    salt = str(current_app.config["SECRET_KEY"]).encode()
    return "witness-request:" + hashlib.sha256(salt + b"\n" + address).hexdigest()[:32]


@bp.post("/witnesses")
def register(name: str) -> ResponseReturnValue:
    body = _json_body()
    limit = _limit("URNA_WITNESS_REQUEST_LIMIT", REQUEST_LIMIT)
    throttle.hit(db.session, _address_key(), limit, what="witness registration requests")
    pending = witnesses.request_witness(
        db.session,
        name,
        name=body.get("name"),
        public_key=body.get("public_key"),
        proof=body.get("proof_of_possession"),
        cosigner_key=body.get("cosigner_key"),
        signature=body.get("signature"),
    )
    answer = {
        "status": "pending",
        "request": pending.id,
        "name": pending.name,
        "message": "an administrator of this log must approve the request; "
        "it then appears in GET witnesses",
    }
    return jsonify(answer), 202


@bp.get("/witnesses/requests")
@official_required(witness_roster.APPROVER_ROLE)
def requests(name: str) -> ResponseReturnValue:
    log = witnesses.get_log(db.session, name)
    pending = [
        {
            "request": r.id,
            "name": r.name,
            "public_key": r.public_key.hex(),
            "cosigner_key": r.cosigner_key.hex(),
            "requested_at": r.requested_at.isoformat(),
        }
        for r in witnesses.pending_requests(db.session, log)
    ]
    return jsonify({"requests": pending})


@bp.post("/witnesses/requests/<int:request_id>/approve")
@official_required(witness_roster.APPROVER_ROLE)
def approve(name: str, request_id: int) -> ResponseReturnValue:
    witness = witness_roster.approve(
        db.session, name, request_id, current_official(), signing=log_signing()
    )
    return jsonify(_member(witness)), 201


@bp.post("/cosigners")
@official_required(witness_roster.APPROVER_ROLE)
def add_cosigner(name: str) -> ResponseReturnValue:
    """List a C2SP witness (``{"vkey", "url"}``): the log pushes its checkpoints to it."""
    body = _json_body()
    row = witness_roster.add_cosigner(
        db.session, name, body.get("vkey"), body.get("url"), current_official(),
        signing=log_signing(),
    )  # fmt: skip
    key = cosigners.cosigner_key(row)
    return jsonify(
        {"name": row.name, "vkey": key.vkey(), "url": row.url, "leaf_index": row.leaf_index}
    ), 201


@bp.post("/witnesses/requests/<int:request_id>/reject")
@official_required(witness_roster.APPROVER_ROLE)
def reject(name: str, request_id: int) -> ResponseReturnValue:
    refused = witness_roster.reject(db.session, name, request_id, current_official())
    return jsonify({"request": request_id, "name": refused.name, "status": "rejected"})


def _member(w: LogWitness) -> dict[str, Any]:
    return {
        "position": w.position,
        "name": w.name,
        "public_key": w.public_key.hex(),
        "proof_of_possession": w.proof_of_possession.hex(),
        "cosigner_key": w.cosigner_key.hex() if w.cosigner_key is not None else None,
        "verifier_key": witness_verifier_key(w.name, WitnessPublicKey(w.public_key)),
        "leaf_index": w.leaf_index,
        "registered_at": w.registered_at.isoformat(),
    }


@bp.get("/witnesses")
def roster(name: str) -> ResponseReturnValue:
    log = witnesses.get_log(db.session, name)
    members = [_member(w) for w in witnesses.list_witnesses(db.session, log)]
    roster = witnesses.roster_of(db.session, log)
    listed = [
        {
            "name": c.name,
            "vkey": cosigners.cosigner_key(c).vkey(),
            "url": c.url,
            "leaf_index": c.leaf_index,
            "cosigned_size": c.cosigned_size,
        }
        for c in cosigners.list_cosigners(db.session, log)
    ]
    return jsonify(
        {
            "roster": roster.name,
            "key_id": roster.key_id.hex(),
            "witnesses": members,
            "cosigners": listed,  # C2SP cosignature/v1 witnesses the log pushes to
        }
    )


@bp.post("/cosignatures")
def cosign(name: str) -> ResponseReturnValue:
    body = _json_body()
    limit = _limit("URNA_WITNESS_COSIGN_LIMIT", COSIGN_LIMIT)

    def count(witness: LogWitness) -> None:  # after the Ed25519 check, before the pairing
        key = f"witness-cosign:{witness.log_id}:{witness.id}"
        throttle.hit(db.session, key, limit, what=f"cosignatures from {witness.name!r}")

    stored = witnesses.submit_cosignature(
        db.session,
        name,
        witness_name=body.get("witness"),
        note=body.get("checkpoint"),
        signature=body.get("signature"),
        auth=body.get("auth"),
        authenticated=count,
    )
    return jsonify({"witness": body["witness"], "checkpoint_id": stored.checkpoint_id}), 201
