"""Who may put a witness on a log's roster: an administrator (docs/witnesses.md).

Anyone may ask (``POST /api/logs/<log>/witnesses`` stores a signed, pending
request: :func:`voting.log.witnesses.request_witness`); only an official with
the ``administrator`` role approves, through ``flask witness approve`` or the
authenticated ``POST .../witnesses/requests/<id>/approve``. The approval is a
``witness`` record on the log naming the approving official, so the roster is
on the record and no stranger's (or operator's) witness joins it unseen.
"""

from __future__ import annotations

from voting.log import cosigners
from voting.log import witnesses
from voting.log.keys import LogSigning
from voting.models.officials import Official
from voting.models.session_types import DbSession
from voting.models.witness import LogCosigner
from voting.models.witness import LogWitness
from voting.models.witness import WitnessRequest
from voting.services import officials

APPROVER_ROLE = "administrator"


def approve(
    session: DbSession,
    log_name: str,
    request_id: object,
    official: Official | None,
    *,
    signing: LogSigning | None = None,
) -> LogWitness:
    """Approve a pending registration request: the witness joins the roster.

    Raises:
        LoginRequired, RoleRequired: ``official`` is not an active administrator.
        NotFound, Unverifiable, InvalidRequest, Conflict: see
            :func:`voting.log.witnesses.add_witness`.
    """
    officials.require(official, APPROVER_ROLE)
    assert official is not None  # require() raised otherwise
    return witnesses.add_witness(
        session, log_name, request_id, approved_by=official.username, signing=signing
    )


def reject(
    session: DbSession, log_name: str, request_id: object, official: Official | None
) -> WitnessRequest:
    """Refuse a pending request (deleted; nothing is logged).

    Raises:
        LoginRequired, RoleRequired: ``official`` is not an active administrator.
        NotFound: no such log or request.
    """
    officials.require(official, APPROVER_ROLE)
    return witnesses.drop_request(session, log_name, request_id)


def add_cosigner(
    session: DbSession,
    log_name: str,
    vkey: object,
    url: object,
    official: Official | None,
    *,
    signing: LogSigning | None = None,
) -> LogCosigner:
    """List a C2SP ``cosignature/v1`` witness: the log pushes its checkpoints to it.

    Raises:
        LoginRequired, RoleRequired: ``official`` is not an active administrator.
        NotFound, InvalidRequest, Conflict: see :func:`voting.log.cosigners.add_cosigner`.
    """
    officials.require(official, APPROVER_ROLE)
    assert official is not None
    return cosigners.add_cosigner(
        session, log_name, vkey, url, approved_by=official.username, signing=signing
    )
