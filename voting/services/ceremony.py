"""The trustees' key ceremony, run through the vote day's log (docs/trustees.md).

Every message of the ceremony is a public log record, so the resulting
election key can be re-derived and checked from the record alone:

    key-ceremony          the trustees and the threshold (leaf 0; its leaf
                          hash is the ceremony id)
    trustee-commitment    C_i0 … C_i,t−1 with proofs, and i's box key
    trustee-shares        f_i(j) boxed for every other trustee j
    trustee-complaint     j says i's share is missing or wrong (signed by j)
    trustee-reveal        i answers a complaint with f_i(j) in the clear (signed by i)
    trustee-ready         j has checked its shares (signed by j)
    election-key          h and X_1 … X_n, derived from the qualified trustees

The server checks every message before logging it (a bad commitment proof or
a signature that is not its author's is refused and named) but never sees a
trustee's secret. The official's session says who may post; only the
author's signature, under the verify key of its commitment, says who said
it (docs/trustees.md, "Signed messages").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from crypto.errors import InvalidEncoding
from crypto.errors import InvalidShare
from crypto.errors import InvalidSignature
from crypto.trustees import Ceremony
from crypto.trustees import Complaint
from crypto.trustees import EncryptedShare
from crypto.trustees import Readiness
from crypto.trustees import RevealedShare
from crypto.trustees import ThresholdKey
from crypto.trustees import TrusteeCommitment
from crypto.trustees import answer_to
from crypto.trustees import decide_complaints
from crypto.trustees import derive_threshold_key
from crypto.trustees import verify_commitment
from crypto.trustees import verify_signed
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.log import bulletin
from voting.log.keys import LogSigning
from voting.models.session_types import DbSession
from voting.services.lifecycle import get_vote_day
from voting.services.lifecycle import publish_election_key


class CeremonyRefused(Conflict):
    """A ceremony message that does not fit the ceremony's state."""

    code = "ceremony_refused"


class InvalidTrusteeMessage(InvalidRequest):
    """A malformed trustee message, or one whose proofs fail (the trustee is named)."""

    code = "invalid_trustee_message"


@dataclass(frozen=True)
class CeremonyState:
    """What the log says about the ceremony so far."""

    ceremony: Ceremony
    commitments: dict[int, TrusteeCommitment]
    shares: dict[int, list[EncryptedShare]]
    complaints: list[Complaint]
    reveals: list[RevealedShare]
    ready: set[int]
    readiness: list[Readiness]
    election_key: dict[str, Any] | None = None
    """the ``election-key`` record once the ceremony is complete"""

    def to_json(self) -> dict[str, Any]:
        return {
            "ceremony": self.ceremony.to_json(),
            "commitments": [c.to_json() for _, c in sorted(self.commitments.items())],
            "shares": [s.to_json() for _, ss in sorted(self.shares.items()) for s in ss],
            "complaints": [c.to_json() for c in self.complaints],
            "reveals": [r.to_json() for r in self.reveals],
            "ready": sorted(self.ready),
            "readiness": [r.to_json() for r in self.readiness],
        }


def ceremony_state(session: DbSession, vote_day_id: str) -> CeremonyState:
    """Rebuild the ceremony from the log's trustee records (read up to the election key)."""
    records = _log_records(session, vote_day_id)
    first_hash, first = next(records, (b"", {}))
    if first.get("type") != "key-ceremony":
        raise CeremonyRefused(f"vote day {vote_day_id!r} has no key ceremony on its log")
    ceremony = Ceremony(
        ceremony_id=first_hash,
        threshold=first["threshold"],
        trustees=tuple(t["name"] for t in first["trustees"]),
    )
    state = CeremonyState(ceremony, {}, {}, [], [], set(), [])
    for _, record in records:
        if record.get("type") == "election-key":  # the ceremony's last record
            return replace(state, election_key=record)
        _apply(state, record)
    return state


