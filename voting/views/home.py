"""The home page: where citizens, observers and officials go."""

import sqlalchemy as sa
from flask import Blueprint
from flask import render_template

from voting.app.extensions import db
from voting.models.votedays import VoteDay

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Links to the vote days, results, public record, receipt check, card check, help, login.

    The receipt and card checks are per vote day: they link to the one open
    for voting, else the latest that has been (none before any opened).
    """
    current = db.session.scalar(
        sa.select(VoteDay)
        .where(VoteDay.status.in_(("open", "closed", "tallied", "published")))
        .order_by((VoteDay.status == "open").desc(), VoteDay.date.desc(), VoteDay.id)
        .limit(1)
    )
    return render_template("home/index.html", current=current)
