"""Trustee key ceremony: the messages of steps 4 and 5 (docs/trustees.md).

:class:`EncryptedShare` (a boxed f_i(j)), :class:`Complaint` and
:class:`RevealedShare` (the accused's public answer), with their strict JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto._group import Scalar
from crypto.errors import InvalidEncoding
from crypto.trustees import _json as tj
from crypto.trustees._signing import SIGNATURE_SIZE

NONCE_SIZE = 24
HEADER_SIZE = 64 + 4 + 4
"""H_c ‖ u32(i) ‖ u32(j)"""
PLAINTEXT_SIZE = HEADER_SIZE + 32
"""H_c ‖ u32(i) ‖ u32(j) ‖ f_i(j)"""
CIPHERTEXT_SIZE = NONCE_SIZE + 16 + PLAINTEXT_SIZE
"""nonce ‖ Poly1305 tag ‖ XSalsa20 ciphertext: 144 bytes"""

REASONS = frozenset({"missing", "duplicate", "undecryptable", "wrong-share"})
"""Why trustee j complains about trustee i (docs/trustees.md, step 4)."""

_SHARE_KEYS = frozenset({"sender", "sender_index", "recipient", "recipient_index", "ciphertext"})
_COMPLAINT_KEYS = frozenset(
    {"accuser", "accuser_index", "accused", "accused_index", "reason", "signature"}
)
_REVEALED_KEYS = frozenset(
    {"sender", "sender_index", "recipient", "recipient_index", "share", "signature"}
)
_READY_KEYS = frozenset({"trustee", "index", "signature"})


@dataclass(frozen=True, slots=True)
class EncryptedShare:
    """f_i(j) for trustee j, boxed by trustee i (public: it goes through the server)."""

    sender: str
    sender_index: int
    """i in the spec"""
    recipient: str
    recipient_index: int
    """j in the spec"""
    ciphertext: bytes
    """nonce ‖ Box(sk_i, pk_j) of H_c ‖ u32(i) ‖ u32(j) ‖ f_i(j), 144 bytes"""

    def to_json(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "sender_index": self.sender_index,
            "recipient": self.recipient,
            "recipient_index": self.recipient_index,
            "ciphertext": self.ciphertext.hex(),
        }

    @classmethod
    def from_json(cls, value: Any) -> EncryptedShare:
        """Decode strictly. Raises: InvalidEncoding."""
        obj = tj.fields(value, _SHARE_KEYS, "an encrypted share")
        return cls(
            sender=tj.check_name(obj["sender"]),
            sender_index=tj.check_index(obj["sender_index"], "sender_index"),
            recipient=tj.check_name(obj["recipient"]),
            recipient_index=tj.check_index(obj["recipient_index"], "recipient_index"),
            ciphertext=tj.fixed_bytes(obj["ciphertext"], CIPHERTEXT_SIZE, "ciphertext"),
        )


@dataclass(frozen=True, slots=True)
class Complaint:
    """Trustee j's public claim that trustee i's share is missing or wrong."""

    accuser: str
    accuser_index: int
    """j in the spec"""
    accused: str
    accused_index: int
    """i in the spec"""
    reason: str
    """one of :data:`REASONS`"""
    signature: bytes = b""
    """the accuser's Ed25519 signature of :meth:`body_json` (empty until signed)"""

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise InvalidEncoding(f"a complaint's reason is one of {sorted(REASONS)}")
        if self.accuser_index == self.accused_index:
            raise InvalidEncoding("a trustee cannot complain about itself")

    @property
    def author(self) -> tuple[str, int]:
        return self.accuser, self.accuser_index

    def body_json(self) -> dict[str, Any]:
        """The signed part: everything but the signature."""
        return {
            "accuser": self.accuser,
            "accuser_index": self.accuser_index,
            "accused": self.accused,
            "accused_index": self.accused_index,
            "reason": self.reason,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.body_json(), "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, value: Any) -> Complaint:
        """Decode strictly. Raises: InvalidEncoding."""
        obj = tj.fields(value, _COMPLAINT_KEYS, "a complaint")
        return cls(
            accuser=tj.check_name(obj["accuser"]),
            accuser_index=tj.check_index(obj["accuser_index"], "accuser_index"),
            accused=tj.check_name(obj["accused"]),
            accused_index=tj.check_index(obj["accused_index"], "accused_index"),
            reason=obj["reason"] if isinstance(obj["reason"], str) else "",
            signature=tj.fixed_bytes(obj["signature"], SIGNATURE_SIZE, "signature"),
        )


@dataclass(frozen=True, slots=True)
class RevealedShare:
    """Trustee i's public answer to a complaint: f_i(j) in the clear."""

    sender: str
    sender_index: int
    """i in the spec"""
    recipient: str
    recipient_index: int
    """j in the spec"""
    share: Scalar
    """f_i(j) in the spec"""
    signature: bytes = b""
    """the sender's Ed25519 signature of :meth:`body_json` (empty until signed)"""

    @property
    def author(self) -> tuple[str, int]:
        return self.sender, self.sender_index

    def body_json(self) -> dict[str, Any]:
        """The signed part: everything but the signature."""
        return {
            "sender": self.sender,
            "sender_index": self.sender_index,
            "recipient": self.recipient,
            "recipient_index": self.recipient_index,
            "share": self.share.hex(),
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.body_json(), "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, value: Any) -> RevealedShare:
        """Decode strictly. Raises: InvalidEncoding."""
        obj = tj.fields(value, _REVEALED_KEYS, "a revealed share")
        return cls(
            sender=tj.check_name(obj["sender"]),
            sender_index=tj.check_index(obj["sender_index"], "sender_index"),
            recipient=tj.check_name(obj["recipient"]),
            recipient_index=tj.check_index(obj["recipient_index"], "recipient_index"),
            share=Scalar.from_hex(obj["share"]),
            signature=tj.fixed_bytes(obj["signature"], SIGNATURE_SIZE, "signature"),
        )


@dataclass(frozen=True, slots=True)
class Readiness:
    """Trustee j's signed statement that it has checked the shares it received."""

    trustee: str
    index: int
    """j in the spec"""
    signature: bytes = b""
    """j's Ed25519 signature of :meth:`body_json` (empty until signed)"""

    @property
    def author(self) -> tuple[str, int]:
        return self.trustee, self.index

    def body_json(self) -> dict[str, Any]:
        """The signed part: everything but the signature."""
        return {"trustee": self.trustee, "index": self.index}

    def to_json(self) -> dict[str, Any]:
        return {**self.body_json(), "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, value: Any) -> Readiness:
        """Decode strictly. Raises: InvalidEncoding."""
        obj = tj.fields(value, _READY_KEYS, "a readiness statement")
        return cls(
            trustee=tj.check_name(obj["trustee"]),
            index=tj.check_index(obj["index"]),
            signature=tj.fixed_bytes(obj["signature"], SIGNATURE_SIZE, "signature"),
        )


@dataclass(frozen=True, slots=True)
class ReceivedShares:
    """What trustee j got in step 4: the good shares by sender index, and its complaints."""

    shares: dict[int, Scalar]
    """f_i(j) for each sender i whose share checked out"""
    complaints: tuple[Complaint, ...]

    def __repr__(self) -> str:
        return f"ReceivedShares(from={sorted(self.shares)}, complaints={self.complaints!r})"
