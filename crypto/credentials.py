"""Voting credentials: a code printed on the voting card and its Ed25519 key.

DESIGN.md section 4. The code is at least 100 random bits, written in groups
of a 29-letter alphabet without look-alikes (no 0/O, 1/I/L, U/V, Z/2) and
ended by a check character (a weighted sum modulo the prime 29, which catches
every single wrong character and every swap of two neighbours). The Ed25519
signing seed is derived from the normalised code and the vote-day id (docs/spec.md, "Credentials"):

    seed = SHA-512(lp("urna/v1/credential") ‖ lp(vote_day_id) ‖ lp(code))[:32]

The server only ever sees the public key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from nacl.signing import SigningKey

from crypto._group import RandomBytes
from crypto._group import secure_random
from crypto._transcript import length_prefixed
from crypto.errors import InvalidEncoding

__all__ = [
    "ALPHABET",
    "Credential",
    "derive_credential",
    "generate_code",
    "normalise_code",
]

ALPHABET = "ABCDEFGHJKMNPQRSTVWXY23456789"
"""29 symbols (a prime number of them); easy to read aloud and to type."""

CODE_SYMBOLS = 21
"""21 random symbols of a 29-letter alphabet: 102 bits of entropy."""

GROUP = 4
CREDENTIAL_TAG = b"urna/v1/credential"


@dataclass(frozen=True, slots=True)
class Credential:
    """A voter's signing key and its public credential."""

    signing_key: SigningKey
    public_key: bytes

    def __repr__(self) -> str:
        return f"Credential(public_key={self.public_key.hex()})"


def generate_code(*, rng: RandomBytes = secure_random) -> str:
    """A fresh voting code: 21 random symbols and a check symbol, in groups of four."""
    symbols: list[str] = []
    while len(symbols) < CODE_SYMBOLS:
        byte = rng(1)[0]
        if byte < 232:  # 232 = 8 · 29: rejection sampling keeps the symbols uniform
            symbols.append(ALPHABET[byte % 29])
    body = "".join(symbols)
    code = body + _check_symbol(body)
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(text: str) -> str:
    """Upper-case the code, drop spaces and dashes, and check its check symbol.

    Raises:
        InvalidEncoding: wrong length, a character outside the alphabet, or a
            wrong check symbol (a typing error).
    """
    cleaned = text.upper().replace("-", "").replace(" ", "")
    if len(cleaned) != CODE_SYMBOLS + 1:
        expected = CODE_SYMBOLS + 1
        raise InvalidEncoding(f"a voting code has {expected} characters, got {len(cleaned)}")
    if any(ch not in ALPHABET for ch in cleaned):
        raise InvalidEncoding("the voting code contains a character that is not on voting cards")
    if _check_symbol(cleaned[:-1]) != cleaned[-1]:
        raise InvalidEncoding("the voting code has a typing error (its check character is wrong)")
    return cleaned


def derive_credential(code: str, vote_day_id: str) -> Credential:
    """Derive the credential's Ed25519 key from a voting code and the vote-day id.

    Raises:
        InvalidEncoding: the code is malformed (see :func:`normalise_code`).
    """
    normal = normalise_code(code)
    material = length_prefixed([CREDENTIAL_TAG, vote_day_id.encode(), normal.encode()])
    seed = hashlib.sha512(material).digest()[:32]
    key = SigningKey(seed)
    return Credential(signing_key=key, public_key=bytes(key.verify_key))


def _check_symbol(body: str) -> str:
    # Weights 1..21 are distinct and non-zero modulo 29, so a single substitution
    # or a swap of two different neighbours always changes the sum.
    total = sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body))
    return ALPHABET[total % 29]
