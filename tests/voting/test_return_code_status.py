"""Coming back to a ballot cast with return codes (docs/return-codes.md, "Coming back").

A citizen who cast but did not confirm enters the voting code again: the
server shows the choice codes it holds for that ballot (from the logged
answers: the authorities are not asked, and here they are stopped first) and
the tries left; after 5 wrong keys, that the ballot will not be counted; once
confirmed, the vote cast code. Only the holder of the voting code may read
them: the request is signed by the credential
(tests/adversary/test_return_code_status_read.py). Observers see how many
ballots were cast but not confirmed, per unit.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crypto import returncode_table
from tests.returncode_authorities import WINTERTHUR
from tests.returncode_authorities import CodedVoteDay
from tests.returncode_authorities import signed_status
from tests.voting.tally_helpers import close_and_start
from tests.voting.tally_helpers import decrypt_as
from voting.app.extensions import db
from voting.errors import NotFound
from voting.services.results import results
from voting.services.return_code_status import codes_status
from voting.tools.client import ClientError
from voting.tools.client import VotingClient
from voting.tools.client import return_codes as device

PICKED = {"bike-paths": ["yes"], "winterthur-square": ["eulach"]}


def _wrong_keys(right: str) -> list[str]:
    """Well-formed ballot casting keys (right check digit) that are not the card's."""
    bodies = [f"{(int(right[:8]) + k) % 10**8:08d}" for k in range(1, 6)]
    return [b + returncode_table.damm_check_digit(b) for b in bodies]


def test_coming_back_shows_the_same_codes_and_the_tries_left_without_asking_the_authorities(
    coded: CodedVoteDay, live_server: str
) -> None:
    client = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 0)
    card = coded.cards[code]
    with pytest.raises(NotFound, match="cast no ballot"):
        codes_status(db.session, coded.vote_day, signed_status(coded, code))
    cast = device.cast_with_codes(client, coded.vote_day, code, PICKED)
    with pytest.raises(ClientError, match="does not match"):
        device.confirm(client, coded.vote_day, code, _wrong_keys(card.bck)[0])
    coded.running.close()  # type: ignore[attr-defined]  # no authority answers any more

    status = codes_status(db.session, coded.vote_day, signed_status(coded, code))
    assert status.state == "unconfirmed"
    assert status.ballot_index == cast.receipt.index
    assert status.tries_left == 4
    assert status.codes == cast.codes  # the codes shown at the cast, from the logged answers
    for question, shown in cast.codes.items():
        assert shown == card.choice_codes[question][cast.choices[question]]
    assert status.vote_cast_code is None


def test_a_ballot_whose_codes_never_came_is_pending(
    app: Flask, coded: CodedVoteDay, live_server: str
) -> None:
    """The authorities did not answer the cast (503, the ballot stored): coming back says the
    codes are pending (the page offers to ask again), with every try left and no codes."""
    app.config["URNA_RETURN_CODE_TIMEOUT"] = 3.0  # the dead authority sleeps past it
    coded.authorities[0].mode = "dead"
    code = coded.opened.code(WINTERTHUR, 2)
    with pytest.raises(ClientError) as unavailable:
        device.cast_with_codes(VotingClient(live_server), coded.vote_day, code, PICKED)
    assert unavailable.value.status == 503
    status = codes_status(db.session, coded.vote_day, signed_status(coded, code))
    assert (status.state, status.tries_left, status.codes) == ("pending", 5, None)
    assert status.ballot_index == unavailable.value.body["receipt"]["index"]


def test_a_confirmed_ballot_shows_its_vote_cast_code_again(
    coded: CodedVoteDay, live_server: str, client: FlaskClient
) -> None:
    voter = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 0)
    device.cast_with_codes(voter, coded.vote_day, code, PICKED)
    card = coded.cards[code]
    assert device.confirm(voter, coded.vote_day, code, card.bck) == card.vcc
    answer = client.post(
        f"/api/vote-days/{coded.vote_day}/return-codes/status", json=signed_status(coded, code)
    )
    assert answer.status_code == 200
    assert answer.get_json() == {
        "state": "confirmed",
        "ballot_index": answer.get_json()["ballot_index"],
        "tries_left": 4,  # the right key spent a try too
        "vote_cast_code": card.vcc,
    }


def test_after_five_wrong_keys_the_ballot_is_not_counted_and_no_codes_are_shown(
    coded: CodedVoteDay, live_server: str
) -> None:
    client = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 1)
    device.cast_with_codes(client, coded.vote_day, code, PICKED)
    for wrong in _wrong_keys(coded.cards[code].bck):
        with pytest.raises(ClientError):
            device.confirm(client, coded.vote_day, code, wrong)
    status = codes_status(db.session, coded.vote_day, signed_status(coded, code))
    assert (status.state, status.tries_left, status.codes) == ("exhausted", 0, None)


def test_observers_see_the_ballots_cast_but_not_confirmed_per_unit(
    app: Flask, coded: CodedVoteDay, live_server: str, client: FlaskClient
) -> None:
    """The results (JSON and page, in every language) say how many ballots were cast but
    never confirmed — listed, not counted — in each unit and every unit above it."""
    voter = VotingClient(live_server)
    codes = [coded.opened.code(WINTERTHUR, n) for n in range(3)]
    for code in codes:
        device.cast_with_codes(voter, coded.vote_day, code, PICKED)
    assert device.confirm(voter, coded.vote_day, codes[0], coded.cards[codes[0]].bck)
    close_and_start(app, coded.opened)
    decrypt_as(app, coded.opened, "alice", "bob")
    served = results(db.session, coded.vote_day)
    assert served["return_codes"]["cast"] == 3
    assert served["return_codes"]["unconfirmed"] == 2
    by_unit = served["return_codes"]["unconfirmed_by_unit"]
    assert by_unit[WINTERTHUR] == 2
    assert by_unit["nation:CH"] == 2 and by_unit["canton:ZH"] == 2
    assert set(by_unit) == {u for u in by_unit if by_unit[u] == 2}  # only Winterthur's chain
    column = {
        "en": "Cast, not confirmed (not counted)",
        "de": "Abgegeben, nicht bestätigt (nicht gezählt)",
        "fr": "Déposés, non confirmés (non comptés)",
        "it": "Espresse, non confermate (non contate)",
        "ko": "제출, 미확정(집계 안 됨)",
    }
    for lang, heading in column.items():
        page = client.get(f"/observe/{coded.vote_day}/results?lang={lang}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert heading in html
        row = html[html.index(">Winterthur<") :]
        assert "<td>2</td>" in row[: row.index("</tr>")]
