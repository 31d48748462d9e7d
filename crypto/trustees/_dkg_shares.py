"""Trustee key ceremony: encrypted shares, complaints and their resolution.

docs/trustees.md, steps 4 and 5. Trustee i sends f_i(j) to trustee j in a NaCl
``Box`` (X25519 + XSalsa20-Poly1305). Trustee j checks f_i(j)·G against i's
commitments and otherwise publishes a :class:`Complaint`. A Box is deniable —
either end could have made the ciphertext — so a complaint carries no
evidence: the accused answers by revealing f_i(j) publicly
(:class:`RevealedShare`) and anyone checks it against the commitments. An
accused who does not answer, or answers with a wrong value, is disqualified.
Revealing f_i(j) tells nothing new to the accuser, who is owed it anyway, and
the other trustees learn one point of a polynomial of degree t − 1.
"""

from __future__ import annotations

from collections.abc import Sequence

from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.public import Box
from nacl.public import PublicKey

from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidShare
from crypto.trustees import _json as tj
from crypto.trustees._dkg import Ceremony
from crypto.trustees._dkg import TrusteeCommitment
from crypto.trustees._dkg import TrusteeSecrets
from crypto.trustees._dkg import check_member
from crypto.trustees._dkg import check_share_value
from crypto.trustees._dkg import verify_commitment
from crypto.trustees._dkg import verify_commitments
from crypto.trustees._dkg_messages import HEADER_SIZE
from crypto.trustees._dkg_messages import NONCE_SIZE
from crypto.trustees._dkg_messages import PLAINTEXT_SIZE
from crypto.trustees._dkg_messages import Complaint
from crypto.trustees._dkg_messages import EncryptedShare
from crypto.trustees._dkg_messages import ReceivedShares
from crypto.trustees._dkg_messages import RevealedShare
from crypto.trustees._dkg_signed import sign


def deal_shares(
    ceremony: Ceremony,
    secrets: TrusteeSecrets,
    commitments: Sequence[TrusteeCommitment],
    *,
    rng: RandomBytes = secure_random,
) -> tuple[EncryptedShare, ...]:
    """Step 4 (sender): box f_i(j) for every other trustee j with a valid commitment.

    Raises:
        InvalidShare: a recipient's commitment is invalid (do not send to it).
    """
    verify_commitments(ceremony, commitments)  # (1) the box keys are bound by the proofs
    header = ceremony.digest() + tj.u32(secrets.index)
    out: list[EncryptedShare] = []
    for recipient in commitments:
        if recipient.index == secrets.index:
            continue
        # (2) plaintext H_c ‖ u32(i) ‖ u32(j) ‖ f_i(j); (3) Box with a random nonce
        plaintext = header + tj.u32(recipient.index) + secrets.evaluate(recipient.index).to_bytes()
        box = Box(secrets.box_key, PublicKey(recipient.box_public))
        sealed = bytes(box.encrypt(plaintext, rng(NONCE_SIZE)))
        out.append(
            EncryptedShare(
                sender=secrets.trustee,
                sender_index=secrets.index,
                recipient=recipient.trustee,
                recipient_index=recipient.index,
                ciphertext=sealed,
            )
        )
    return tuple(out)


def open_share(
    ceremony: Ceremony,
    recipient: TrusteeSecrets,
    sender: TrusteeCommitment,
    share: EncryptedShare,
) -> Scalar:
    """Step 4 (recipient): decrypt f_i(j) and check it against i's commitments.

    Raises:
        InvalidShare: ``trustee`` is the sender; the share does not decrypt,
            is malformed, or does not match the sender's commitments.
        ValueError: the share is not from ``sender`` to ``recipient``.
    """
    _check_addressing(share, sender, recipient)
    value = _decrypt(ceremony, recipient, sender, share)
    check_share_value(sender, recipient.index, value)
    return value


def open_shares(
    ceremony: Ceremony,
    recipient: TrusteeSecrets,
    commitments: Sequence[TrusteeCommitment],
    shares: Sequence[EncryptedShare],
) -> ReceivedShares:
    """Step 4 (recipient): open every share addressed to ``recipient``.

    ``shares`` may hold everybody's shares (the public record); only those
    addressed to ``recipient`` from a trustee in ``commitments`` are used. A
    complaint is produced for each trustee whose share is missing, duplicated,
    undecryptable or wrong, signed by ``recipient``.
    """
    verify_commitments(ceremony, commitments)
    mine = [s for s in shares if s.recipient_index == recipient.index]
    good: dict[int, Scalar] = {}
    complaints: list[Complaint] = []
    for sender in commitments:
        if sender.index == recipient.index:
            continue
        sent = [s for s in mine if s.sender_index == sender.index]
        reason = _share_problem(ceremony, recipient, sender, sent, good)
        if reason is not None:
            complaints.append(sign(ceremony, recipient, _complaint(recipient, sender, reason)))
    return ReceivedShares(shares=good, complaints=tuple(complaints))


def reveal_share(
    ceremony: Ceremony, secrets: TrusteeSecrets, complaint: Complaint
) -> RevealedShare:
    """Step 5 (accused): answer a complaint by publishing f_i(j), signed.

    This only builds the answer: whether to publish it (the complaint's
    signature, the number of points already public) is the caller's rule
    (docs/trustees.md, "How many points a trustee reveals").

    Raises:
        ValueError: the complaint is not about ``secrets``' trustee or names
            someone outside the ceremony.
    """
    _check_complaint_parties(ceremony, complaint)
    if complaint.accused_index != secrets.index:
        raise ValueError(f"this complaint accuses {complaint.accused!r}, not {secrets.trustee!r}")
    revealed = RevealedShare(
        sender=secrets.trustee,
        sender_index=secrets.index,
        recipient=complaint.accuser,
        recipient_index=complaint.accuser_index,
        share=secrets.evaluate(complaint.accuser_index),
    )
    return sign(ceremony, secrets, revealed)


