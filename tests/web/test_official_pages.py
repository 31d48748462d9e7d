"""The officials' pages: dashboard, vote days, questions, jurisdictions, lifecycle, counts, live.

Every action is checked for its role (and the vote day's jurisdiction), its
CSRF token, its refusals shown on the page, and its effect on the vote day.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from nacl.signing import SigningKey

from crypto.clerk_signature import sign_counts
from tests.fixtures_casting import OpenVoteDay
from tests.official_actions import OfficialActions
from tests.voting.tally_helpers import ELSAU
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import decrypt_as
from tests.voting.tally_helpers import vote
from tests.voting.test_channels import counts
from voting.app.extensions import db
from voting.log import bulletin
from voting.models.elections import Election
from voting.models.jurisdictions import Jurisdiction
from voting.models.votedays import VoteDay
from voting.rehearsal.demo import load_demo

DAY = "2026-06-14-ch"
PAGE = f"/officials/vote-days/{DAY}"
LIFECYCLE = f"{PAGE}/lifecycle"
CONFIRM = {"confirm": "y"}
"""The ticked box of an irreversible step (close, tally, publish)."""
NATIONAL_OFFICER = "returning_officer:nation:CH"


def status() -> str:
    db.session.expire_all()
    return db.session.get_one(VoteDay, DAY).status


@pytest.fixture()
def demo(app: Flask) -> None:
    list(load_demo())


@pytest.fixture()
def ready(prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    """The demo vote day after its ceremony, with credentials: ready to open."""
    return prepare_vote_day(open_it=False)


# -- dashboard and vote day page ---------------------------------------------------------


def test_dashboard_lists_vote_days_with_next_steps(
    demo: None, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    page = official_actions.client.get("/officials/").get_data(as_text=True)
    assert DAY in page and "draft" in page and "Add the questions" in page
    assert "Create a vote day" in page
    assert "Import jurisdictions" not in page  # administrators only
    assert "css/officials.css" in page  # the layout's stylesheet reaches the <head>


def test_vote_day_page_shows_questions_and_offers_what_the_role_may(
    demo: None, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as("registrar", username="reggie")
    page = official_actions.client.get(PAGE).get_data(as_text=True)
    assert "bike-paths" in page and "winterthur-square" in page
    assert "Upload a credential list" in page
    assert "Start the key ceremony" not in page  # not an officer
    official_actions.log_out()
    official_actions.log_in_as(NATIONAL_OFFICER)
    page = official_actions.client.get(PAGE).get_data(as_text=True)
    assert "Start the key ceremony" in page and "Add a question" in page
    assert official_actions.client.get("/officials/vote-days/nope").status_code == 404


def test_a_cantonal_officer_is_not_offered_a_federal_vote_day(
    demo: None, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as("returning_officer:canton:ZH")
    page = official_actions.client.get(PAGE).get_data(as_text=True)
    assert "Start the key ceremony" not in page
    refused = official_actions.post(
        f"{LIFECYCLE}/begin-ceremony", {"trustees": "alice\nbob", "threshold": "2"}
    )
    assert refused.status_code == 403 and status() == "draft"


# -- creating a vote day ---------------------------------------------------------------


def _vote_day_form(**changes: str) -> dict[str, str]:
    form = {
        "vote_day_id": "2026-09-27-ch",
        "date": "2026-09-27",
        "revote_policy": "last-counts",
        "titles-en": "Vote of 27 September 2026",
        "titles-de": "Abstimmung vom 27. September 2026",
    }
    return {**form, **changes}


def test_create_a_vote_day(demo: None, official_actions: OfficialActions) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    form_page = official_actions.client.get("/officials/new-vote-day")
    assert form_page.status_code == 200 and b'name="csrf_token"' in form_page.data
    created = official_actions.post("/officials/new-vote-day", _vote_day_form())
    assert created.status_code == 303
    assert created.headers["Location"] == "/officials/vote-days/2026-09-27-ch"
    day = db.session.get_one(VoteDay, "2026-09-27-ch")
    assert day.status == "draft" and day.revote_policy == "last-counts"
    assert day.min_electronic_ballots == 10  # the default, left empty on the form
    assert day.titles == {
        "de": "Abstimmung vom 27. September 2026",
        "en": "Vote of 27 September 2026",
    }
    again = official_actions.post("/officials/new-vote-day", _vote_day_form())
    assert again.status_code == 409 and b"already exists" in again.data
    chosen = _vote_day_form(vote_day_id="2026-11-29-ch", min_electronic_ballots="25")
    assert official_actions.post("/officials/new-vote-day", chosen).status_code == 303
    assert db.session.get_one(VoteDay, "2026-11-29-ch").min_electronic_ballots == 25


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"vote_day_id": "Bad Id!"}, b"lowercase letters"),
        ({"titles-en": "", "titles-de": ""}, b"must map languages"),
        ({"date": "not a date"}, b"Please correct"),
        ({"min_electronic_ballots": "-1"}, b"Please correct"),
        ({"min_electronic_ballots": "ten"}, b"Please correct"),
    ],
)
def test_bad_vote_days_are_refused_on_the_form(
    demo: None, official_actions: OfficialActions, changes: dict[str, str], message: bytes
) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    response = official_actions.post("/officials/new-vote-day", _vote_day_form(**changes))
    assert response.status_code == 400 and message in response.data
    assert db.session.get(VoteDay, "2026-09-27-ch") is None


def test_forms_without_a_csrf_token_are_refused(
    demo: None, official_actions: OfficialActions, client: FlaskClient
) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    refused = client.post("/officials/new-vote-day", data=_vote_day_form())
    assert refused.status_code == 400 and db.session.get(VoteDay, "2026-09-27-ch") is None
    forged = client.post(
        "/officials/new-vote-day", data={**_vote_day_form(), "csrf_token": "forged"}
    )
    assert forged.status_code == 400 and db.session.get(VoteDay, "2026-09-27-ch") is None
    begin = client.post(f"{LIFECYCLE}/begin-ceremony", data={"trustees": "a\nb", "threshold": 1})
    assert begin.status_code == 400 and status() == "draft"


def test_only_officers_create_vote_days(demo: None, official_actions: OfficialActions) -> None:
    official_actions.log_in_as("registrar", "clerk:canton:ZH", "trustee")
    response = official_actions.post("/officials/new-vote-day", _vote_day_form())
    assert response.status_code == 403


# -- questions -----------------------------------------------------------------------


def _question(**changes: str) -> dict[str, str]:
    form = {
        "key": "zh-schools",
        "jurisdiction": "canton:ZH",
        "kind": "referendum",
        "rule": "",
        "titles-de": "Schulgesetz",
        "titles-en": "School law",
        "recommendation": "yes",
        "options_language": "en",
    }
    return {**form, **changes}


def test_a_cantonal_officer_adds_questions_in_its_canton_only(
    demo: None, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as("returning_officer:canton:ZH")
    url = f"{PAGE}/questions/new"
    assert official_actions.client.get(url).status_code == 200
    added = official_actions.post(url, _question())
    assert added.status_code == 303
    day = db.session.get_one(VoteDay, DAY)
    question = next(q for q in day.questions if q.key == "zh-schools")
    assert question.rule == "popular-majority" and question.recommendation == "yes"
    assert question.titles == {"de": "Schulgesetz", "en": "School law"}
    federal = official_actions.post(url, _question(key="ch-x", jurisdiction="nation:CH"))
    assert federal.status_code == 403 and b"returning_officer" in federal.data
    bern = official_actions.post(url, _question(key="be-x", jurisdiction="canton:BE"))
    assert bern.status_code in (403, 404)


def test_consultations_and_bad_questions(demo: None, official_actions: OfficialActions) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    url = f"{PAGE}/questions/new"
    consult = _question(
        key="zh-park",
        kind="consultation",
        recommendation="",
        options="north: North bank\nsouth: South bank\nboth: Both banks",
        max_selections="2",
    )
    assert official_actions.post(url, consult).status_code == 303
    question = next(q for q in db.session.get_one(VoteDay, DAY).questions if q.key == "zh-park")
    assert question.option_ids == ["north", "south", "both"] and question.max_selections == 2
    assert question.options[0]["texts"] == {"en": "North bank"}
    bad_line = official_actions.post(url, {**consult, "key": "zh-p2", "options": "no colon"})
    assert bad_line.status_code == 400 and b"id: text" in bad_line.data
    bad_key = official_actions.post(url, _question(key="Bad Key"))
    assert bad_key.status_code == 400 and b"must be lowercase" in bad_key.data
    unknown = official_actions.post(url, _question(jurisdiction="canton:XX"))
    assert unknown.status_code == 404 and b"no jurisdiction" in unknown.data


def test_counter_proposal_and_removal(demo: None, official_actions: OfficialActions) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    form = {
        "jurisdiction": "nation:CH",
        "initiative_key": "water",
        "counter_key": "water-counter",
        "tiebreak_key": "water-tiebreak",
        "initiative_titles-en": "Clean water initiative",
        "counter_titles-en": "Counter-proposal on clean water",
        "tiebreak_titles-en": "Which text if both are accepted?",
    }
    added = official_actions.post(f"{PAGE}/questions/new-counter-proposal", form)
    assert added.status_code == 303
    keys = [q.key for q in db.session.get_one(VoteDay, DAY).questions]
    assert keys[-3:] == ["water", "water-counter", "water-tiebreak"]
    part = official_actions.post(f"{PAGE}/questions/water-counter/delete")
    assert part.status_code == 400 and b"delete that initiative" in part.data
    removed = official_actions.post(f"{PAGE}/questions/water/delete")
    assert removed.status_code == 303
    db.session.expire_all()
    assert "water-counter" not in [q.key for q in db.session.get_one(VoteDay, DAY).questions]


# -- jurisdictions ---------------------------------------------------------------------


def test_administrator_imports_jurisdictions(app: Flask, official_actions: OfficialActions) -> None:
    official_actions.log_in_as("administrator")
    url = "/officials/jurisdictions"
    assert b"None yet" in official_actions.client.get(url).data
    good = (
        "level,code,parent,name_de,electorate,weight\n"
        "nation,CH,,Schweiz,,\n"
        "canton,ZH,nation:CH,Zürich,,1\n"
        "municipality,261,canton:ZH,Zürich,1000,\n"
    )
    upload = {"upload": (io.BytesIO(good.encode()), "tree.csv")}
    response = official_actions.post(url, upload, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert b"Imported 3 units" in response.data
    broken = {"upload": (io.BytesIO(b"level,code\nplanet,X\n"), "bad.csv")}
    refused = official_actions.post(url, broken, content_type="multipart/form-data")
    assert refused.status_code == 400 and b"Nothing was imported" in refused.data
    binary = {"upload": (io.BytesIO(b"\xff\xfe\x00"), "x.csv")}
    assert official_actions.post(url, binary, content_type="multipart/form-data").status_code == 400
    assert db.session.query(Jurisdiction).count() == 3


def test_only_administrators_import_jurisdictions(
    app: Flask, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as("registrar", "trustee")
    assert official_actions.client.get("/officials/jurisdictions").status_code == 403


# -- the lifecycle ---------------------------------------------------------------------


def test_begin_the_ceremony_then_completing_early_is_refused(
    demo: None, official_actions: OfficialActions
) -> None:
    for name in ("anna", "ben", "cora"):
        official_actions.create(name, "trustee")
    official_actions.log_in_as(NATIONAL_OFFICER)
    bad = official_actions.post(
        f"{LIFECYCLE}/begin-ceremony", {"trustees": "anna\nben", "threshold": "3"}
    )
    assert bad.status_code == 400 and b"threshold must be between 1 and 2" in bad.data
    assert status() == "draft"
    stranger = official_actions.post(
        f"{LIFECYCLE}/begin-ceremony", {"trustees": "anna\nben\nmallory", "threshold": "2"}
    )
    assert stranger.status_code == 400 and b"mallory" in stranger.data
    assert status() == "draft"
    begun = official_actions.post(
        f"{LIFECYCLE}/begin-ceremony", {"trustees": "anna\nben\ncora", "threshold": "2"}
    )
    assert begun.status_code == 303 and status() == "key-ceremony"
    page = official_actions.client.get(PAGE).get_data(as_text=True)
    assert "Key ceremony started with 3 trustees" in page
    assert "cora" in page and "not yet" in page
    early = official_actions.post(f"{LIFECYCLE}/complete-ceremony")
    assert early.status_code == 409 and b"waiting for trustees" in early.data
    assert status() == "key-ceremony"


def test_open_schedule_close_tally_publish(
    app: Flask, ready: OpenVoteDay, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as(NATIONAL_OFFICER)
    client = official_actions.client
    assert b"Open the vote day now" in client.get(PAGE).data
    scheduled = official_actions.post(
        f"{LIFECYCLE}/schedule",
        {"opens_at": "2099-06-14T08:00", "closes_at": "2099-06-14T12:00", "zone": "Europe/Zurich"},
    )
    assert scheduled.status_code == 303
    election = db.session.get_one(Election, DAY)
    db.session.refresh(election)
    assert election.opens_at is not None and election.opens_at.hour in (6, 8)
    backwards = official_actions.post(
        f"{LIFECYCLE}/schedule",
        {"opens_at": "2099-06-14T12:00", "closes_at": "2099-06-14T08:00", "zone": "Europe/Zurich"},
    )
    assert backwards.status_code == 400 and b"close after it opens" in backwards.data
    bad_zone = official_actions.post(f"{LIFECYCLE}/schedule", {"zone": "Mars/Olympus"})
    assert bad_zone.status_code == 400 and b"unknown time zone" in bad_zone.data
    too_early = official_actions.post(f"{LIFECYCLE}/open")  # scheduled for 2099
    assert too_early.status_code == 409 and b"before its scheduled time" in too_early.data
    cleared = official_actions.post(f"{LIFECYCLE}/schedule", {"zone": "Europe/Zurich"})
    assert cleared.status_code == 303

    assert official_actions.post(f"{LIFECYCLE}/open").status_code == 303
    assert status() == "open"
    assert bulletin.log_size(db.session, DAY) > 0
    again = official_actions.post(f"{LIFECYCLE}/open")
    assert again.status_code == 409 and b"it is open" in again.data

    vote(app, ready, WINTERTHUR, 0, {"bike-paths": ["yes"], "winterthur-square": ["eulach"]})
    vote(app, ready, ELSAU, 0, {"bike-paths": ["no"]})
    assert official_actions.post(f"{LIFECYCLE}/close", CONFIRM).status_code == 303
    assert status() == "closed"
    assert b"Start the tally" in client.get(PAGE).data
    assert official_actions.post(f"{LIFECYCLE}/tally", CONFIRM).status_code == 303
    page = client.get(PAGE).get_data(as_text=True)
    assert "Encrypted totals of 2 units (2 ballots)" in page
    decrypt_as(app, ready, "alice", "bob")
    assert status() == "tallied"
    assert official_actions.post(f"{LIFECYCLE}/publish", CONFIRM).status_code == 303
    assert status() == "published"
    assert b"Published results" in client.get(PAGE).data


def test_lifecycle_steps_need_the_right_role_and_state(
    app: Flask, ready: OpenVoteDay, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as("registrar", "trustee", "clerk:nation:CH")
    for action in ("open", "close", "tally", "publish", "complete-ceremony", "schedule"):
        assert official_actions.post(f"{LIFECYCLE}/{action}").status_code == 403, action
    official_actions.log_out()
    official_actions.log_in_as("administrator", username="root")
    early = official_actions.post(f"{LIFECYCLE}/publish", CONFIRM)
    assert early.status_code == 409 and b"once tallied" in early.data
    assert official_actions.post(f"{LIFECYCLE}/close", CONFIRM).status_code == 409
    assert status() == "credentials"


# -- channel counts and the live dashboard ---------------------------------------------


def test_a_clerk_registers_a_key_and_uploads_signed_counts(
    app: Flask, ready: OpenVoteDay, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as(f"clerk:{ELSAU}", username="clara")
    url = f"{PAGE}/channel-counts"
    page = official_actions.client.get(url)
    assert page.status_code == 200 and b"python -m voting.clerk sign" in page.data
    key = SigningKey(bytes(range(32)))
    registered = official_actions.post(
        f"{PAGE}/clerk-key", {"unit": ELSAU, "public_key": bytes(key.verify_key).hex()}
    )
    assert registered.status_code == 303
    official_actions.log_out()
    official_actions.log_in_as(NATIONAL_OFFICER, username="otto")
    official_actions.post(f"{LIFECYCLE}/open")
    official_actions.post(f"{LIFECYCLE}/close", CONFIRM)
    official_actions.log_out()
    official_actions.log_in("clara")

    def upload(record: dict[str, object]) -> tuple[int, str]:
        data = {"upload": (io.BytesIO(json.dumps(record).encode()), "signed.json")}
        response = official_actions.post(url, data, content_type="multipart/form-data")
        if response.status_code == 303:
            response = official_actions.client.get(url)
            return 303, response.get_data(as_text=True)
        return response.status_code, response.get_data(as_text=True)

    forged = sign_counts(counts(DAY), SigningKey(bytes(32)))
    code, text = upload(forged)
    assert code == 400 and "not signed by" in text
    code, text = upload(sign_counts(counts(DAY), key))
    assert code == 303 and "Counts logged as entry" in text and "postal" in text
    not_json = {"upload": (io.BytesIO(b"{nope"), "x.json")}
    response = official_actions.post(url, not_json, content_type="multipart/form-data")
    assert response.status_code == 400 and b"not JSON" in response.data


def test_clerks_of_another_unit_cannot_register_keys_there(
    app: Flask, ready: OpenVoteDay, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as(f"clerk:{WINTERTHUR}")
    refused = official_actions.post(f"{PAGE}/clerk-key", {"unit": ELSAU, "public_key": "ab" * 32})
    assert refused.status_code == 403


def test_live_dashboard_counts_voters_and_ballots_per_hour(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], official_actions: OfficialActions
) -> None:
    prepared = prepare_vote_day(revote_policy="last-counts")
    vote(app, prepared, WINTERTHUR, 0, {"bike-paths": ["yes"]})
    vote(app, prepared, WINTERTHUR, 0, {"bike-paths": ["no"]})  # a re-vote: one voter
    vote(app, prepared, ELSAU, 1, {"bike-paths": ["no"]})
    official_actions.log_in_as(NATIONAL_OFFICER)
    page = official_actions.client.get(f"{PAGE}/live").get_data(as_text=True)
    assert "2 voters of 6 with credentials" in page and "3 ballots cast" in page
    assert 'role="img"' in page and "Ballots per hour" in page
    assert "js/officials/live.js" in page
    rows = _table_rows(page)
    assert rows[WINTERTHUR][1:] == ["4", "1", "25.0\u202f%", "2"]
    assert rows[ELSAU][1:] == ["2", "1", "50.0\u202f%", "1"]
    official_actions.log_out()
    official_actions.log_in_as("returning_officer:canton:BE", username="bern")
    assert official_actions.client.get(f"{PAGE}/live").status_code == 403


def _table_rows(page: str) -> dict[str, list[str]]:
    """Table rows keyed by the unit ref in their header cell, with their cells' texts."""
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", page, re.S):
        unit = re.search(r"<code>([^<]+)</code>", row)
        cells = re.findall(r"<td>([^<]*)</td>", row)
        if unit:
            rows[unit.group(1)] = [c.strip() for c in cells]
    return rows


def test_a_page_the_role_may_not_open_answers_a_friendly_403(
    app: Flask, demo: None, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as("clerk:nation:CH", username="clara")
    page = official_actions.client.get("/officials/jurisdictions?lang=de")
    assert page.status_code == 403
    body = page.get_data(as_text=True)
    assert "Zurück zu den Abstimmungstagen" in body and 'href="/officials/"' in body
    dashboard = official_actions.client.get("/officials/").get_data(as_text=True)
    assert "/officials/jurisdictions" not in dashboard  # no link to a page the role may not open
