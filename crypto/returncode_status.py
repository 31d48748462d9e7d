"""The signed request with which a device asks again for its ballot's return codes.

docs/return-codes.md, "Coming back to an unconfirmed ballot". A citizen who
cast with return codes but did not confirm enters the voting code again; the
device asks the server for the choice codes it already holds for that ballot
(and the tries left), or for the vote cast code of a confirmed one. Only the
holder of the voting code may read them: the device signs
``lp("urna/v1/rc-status") ‖ lp(JCS({"credential", "vote_day"}))`` with the
credential's Ed25519 key (derived from the voting code, as for the ballot's
signature), so that knowing the public credential (which the log publishes)
is not enough.
"""

from __future__ import annotations

from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import VerifyKey

from crypto._transcript import length_prefixed
from crypto.credentials import Credential
from crypto.encoding import canonical_json
from crypto.errors import InvalidSignature

__all__ = ["STATUS_TAG", "sign_status_request", "status_message", "verify_status_request"]

STATUS_TAG = b"urna/v1/rc-status"
"""Domain tag of the status request's signature (never a ballot's)."""


def status_message(vote_day_id: str, credential: bytes) -> bytes:
    """The bytes the credential signs to read its ballot's return codes."""
    body = canonical_json({"credential": credential.hex(), "vote_day": vote_day_id})
    return length_prefixed([STATUS_TAG, body])


def sign_status_request(vote_day_id: str, credential: Credential) -> bytes:
    """The credential's signature of :func:`status_message` (64 bytes)."""
    message = status_message(vote_day_id, credential.public_key)
    return bytes(credential.signing_key.sign(message).signature)


def verify_status_request(vote_day_id: str, credential: bytes, signature: bytes) -> None:
    """Check the credential's signature of the status request.

    Raises:
        InvalidSignature: it does not verify for this credential and vote day.
    """
    try:
        VerifyKey(credential).verify(status_message(vote_day_id, credential), signature)
    except (BadSignatureError, NaclValueError) as exc:
        raise InvalidSignature(
            "the signature of the return-code status request does not verify for this "
            "credential and vote day"
        ) from exc