def verify_revealed_share(
    ceremony: Ceremony, commitment: TrusteeCommitment, revealed: RevealedShare
) -> None:
    """Step 5 (anyone): check a revealed f_i(j) against i's commitments.

    Raises:
        InvalidShare: ``trustee`` is the sender: wrong parties or a wrong value.
    """
    who = revealed.sender
    if (revealed.sender, revealed.sender_index) != (commitment.trustee, commitment.index):
        raise InvalidShare(
            f"a share revealed by {who!r} checked against another's commitment", trustee=who
        )
    try:
        check_member(ceremony, revealed.recipient, revealed.recipient_index)
    except ValueError as exc:
        raise InvalidShare(
            f"{who!r} revealed a share for an unknown recipient", trustee=who
        ) from exc
    verify_commitment(ceremony, commitment)
    check_share_value(commitment, revealed.recipient_index, revealed.share)


def resolve_complaint(
    ceremony: Ceremony,
    complaint: Complaint,
    commitments: Sequence[TrusteeCommitment],
    answer: RevealedShare | None,
) -> Scalar:
    """Step 5 (anyone): decide a complaint.

    Returns the now public f_i(j), which the accuser uses as its share from
    the accused: the accused is cleared and stays qualified.

    Raises:
        InvalidShare: ``trustee`` is the accused, who did not answer
            (``answer`` is None), answered another complaint, or revealed a
            value that does not match its commitments: it is disqualified.
        ValueError: the complaint names someone outside the ceremony, or the
            accused is not among ``commitments`` (already disqualified).
    """
    _check_complaint_parties(ceremony, complaint)  # (1) a well-formed complaint
    accused = next((c for c in commitments if c.index == complaint.accused_index), None)
    if accused is None:
        raise ValueError(f"{complaint.accused!r} has no commitment among the qualified trustees")
    if answer is None:  # (2) silence is guilt
        raise InvalidShare(
            f"trustee {complaint.accused!r} did not answer the complaint of {complaint.accuser!r}",
            trustee=complaint.accused,
        )
    if (answer.sender_index, answer.recipient_index) != (
        complaint.accused_index,
        complaint.accuser_index,
    ):  # (3) the answer is to this complaint
        raise InvalidShare(
            f"trustee {complaint.accused!r} answered a different complaint",
            trustee=complaint.accused,
        )
    verify_revealed_share(ceremony, accused, answer)  # (4) the value matches
    return answer.share


def _share_problem(
    ceremony: Ceremony,
    recipient: TrusteeSecrets,
    sender: TrusteeCommitment,
    sent: list[EncryptedShare],
    good: dict[int, Scalar],
) -> str | None:
    if not sent:
        return "missing"
    if len(sent) > 1:
        return "duplicate"
    try:
        _check_addressing(sent[0], sender, recipient)
        value = _decrypt(ceremony, recipient, sender, sent[0])
    except (InvalidShare, ValueError):
        return "undecryptable"
    try:
        check_share_value(sender, recipient.index, value)
    except InvalidShare:
        return "wrong-share"
    good[sender.index] = value
    return None


def _decrypt(
    ceremony: Ceremony, recipient: TrusteeSecrets, sender: TrusteeCommitment, share: EncryptedShare
) -> Scalar:
    who = sender.trustee
    box = Box(recipient.box_key, PublicKey(sender.box_public))
    try:
        plaintext = box.decrypt(share.ciphertext)
    except NaclCryptoError as exc:
        raise InvalidShare(f"the share from trustee {who!r} does not decrypt", trustee=who) from exc
    expected = ceremony.digest() + tj.u32(sender.index) + tj.u32(recipient.index)
    if len(plaintext) != PLAINTEXT_SIZE or plaintext[:HEADER_SIZE] != expected:
        raise InvalidShare(
            f"the share from trustee {who!r} is not for this ceremony and recipient", trustee=who
        )
    try:
        return Scalar.from_bytes(plaintext[HEADER_SIZE:])
    except InvalidEncoding as exc:
        raise InvalidShare(f"the share from trustee {who!r} is not canonical", trustee=who) from exc


def _check_addressing(
    share: EncryptedShare, sender: TrusteeCommitment, recipient: TrusteeSecrets
) -> None:
    if (share.sender, share.sender_index) != (sender.trustee, sender.index):
        raise ValueError(f"this share is from {share.sender!r}, not {sender.trustee!r}")
    if (share.recipient, share.recipient_index) != (recipient.trustee, recipient.index):
        raise ValueError(f"this share is for {share.recipient!r}, not {recipient.trustee!r}")


def _check_complaint_parties(ceremony: Ceremony, complaint: Complaint) -> None:
    check_member(ceremony, complaint.accuser, complaint.accuser_index)
    check_member(ceremony, complaint.accused, complaint.accused_index)


def _complaint(recipient: TrusteeSecrets, sender: TrusteeCommitment, reason: str) -> Complaint:
    return Complaint(
        accuser=recipient.trustee,
        accuser_index=recipient.index,
        accused=sender.trustee,
        accused_index=sender.index,
        reason=reason,
    )
