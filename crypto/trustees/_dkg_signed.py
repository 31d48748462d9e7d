"""Signing and checking the trustees' ceremony messages (docs/trustees.md, "Signed messages").

A complaint, a reveal or a readiness statement counts only with its author's
signature under the verify key of the author's commitment: the server, every
trustee tool and the verifier check it with :func:`verify_signed`, so a
message "from" trustee j that j did not make is refused everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from crypto.errors import InvalidSignature
from crypto.trustees._dkg import Ceremony
from crypto.trustees._dkg import TrusteeCommitment
from crypto.trustees._dkg import TrusteeSecrets
from crypto.trustees._dkg_messages import Complaint
from crypto.trustees._dkg_messages import Readiness
from crypto.trustees._dkg_messages import RevealedShare
from crypto.trustees._signing import sign_message
from crypto.trustees._signing import verify_message

SignedMessage = Complaint | RevealedShare | Readiness
M = TypeVar("M", Complaint, RevealedShare, Readiness)


def message_kind(message: SignedMessage) -> str:
    """``complaint``, ``reveal`` or ``ready``: selects the domain tag."""
    if isinstance(message, Complaint):
        return "complaint"
    if isinstance(message, RevealedShare):
        return "reveal"
    return "ready"


def sign(ceremony: Ceremony, secrets: TrusteeSecrets, message: M) -> M:
    """``message`` signed by ``secrets``' trustee, who must be its author.

    Raises:
        ValueError: the message is not ``secrets``' trustee's to sign.
    """
    if message.author != (secrets.trustee, secrets.index):
        raise ValueError(f"{secrets.trustee!r} cannot sign a message by {message.author[0]!r}")
    kind = message_kind(message)
    signature = sign_message(kind, ceremony.digest(), message.body_json(), secrets.signing_key)
    return replace(message, signature=signature)


def declare_ready(ceremony: Ceremony, secrets: TrusteeSecrets) -> Readiness:
    """Trustee j's signed statement that it has checked its shares (step 4)."""
    return sign(ceremony, secrets, Readiness(trustee=secrets.trustee, index=secrets.index))


def verify_signed(
    ceremony: Ceremony, commitments: Iterable[TrusteeCommitment], message: SignedMessage
) -> None:
    """Check that ``message`` carries its author's signature.

    The author's verify key is the one in the author's commitment.

    Raises:
        InvalidSignature: the author has no commitment (no key), or the
            signature is missing or does not verify: the author did not make it.
    """
    name, index = message.author
    author = next((c for c in commitments if c.index == index), None)
    if author is None or author.trustee != name:
        raise InvalidSignature(
            f"the {message_kind(message)} in the name of {name!r} cannot be checked: "
            f"{name!r} is not trustee #{index} with a commitment"
        )
    verify_message(
        message_kind(message),
        ceremony.digest(),
        message.body_json(),
        message.signature,
        author.verify_key,
        author=name,
    )


def verify_all_signed(
    ceremony: Ceremony,
    commitments: Iterable[TrusteeCommitment],
    messages: Iterable[SignedMessage],
) -> None:
    """:func:`verify_signed` for each message. Raises: InvalidSignature (the first)."""
    committed = list(commitments)
    for message in messages:
        verify_signed(ceremony, committed, message)
