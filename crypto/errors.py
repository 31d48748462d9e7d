"""The exceptions raised by :mod:`crypto`.

Every verifier in this package returns ``None`` when the object is valid and
raises a subclass of :class:`VerificationError` when it is not. Messages say
what was expected and what was found, and never contain secret values.
"""

__all__ = [
    "CodeNotFound",
    "CryptoError",
    "DecryptionError",
    "InvalidAuthorityAnswer",
    "InvalidConsistencyProof",
    "InvalidCosignature",
    "InvalidEncoding",
    "InvalidInclusionProof",
    "InvalidProof",
    "InvalidProofOfPossession",
    "InvalidReceipt",
    "InvalidShare",
    "InvalidSignature",
    "MalformedBallot",
    "NotEnoughCosignatures",
    "NotEnoughShares",
    "ProofRefused",
    "UnsupportedQuestion",
    "VerificationError",
]


class CryptoError(Exception):
    """Base class of every error raised by :mod:`crypto`."""


class InvalidEncoding(CryptoError, ValueError):
    """Bytes that do not encode a valid point, scalar or object."""


class MalformedBallot(InvalidEncoding):
    """A ballot whose structure does not match its vote day's questions."""


class ProofRefused(CryptoError, ValueError):
    """A prover was asked to prove a false statement (e.g. a value out of range)."""


class DecryptionError(CryptoError):
    """A total could not be recovered (outside the discrete-log bound)."""


class VerificationError(CryptoError):
    """A check of a proof, signature or log structure failed."""


class InvalidProof(VerificationError):
    """A zero-knowledge proof does not verify."""


class InvalidSignature(VerificationError):
    """A signature does not verify."""


class InvalidShare(VerificationError):
    """A trustee's key share or decryption share is wrong.

    ``trustee`` names the trustee at fault so that a complaint can be lodged.
    """

    def __init__(self, message: str, *, trustee: str) -> None:
        super().__init__(message)
        self.trustee = trustee


class InvalidInclusionProof(VerificationError):
    """A Merkle inclusion proof does not verify."""


class InvalidConsistencyProof(VerificationError):
    """A Merkle consistency proof does not verify."""


class InvalidProofOfPossession(VerificationError):
    """A witness's BLS proof of possession does not verify for its public key."""


class InvalidCosignature(VerificationError):
    """A witness cosignature (single, aggregate or ``cosignature/v1``) is malformed or wrong."""


class NotEnoughCosignatures(InvalidCosignature):
    """Fewer witnesses than required cosigned a checkpoint."""


class NotEnoughShares(DecryptionError):
    """Fewer valid decryption shares than the threshold t were given."""


class InvalidReceipt(VerificationError):
    """A ballot receipt is malformed or does not match the log's checkpoints."""


class UnsupportedQuestion(CryptoError, ValueError):
    """Return codes were asked for a question that is not single-choice."""


class InvalidAuthorityAnswer(InvalidProof):
    """A return-code authority's answer is malformed, unsigned or wrongly exponentiated.

    ``authority`` names the authority at fault.
    """

    def __init__(self, message: str, *, authority: str) -> None:
        super().__init__(message)
        self.authority = authority


class CodeNotFound(VerificationError):
    """A long return code has no entry in the lookup table (or the entry does not open)."""