def _apply(state: CeremonyState, record: dict[str, Any]) -> None:
    kind = record.get("type")
    if kind == "trustee-commitment":
        commitment = TrusteeCommitment.from_json(record["commitment"])
        state.commitments[commitment.index] = commitment
    elif kind == "trustee-shares":
        shares = [EncryptedShare.from_json(s) for s in record["shares"]]
        state.shares[record["index"]] = shares
    elif kind == "trustee-complaint":
        state.complaints.append(Complaint.from_json(record["complaint"]))
    elif kind == "trustee-reveal":
        state.reveals.append(RevealedShare.from_json(record["revealed"]))
    elif kind == "trustee-ready":
        readiness = Readiness.from_json(record["ready"])
        state.ready.add(readiness.index)
        state.readiness.append(readiness)


def _log_records(session: DbSession, name: str) -> Iterator[tuple[bytes, dict[str, Any]]]:
    size = bulletin.log_size(session, name)
    for start in range(0, size, bulletin.MAX_PAGE):
        for entry in bulletin.get_entries(
            session, name, start, min(size, start + bulletin.MAX_PAGE)
        ):
            yield entry.leaf_hash, entry.record


def _in_ceremony(session: DbSession, vote_day_id: str) -> CeremonyState:
    vote_day = get_vote_day(session, vote_day_id)
    if vote_day.status != "key-ceremony":
        raise CeremonyRefused(
            f"vote day {vote_day_id!r} is {vote_day.status}: the key ceremony is not running"
        )
    return ceremony_state(session, vote_day_id)


def _member(state: CeremonyState, trustee: str) -> int:
    try:
        return state.ceremony.index_of(trustee)
    except ValueError as exc:
        raise InvalidTrusteeMessage(f"{trustee!r} is not a trustee of this vote day") from exc


def _decode(factory: Any, value: Any, what: str) -> Any:
    try:
        return factory(value)
    except (InvalidEncoding, KeyError, TypeError) as exc:
        raise InvalidTrusteeMessage(f"malformed {what}: {exc}") from exc


def _check_signed(state: CeremonyState, message: Complaint | RevealedShare | Readiness) -> None:
    """Refuse a message its named author did not sign (the session is not proof enough)."""
    try:
        verify_signed(state.ceremony, state.commitments.values(), message)
    except InvalidSignature as exc:
        raise InvalidTrusteeMessage(str(exc), trustee=message.author[0]) from exc


def _submit(
    session: DbSession,
    vote_day_id: str,
    trustee: str,
    signing: LogSigning | None,
    build: Callable[[CeremonyState, int], dict[str, Any]],
) -> None:
    """Check a trustee's message against the ceremony and log it, atomically.

    The ceremony is read from the log while its append lock is held, so two
    racing messages cannot both pass a check (two commitments of one trustee,
    say). ``build`` checks the message and returns the record, or raises.
    """
    with bulletin.locked_log(session, vote_day_id, signing=signing) as log:
        state = _in_ceremony(session, vote_day_id)
        log.append(build(state, _member(state, trustee)))


def submit_commitment(
    session: DbSession,
    vote_day_id: str,
    trustee: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
) -> None:
    """Log trustee ``trustee``'s commitment after checking every proof."""
    _submit(
        session,
        vote_day_id,
        trustee,
        signing,
        lambda state, index: _commitment_record(state, trustee, index, data),
    )


def _commitment_record(state: CeremonyState, trustee: str, index: int, data: Any) -> dict[str, Any]:
    commitment: TrusteeCommitment = _decode(TrusteeCommitment.from_json, data, "commitment")
    if (commitment.trustee, commitment.index) != (trustee, index):
        raise InvalidTrusteeMessage(f"the commitment is not {trustee!r}'s (index {index})")
    if index in state.commitments:
        raise CeremonyRefused(f"trustee {trustee!r} has already committed")
    if len(commitment.coefficients) != state.ceremony.threshold:
        raise InvalidTrusteeMessage(
            f"a commitment has {state.ceremony.threshold} coefficients (the threshold)"
        )
    try:
        verify_commitment(state.ceremony, commitment)
    except InvalidShare as exc:
        raise InvalidTrusteeMessage(str(exc), trustee=exc.trustee) from exc
    record = {"type": "trustee-commitment", "commitment": commitment.to_json()}
    return record


