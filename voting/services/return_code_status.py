"""Coming back to a ballot cast with return codes: its codes again, its tries, its VCC.

docs/return-codes.md, "Coming back to an unconfirmed ballot". A citizen who
cast but did not confirm (closed the tab, lost the connection, typed a wrong
key) and enters the voting code again is shown what the server already holds
for that ballot — nothing is asked of the authorities (they answer choice
codes once per credential, and the server logged their answers):

- ``unconfirmed``: the choice codes, opened from the logged ``return-codes``
  record, and the confirmation tries left;
- ``exhausted``: the :data:`~voting.services.return_codes.MAX_CONFIRMATIONS`
  tries are spent: the ballot will not be counted;
- ``confirmed``: the vote cast code, from the logged confirmation;
- ``pending``: the ballot is stored but the authorities' answers never came
  (asking again is ``POST .../return-codes``).

The request is signed by the credential (:mod:`crypto.returncode_status`):
the public credential alone does not show a ballot's codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidSignature
from crypto.returncode_status import verify_status_request
from voting.errors import NotFound
from voting.log.reads import get_entry
from voting.models.returncodes import ReturnCodeBallot
from voting.models.session_types import DbSession
from voting.services.return_codes import MAX_CONFIRMATIONS
from voting.services.return_codes import ReturnCodesRefused
from voting.services.return_codes import open_codes
from voting.services.return_codes import open_vcc
from voting.services.return_codes import require_return_codes

STATES = ("pending", "unconfirmed", "exhausted", "confirmed")


@dataclass(frozen=True)
class CodesStatus:
    """What the server holds for a credential's ballot with return codes."""

    state: str
    """one of :data:`STATES`"""
    ballot_index: int
    tries_left: int
    codes: dict[str, str] | None = None
    """the short choice codes by question id (``unconfirmed`` only)"""
    vote_cast_code: str | None = None
    """``confirmed`` only"""

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "state": self.state,
            "ballot_index": self.ballot_index,
            "tries_left": self.tries_left,
        }
        if self.codes is not None:
            body["codes"] = self.codes
        if self.vote_cast_code is not None:
            body["vote_cast_code"] = self.vote_cast_code
        return body


def parse_status_request(vote_day_id: str, data: Any) -> str:
    """``{"credential", "signature"}`` checked; the credential as hex.

    Raises:
        ReturnCodesRefused: malformed, or the signature does not verify (400).
    """
    if not isinstance(data, dict) or set(data) != {"credential", "signature"}:
        raise ReturnCodesRefused(
            'expected {"credential": <64 hex>, "signature": <128 hex: the credential\'s '
            "signature of the status request>}"
        )
    try:
        credential = unhex(data["credential"], 32, what="credential")
        signature = unhex(data["signature"], 64, what="signature")
        verify_status_request(vote_day_id, credential, signature)
    except (InvalidEncoding, InvalidSignature) as exc:
        raise ReturnCodesRefused(f"the status request is refused: {exc}") from exc
    return credential.hex()


def codes_status(session: DbSession, vote_day_id: str, data: Any) -> CodesStatus:
    """The state of the credential's ballot with codes, from what the server holds.

    Raises:
        VoteDayNotFound, NoReturnCodes: no such vote day, or it has no return codes.
        ReturnCodesRefused: see :func:`parse_status_request` (nothing is read).
        NotFound: the credential cast no ballot with return codes.
    """
    require_return_codes(session, vote_day_id)
    credential = parse_status_request(vote_day_id, data)
    row = session.get(ReturnCodeBallot, (vote_day_id, credential))
    if row is None:
        raise NotFound("this credential has cast no ballot with return codes on this vote day")
    tries_left = max(0, MAX_CONFIRMATIONS - row.confirmation_tries)
    if row.confirmed_index is not None:
        confirmation = get_entry(session, vote_day_id, row.confirmed_index).record
        return CodesStatus(
            "confirmed", row.ballot_index, tries_left, vote_cast_code=open_vcc(confirmation)
        )
    if tries_left == 0:  # the ballot will not be counted: no codes to compare any more
        return CodesStatus("exhausted", row.ballot_index, 0)
    if row.codes_index is None:
        return CodesStatus("pending", row.ballot_index, tries_left)
    record = get_entry(session, vote_day_id, row.codes_index).record
    codes = open_codes(session, vote_day_id, row.ballot_index, record).codes
    return CodesStatus("unconfirmed", row.ballot_index, tries_left, codes=codes)
