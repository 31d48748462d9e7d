"""Short return codes and the lookup table that maps long codes to them.

DESIGN.md section 8, docs/return-codes.md "Codes" and "Lookup table". The
registrar draws, per voter, a 4-digit choice code for every choice of every
single-choice question (distinct within a question), a 9-digit ballot casting
key (BCK: 8 random digits and a Damm check digit, so a single mistyped digit
or a swap of two neighbours is caught on the device and never spends an
attempt) and an 8-digit vote cast code (VCC). The server receives, for each
long code LRC, an entry

    key   = SHA-512(lp("urna/v1/rc-lookup") ‖ lp(LRC))[:32]
    value = SecretBox(SHA-512(lp("urna/v1/rc-key") ‖ lp(LRC))[:32]).encrypt(code)

so it learns a short code only when the authorities' answers combine to that
LRC. Randomness is injected (``rng``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.secret import SecretBox

from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import secure_random
from crypto._transcript import hash_parts
from crypto.encoding import unhex
from crypto.errors import CodeNotFound
from crypto.errors import InvalidEncoding

__all__ = [
    "BCK_DIGITS",
    "CHOICE_CODE_DIGITS",
    "VCC_DIGITS",
    "LookupEntry",
    "damm_check_digit",
    "generate_bck",
    "generate_choice_codes",
    "generate_vcc",
    "lookup_key",
    "make_entry",
    "normalise_bck",
    "open_entry",
]

LOOKUP_TAG = b"urna/v1/rc-lookup"
KEY_TAG = b"urna/v1/rc-key"
CHOICE_CODE_DIGITS = 4
BCK_DIGITS = 9
VCC_DIGITS = 8
MAX_SEALED = SecretBox.NONCE_SIZE + SecretBox.MACBYTES + 16

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
"""Damm's totally anti-symmetric quasigroup of order 10 (H. M. Damm, 2004)."""


def random_digits(n: int, *, rng: RandomBytes = secure_random) -> str:
    """``n`` uniformly random decimal digits (rejection sampling of bytes below 250)."""
    digits: list[str] = []
    while len(digits) < n:
        byte = rng(1)[0]
        if byte < 250:
            digits.append(str(byte % 10))
    return "".join(digits)


def generate_choice_codes(count: int, *, rng: RandomBytes = secure_random) -> tuple[str, ...]:
    """``count`` distinct 4-digit codes (one per choice of a question).

    Raises:
        ValueError: ``count`` is not between 1 and 100.
    """
    if not 1 <= count <= 100:
        raise ValueError(f"a question has 1 to 100 choices, got {count}")
    codes: list[str] = []
    while len(codes) < count:
        code = random_digits(CHOICE_CODE_DIGITS, rng=rng)
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def damm_check_digit(digits: str) -> str:
    """The Damm check digit of a string of decimal digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return str(interim)


def generate_bck(*, rng: RandomBytes = secure_random) -> str:
    """A ballot casting key: 8 random digits and their Damm check digit."""
    body = random_digits(BCK_DIGITS - 1, rng=rng)
    return body + damm_check_digit(body)


def normalise_bck(text: str) -> str:
    """Drop spaces and dashes, check length, digits and the check digit.

    Raises:
        InvalidEncoding: not 9 digits, or a typing error (wrong check digit).
    """
    if not isinstance(text, str):
        raise InvalidEncoding("a ballot casting key is a string of digits")
    cleaned = text.replace(" ", "").replace("-", "")
    if len(cleaned) != BCK_DIGITS or not (cleaned.isascii() and cleaned.isdigit()):
        raise InvalidEncoding(f"a ballot casting key has {BCK_DIGITS} digits")
    if damm_check_digit(cleaned) != "0":
        raise InvalidEncoding(
            "the ballot casting key has a typing error (its check digit is wrong)"
        )
    return cleaned


def generate_vcc(*, rng: RandomBytes = secure_random) -> str:
    """A vote cast code: 8 random digits."""
    return random_digits(VCC_DIGITS, rng=rng)


@dataclass(frozen=True, slots=True)
class LookupEntry:
    """One row of the server's table: ``key`` → sealed short code."""

    key: bytes
    """SHA-512(lp(rc-lookup) ‖ lp(LRC))[:32]"""
    sealed: bytes
    """SecretBox nonce ‖ ciphertext of the short code"""

    def to_json(self) -> dict[str, str]:
        return {"key": self.key.hex(), "sealed": self.sealed.hex()}

    @classmethod
    def from_json(cls, value: Any) -> LookupEntry:
        """Raises: InvalidEncoding: wrong keys or sizes."""
        if not isinstance(value, dict) or set(value) != {"key", "sealed"}:
            raise InvalidEncoding('a lookup entry is an object with exactly "key" and "sealed"')
        sealed = unhex(value["sealed"], what="sealed code")
        if not SecretBox.NONCE_SIZE + SecretBox.MACBYTES < len(sealed) <= MAX_SEALED:
            raise InvalidEncoding("a sealed code is a nonce, a tag and 1 to 16 bytes")
        return cls(key=unhex(value["key"], 32, what="lookup key"), sealed=sealed)


def lookup_key(long_code: Point) -> bytes:
    """The table key of a long code."""
    return hash_parts(LOOKUP_TAG, [long_code.encoded])[:32]


def make_entry(long_code: Point, code: str, *, rng: RandomBytes = secure_random) -> LookupEntry:
    """The registrar's table entry for ``long_code`` → ``code``."""
    if not 1 <= len(code.encode()) <= 16:
        raise ValueError("a short code is 1 to 16 bytes")
    box = SecretBox(_box_key(long_code))
    sealed = box.encrypt(code.encode(), rng(SecretBox.NONCE_SIZE))
    return LookupEntry(key=lookup_key(long_code), sealed=bytes(sealed))


def open_entry(long_code: Point, table: Sequence[LookupEntry] | dict[bytes, bytes]) -> str:
    """Find and open the entry of ``long_code``: the short code it unlocks.

    ``table`` is a list of entries or a mapping key → sealed bytes.

    Raises:
        CodeNotFound: no entry, or the entry does not open under this long
            code (a wrong answer from an authority or a forged table).
    """
    key = lookup_key(long_code)
    if isinstance(table, dict):
        sealed = table.get(key)
    else:
        sealed = next((e.sealed for e in table if e.key == key), None)
    if sealed is None:
        raise CodeNotFound("the long return code has no entry in the lookup table")
    try:
        return SecretBox(_box_key(long_code)).decrypt(sealed).decode("ascii")
    except (NaclCryptoError, UnicodeDecodeError) as exc:
        raise CodeNotFound("the lookup entry does not open under this long return code") from exc


def _box_key(long_code: Point) -> bytes:
    return hash_parts(KEY_TAG, [long_code.encoded])[:32]