def submit_shares(
    session: DbSession,
    vote_day_id: str,
    trustee: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
) -> None:
    """Log trustee ``trustee``'s boxed shares: one for every other trustee."""
    _submit(
        session,
        vote_day_id,
        trustee,
        signing,
        lambda state, index: _shares_record(state, trustee, index, data),
    )


def _shares_record(state: CeremonyState, trustee: str, index: int, data: Any) -> dict[str, Any]:
    if len(state.commitments) != len(state.ceremony.trustees):
        raise CeremonyRefused("shares are dealt once every trustee has committed")
    if index in state.shares:
        raise CeremonyRefused(f"trustee {trustee!r} has already dealt its shares")
    if not isinstance(data, list):
        raise InvalidTrusteeMessage("shares are a list of encrypted shares")
    shares = [_decode(EncryptedShare.from_json, s, "encrypted share") for s in data]
    expected = {j for j in range(1, len(state.ceremony.trustees) + 1) if j != index}
    recipients = [s.recipient_index for s in shares]
    if any(s.sender_index != index or s.sender != trustee for s in shares):
        raise InvalidTrusteeMessage(f"every share must be sent by {trustee!r}")
    if sorted(recipients) != sorted(expected):
        raise InvalidTrusteeMessage("deal exactly one share to every other trustee")
    record = {"type": "trustee-shares", "index": index, "shares": [s.to_json() for s in shares]}
    return record


def submit_complaint(
    session: DbSession,
    vote_day_id: str,
    trustee: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
) -> None:
    """Log trustee ``trustee``'s complaint about another trustee's share."""
    _submit(
        session,
        vote_day_id,
        trustee,
        signing,
        lambda state, index: _complaint_record(state, trustee, index, data),
    )


def _complaint_record(state: CeremonyState, trustee: str, index: int, data: Any) -> dict[str, Any]:
    complaint: Complaint = _decode(Complaint.from_json, data, "complaint")
    if (complaint.accuser, complaint.accuser_index) != (trustee, index):
        raise InvalidTrusteeMessage(f"a complaint by {trustee!r} must name it as the accuser")
    if index in state.ready:
        raise CeremonyRefused(f"trustee {trustee!r} has already declared itself ready")
    accused = state.commitments.get(complaint.accused_index)
    if accused is None or accused.trustee != complaint.accused:
        raise InvalidTrusteeMessage(
            f"{complaint.accused!r} is not trustee #{complaint.accused_index} with a commitment"
        )
    if any(
        (c.accuser_index, c.accused_index) == (index, complaint.accused_index)
        for c in state.complaints
    ):
        raise CeremonyRefused(f"{trustee!r} has already complained about {complaint.accused!r}")
    _check_signed(state, complaint)
    record = {"type": "trustee-complaint", "complaint": complaint.to_json()}
    return record


def submit_reveal(
    session: DbSession,
    vote_day_id: str,
    trustee: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
) -> None:
    """Log the accused trustee's public answer to a complaint."""
    _submit(
        session,
        vote_day_id,
        trustee,
        signing,
        lambda state, index: _reveal_record(state, trustee, index, data),
    )


