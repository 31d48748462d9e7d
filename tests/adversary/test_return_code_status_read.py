"""Attack: reading a voter's return codes with the public credential (docs/threat-model.md,
"Return codes in the citizen's browser and the demo").

A stranger knows every credential (the log publishes them) and asks the
server for what it holds for a voter's ballot with return codes (its choice
codes, which with the card would tell the vote; its tries; its vote cast
code). The status request must be signed by the credential, which only the
holder of the voting code can do: anything else is refused (400) and reads
nothing.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.returncode_authorities import WINTERTHUR
from tests.returncode_authorities import CodedVoteDay
from tests.returncode_authorities import signed_status
from voting.app.extensions import db
from voting.services.return_code_status import codes_status
from voting.services.return_codes import ReturnCodesRefused
from voting.tools.client import VotingClient
from voting.tools.client import return_codes as device

PICKED = {"bike-paths": ["yes"], "winterthur-square": ["eulach"]}


def test_a_stranger_with_the_public_credential_cannot_read_a_voters_codes(
    coded: CodedVoteDay, live_server: str, client: FlaskClient
) -> None:
    """The public credential (on the log) is not enough: a request signed by another
    credential, for another vote day, unsigned or malformed is refused and reads nothing."""
    voter = VotingClient(live_server)
    code, other = coded.opened.code(WINTERTHUR, 0), coded.opened.code(WINTERTHUR, 2)
    device.cast_with_codes(voter, coded.vote_day, code, PICKED)
    mine = signed_status(coded, code)
    stolen = {**mine, "signature": signed_status(coded, other)["signature"]}
    for bad in (
        stolen,
        signed_status(coded, code, vote_day="another-day"),
        {"credential": mine["credential"]},
        {**mine, "signature": "zz" * 64},
        {**mine, "credential": mine["credential"][:-2]},
        [mine],
    ):
        with pytest.raises(ReturnCodesRefused):
            codes_status(db.session, coded.vote_day, bad)
        answer = client.post(f"/api/vote-days/{coded.vote_day}/return-codes/status", json=bad)
        assert answer.status_code == 400
        assert answer.get_json()["error"] == "return_codes_refused"
        assert "codes" not in answer.get_json()
    assert codes_status(db.session, coded.vote_day, mine).codes  # the holder reads them
