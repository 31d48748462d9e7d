"""Choosing return codes when a vote day is created (docs/return-codes.md): the officials'
form and the service refuse return codes without first-counts or with fewer than four
authorities, with a message saying why, and create nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.official_actions import OfficialActions
from tests.web.test_official_pages import NATIONAL_OFFICER
from tests.web.test_official_pages import _vote_day_form
from tests.web.test_official_pages import demo  # noqa: F401 (a fixture)
from voting.app.extensions import db
from voting.errors import InvalidVoteDay
from voting.models.votedays import VoteDay
from voting.services.votedays import create_vote_day

KEYS = [f"{n:02x}" * 32 for n in range(1, 6)]
AUTHORITIES = "\n".join(f"rca-{n} {KEYS[n - 1]} http://rca-{n}.example:8601" for n in (1, 2, 3, 4))


def test_an_officer_creates_a_vote_day_with_return_codes(
    demo: None,  # noqa: F811
    official_actions: OfficialActions,
) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    form = _vote_day_form(revote_policy="first-counts", return_code_authorities=AUTHORITIES)
    assert official_actions.post("/officials/new-vote-day", form).status_code == 303
    day = db.session.get_one(VoteDay, "2026-09-27-ch")
    assert day.return_codes is not None
    assert [a["name"] for a in day.return_codes["authorities"]] == [
        f"rca-{n}" for n in (1, 2, 3, 4)
    ]
    assert day.return_codes["authorities"][0]["url"] == "http://rca-1.example:8601"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"revote_policy": "last-counts"}, b"return codes need the first-counts policy"),
        ({"return_code_authorities": AUTHORITIES.rsplit("\n", 1)[0]}, b"at least 4 authorities"),
        (
            {"return_code_authorities": AUTHORITIES.replace(KEYS[1], KEYS[0])},
            b"the same key",
        ),
        ({"return_code_authorities": AUTHORITIES.replace(KEYS[2], "xyz")}, b"64 lowercase hex"),
        (
            {"return_code_authorities": AUTHORITIES.replace("http://rca-4", "ftp://rca-4")},
            b"http:// or https://",
        ),
    ],
)
def test_bad_return_code_choices_are_refused_and_create_nothing(
    demo: None,  # noqa: F811
    official_actions: OfficialActions,
    changes: dict[str, str],
    message: bytes,
) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    form = _vote_day_form(revote_policy="first-counts", return_code_authorities=AUTHORITIES)
    response = official_actions.post("/officials/new-vote-day", {**form, **changes})
    assert response.status_code == 400 and message in response.data, response.data[-600:]
    assert db.session.get(VoteDay, "2026-09-27-ch") is None


def test_the_service_refuses_return_codes_with_last_counts(demo: None) -> None:  # noqa: F811
    authorities = [{"name": f"rca-{n}", "key": KEYS[n]} for n in range(4)]
    with pytest.raises(InvalidVoteDay, match="first-counts"):
        create_vote_day(
            db.session,
            vote_day_id="2026-09-27-ch",
            date=dt.date(2026, 9, 27),
            titles={"en": "Vote"},
            revote_policy="last-counts",
            return_code_authorities=authorities,
        )
    assert db.session.get(VoteDay, "2026-09-27-ch") is None