def _reveal_record(state: CeremonyState, trustee: str, index: int, data: Any) -> dict[str, Any]:
    revealed: RevealedShare = _decode(RevealedShare.from_json, data, "revealed share")
    if (revealed.sender, revealed.sender_index) != (trustee, index):
        raise InvalidTrusteeMessage(f"{trustee!r} can only reveal its own shares")
    if not any(
        c.accused_index == index and c.accuser_index == revealed.recipient_index
        for c in state.complaints
    ):
        raise CeremonyRefused("there is no complaint that this reveal answers")
    if any(
        (r.sender_index, r.recipient_index) == (index, revealed.recipient_index)
        for r in state.reveals
    ):
        raise CeremonyRefused(f"{trustee!r} has already answered this complaint")
    _check_signed(state, revealed)
    record = {"type": "trustee-reveal", "revealed": revealed.to_json()}
    return record


def submit_ready(
    session: DbSession,
    vote_day_id: str,
    trustee: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
) -> None:
    """Log trustee ``trustee``'s signed statement that it has checked its shares."""
    _submit(
        session,
        vote_day_id,
        trustee,
        signing,
        lambda state, index: _ready_record(state, trustee, index, data),
    )


def _ready_record(state: CeremonyState, trustee: str, index: int, data: Any) -> dict[str, Any]:
    readiness: Readiness = _decode(Readiness.from_json, data, "readiness")
    if readiness.author != (trustee, index):
        raise InvalidTrusteeMessage(f"{trustee!r} can only declare itself ready")
    if len(state.shares) != len(state.ceremony.trustees):
        raise CeremonyRefused("a trustee is ready once every trustee has dealt its shares")
    if index in state.ready:
        raise CeremonyRefused(f"trustee {state.ceremony.name_of(index)!r} is already ready")
    _check_signed(state, readiness)
    return {"type": "trustee-ready", "index": index, "ready": readiness.to_json()}


def qualified_key(state: CeremonyState) -> tuple[ThresholdKey, list[str]]:
    """Decide every complaint, then derive the key from the qualified trustees.

    Returns:
        The threshold key and the names of disqualified trustees.
    """
    outcome = decide_complaints(
        state.ceremony, list(state.commitments.values()), state.complaints, state.reveals
    )
    qualified = outcome.qualified
    if len(qualified) < state.ceremony.threshold:
        raise CeremonyRefused(
            f"only {len(qualified)} trustees are qualified; the threshold is "
            f"{state.ceremony.threshold}"
        )
    return derive_threshold_key(state.ceremony, qualified), list(outcome.disqualified)


def unanswered_complaints(state: CeremonyState) -> list[Complaint]:
    """Complaints against a committed trustee that its answer has not reached yet."""
    return [
        c
        for c in state.complaints
        if c.accused_index in state.commitments and answer_to(c, state.reveals) is None
    ]


def complete_key_ceremony(
    session: DbSession,
    vote_day_id: str,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
    unanswered: bool = False,
) -> ThresholdKey:
    """key-ceremony → credentials: derive and log the election key.

    A complaint left unanswered disqualifies its accused, so by default this
    waits for every answer; pass ``unanswered=True`` once the deadline for
    answers has passed.

    Raises:
        CeremonyRefused: a trustee is not ready yet, a complaint is unanswered
            (without ``unanswered``), or too few are qualified.
    """
    state = _in_ceremony(session, vote_day_id)
    missing = [name for i, name in enumerate(state.ceremony.trustees, 1) if i not in state.ready]
    if missing:
        raise CeremonyRefused(f"waiting for trustees {missing} to check their shares")
    waiting = sorted({c.accused for c in unanswered_complaints(state)})
    if waiting and not unanswered:
        raise CeremonyRefused(
            f"complaints against {waiting} are unanswered; wait for their answers, or complete "
            "with unanswered complaints once the deadline has passed (they are disqualified)",
            unanswered=waiting,
        )
    key, disqualified = qualified_key(state)
    publish_election_key(
        session,
        vote_day_id,
        public_key=key.public_key,
        verification_keys=dict(enumerate(key.verification_keys, start=1)),
        disqualified=disqualified,
        signing=signing,
        now=now,
    )
    return key
