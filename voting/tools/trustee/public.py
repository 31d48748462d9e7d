"""The public ceremony as the server serves it (``GET ceremony``), checked by the trustee.

The trustee tool trusts the server for nothing it can check: every commitment's
proofs are verified again here, every complaint, reveal and readiness
statement must carry its author's signature (a forged one means the server
lies, and the tool stops), complaints are decided with
:func:`crypto.trustees.decide_complaints` exactly as the server and the
verifier do, and the election key the server logged must be the one the
qualified commitments give (:func:`check_election_key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.errors import CryptoError
from crypto.group import Point
from crypto.trustees import Ceremony
from crypto.trustees import Complaint
from crypto.trustees import EncryptedShare
from crypto.trustees import Qualification
from crypto.trustees import Readiness
from crypto.trustees import RevealedShare
from crypto.trustees import ThresholdKey
from crypto.trustees import TrusteeCommitment
from crypto.trustees import decide_complaints
from crypto.trustees import derive_threshold_key
from crypto.trustees import verify_all_signed
from crypto.trustees import verify_commitment


class ServerMisbehaves(Exception):
    """What the server serves contradicts the ceremony (report it to the returning officer)."""


@dataclass(frozen=True)
class PublicCeremony:
    """The ceremony so far, every commitment verified."""

    status: str
    ceremony: Ceremony
    commitments: dict[int, TrusteeCommitment]
    shares: dict[int, list[EncryptedShare]]
    complaints: list[Complaint]
    reveals: list[RevealedShare]
    ready: set[int]
    readiness: list[Readiness]
    election_key: dict[str, Any] | None

    @property
    def n(self) -> int:
        return len(self.ceremony.trustees)

    def all_shares(self) -> list[EncryptedShare]:
        return [s for _, dealt in sorted(self.shares.items()) for s in dealt]

    def unanswered_against(self, index: int) -> list[Complaint]:
        """Complaints against trustee ``index`` it has not answered yet."""
        answered = {r.recipient_index for r in self.reveals if r.sender_index == index}
        return [
            c
            for c in self.complaints
            if c.accused_index == index and c.accuser_index not in answered
        ]

    def qualification(self) -> Qualification:
        return decide_complaints(
            self.ceremony, list(self.commitments.values()), self.complaints, self.reveals
        )


def parse_ceremony(body: dict[str, Any]) -> PublicCeremony:
    """Decode ``GET ceremony``, verify every commitment and every signed message.

    Raises:
        ServerMisbehaves: malformed, a commitment whose proofs fail, or a
            complaint, reveal or readiness its named author did not sign.
    """
    try:
        ceremony = Ceremony.from_json(body["ceremony"])
        commitments = [TrusteeCommitment.from_json(c) for c in body["commitments"]]
        for commitment in commitments:
            verify_commitment(ceremony, commitment)
        complaints = [Complaint.from_json(c) for c in body["complaints"]]
        reveals = [RevealedShare.from_json(r) for r in body["reveals"]]
        readiness = [Readiness.from_json(r) for r in body["readiness"]]
        verify_all_signed(ceremony, commitments, [*complaints, *reveals, *readiness])
        shares: dict[int, list[EncryptedShare]] = {}
        for item in body["shares"]:
            share = EncryptedShare.from_json(item)
            shares.setdefault(share.sender_index, []).append(share)
        return PublicCeremony(
            status=str(body["status"]),
            ceremony=ceremony,
            commitments={c.index: c for c in commitments},
            shares=shares,
            complaints=complaints,
            reveals=reveals,
            ready={r.index for r in readiness},
            readiness=readiness,
            election_key=body["election_key"],
        )
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        raise ServerMisbehaves(f"the server's ceremony state does not check out: {exc}") from exc


def check_election_key(public: PublicCeremony) -> ThresholdKey:
    """The threshold key derived here, which must equal the one the server logged.

    Raises:
        ServerMisbehaves: no election key yet, or a different one.
    """
    logged = public.election_key
    if logged is None:
        raise ServerMisbehaves("the ceremony has no election key yet")
    qualification = public.qualification()
    key = derive_threshold_key(public.ceremony, list(qualification.qualified))
    try:
        logged_public = Point.from_hex(logged["public_key"])
        logged_keys = [
            Point.from_hex(logged["verification_keys"][str(j)]) for j in range(1, public.n + 1)
        ]
        logged_out = sorted(logged.get("disqualified", []))
    except (CryptoError, KeyError, TypeError) as exc:
        raise ServerMisbehaves(f"the logged election key is malformed: {exc}") from exc
    if logged_public != key.public_key or logged_keys != list(key.verification_keys):
        raise ServerMisbehaves(
            "the logged election key is not the one the qualified trustees' commitments give"
        )
    if logged_out != sorted(qualification.disqualified):
        raise ServerMisbehaves(
            f"the log disqualifies {logged_out}, the complaints disqualify "
            f"{sorted(qualification.disqualified)}"
        )
    return key
