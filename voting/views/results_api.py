"""Results as JSON and in the BFS format, and their publication (docs/record.md, "result").

- ``GET results`` and ``GET results/<question>``: computed from the log's
  counts once tallied, and exactly the logged ``result`` records once published;
- ``GET results.bfs.json``: the federal questions in ``sd-t-17-02``;
- ``POST publish``: tallied → published (administrator, or returning officer
  of the vote day's top jurisdiction).
"""

from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask.typing import ResponseReturnValue

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import build_published_record
from voting.errors import NotFound
from voting.services import results as results_service
from voting.services.bfs_export import bfs_document
from voting.views._auth import official_required
from voting.views.tally_api import OFFICERS
from voting.views.tally_api import top_unit

bp = Blueprint("results_api", __name__, url_prefix="/api/vote-days/<vote_day>")


@bp.get("/results")
def all_results(vote_day: str) -> ResponseReturnValue:
    return jsonify(results_service.results(db.session, vote_day))


@bp.get("/results/<question>")
def one_result(vote_day: str, question: str) -> ResponseReturnValue:
    served = results_service.results(db.session, vote_day)
    for result in served["questions"]:
        if result["question"] == question:
            return jsonify({"vote_day": vote_day, "published": served["published"], **result})
    raise NotFound(f"vote day {vote_day!r} has no question {question!r}")


@bp.get("/results.bfs.json")
def bfs(vote_day: str) -> ResponseReturnValue:
    return jsonify(bfs_document(db.session, vote_day))


@bp.post("/publish")
@official_required(OFFICERS, jurisdiction_from=top_unit)
def publish(vote_day: str) -> ResponseReturnValue:
    count = results_service.publish_results(db.session, vote_day, signing=log_signing())
    build_published_record(vote_day)
    return jsonify({"vote_day": vote_day, "status": "published", "result_records": count}), 201
