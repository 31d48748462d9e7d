"""Every crypto.trustees value survives to_json/from_json and refuses malformed input."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from crypto.elgamal import encrypt
from crypto.encoding import canonical_json
from crypto.errors import InvalidEncoding
from crypto.group import G
from crypto.group import L
from crypto.trustees import Ceremony
from crypto.trustees import Complaint
from crypto.trustees import DecryptionShare
from crypto.trustees import EncryptedShare
from crypto.trustees import KeyShare
from crypto.trustees import Readiness
from crypto.trustees import RevealedShare
from crypto.trustees import ThresholdKey
from crypto.trustees import TrusteeCommitment
from crypto.trustees import TrusteeSecrets
from crypto.trustees import declare_ready
from crypto.trustees import decrypt_share
from crypto.trustees import reveal_share
from crypto.trustees import sign
from tests.crypto.invalid_points import ONE_OF_EACH
from tests.crypto.trustee_ceremony import MANIFEST_HASH
from tests.crypto.trustee_ceremony import run_ceremony
from tests.crypto.trustee_ceremony import seeded_rng

DONE = run_ceremony(seed=3)
_CT, _ = encrypt(1, DONE.key.public_key, rng=seeded_rng(4))
_COMPLAINT = sign(
    DONE.ceremony,
    DONE.secrets[1],
    Complaint(
        accuser="bob", accuser_index=2, accused="alice", accused_index=1, reason="wrong-share"
    ),
)
SAMPLES: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "ceremony": (DONE.ceremony, Ceremony.from_json),
    "secrets": (DONE.secrets[0], TrusteeSecrets.from_json),
    "commitment": (DONE.commitments[0], TrusteeCommitment.from_json),
    "encrypted_share": (DONE.shares[0], EncryptedShare.from_json),
    "complaint": (_COMPLAINT, Complaint.from_json),
    "revealed": (reveal_share(DONE.ceremony, DONE.secrets[0], _COMPLAINT), RevealedShare.from_json),
    "readiness": (declare_ready(DONE.ceremony, DONE.secrets[2]), Readiness.from_json),
    "key_share": (DONE.key_shares[0], KeyShare.from_json),
    "threshold_key": (DONE.key, ThresholdKey.from_json),
    "decryption_share": (
        decrypt_share(
            DONE.key_shares[0], DONE.key, [_CT, _CT], manifest_hash=MANIFEST_HASH, rng=seeded_rng(5)
        ),
        DecryptionShare.from_json,
    ),
}

IDENTITY = "00" * 32
NON_CANONICAL_SCALAR = L.to_bytes(32, "little").hex()
NEGATIVE = ONE_OF_EACH["negative field element"]
NON_SQUARE = ONE_OF_EACH["non-square x^2"]
TOP_BIT_SET = (int.from_bytes(G.to_bytes(), "little") | 1 << 255).to_bytes(32, "little").hex()
"""G's encoding with the top bit set: the same element to libsodium 1.0.18, refused by us."""


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip(name: str) -> None:
    value, decode = SAMPLES[name]
    data = value.to_json()
    text = canonical_json(data)
    again = decode(json.loads(text))
    assert again.to_json() == data
    if name not in ("secrets",):  # PrivateKey has no value equality
        assert again == value


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_extra_missing_and_non_object(name: str) -> None:
    value, decode = SAMPLES[name]
    data = value.to_json()
    with pytest.raises(InvalidEncoding):
        decode({**data, "extra": 1})
    with pytest.raises(InvalidEncoding):
        decode({k: v for k, v in list(data.items())[1:]})
    with pytest.raises(InvalidEncoding):
        decode([data])


def _mutated(name: str, path: tuple[Any, ...], new: Any) -> Any:
    data = copy.deepcopy(SAMPLES[name][0].to_json())
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return data


BAD_FIELDS = [
    ("ceremony", ("ceremony_id",), "00" * 31),
    ("ceremony", ("threshold",), 0),
    ("ceremony", ("threshold",), 6),
    ("ceremony", ("threshold",), True),
    ("ceremony", ("threshold",), 3.0),
    ("ceremony", ("trustees",), ["alice", "alice"]),
    ("ceremony", ("trustees",), []),
    ("ceremony", ("trustees", 0), " alice"),
    ("ceremony", ("trustees", 0), "x" * 65),
    ("ceremony", ("trustees", 0), "bad\nname"),
    ("secrets", ("index",), 0),
    ("secrets", ("index",), "1"),
    ("secrets", ("box_secret",), "00" * 33),
    ("secrets", ("coefficients", 1), NON_CANONICAL_SCALAR),
    ("secrets", ("coefficients", 1), "00" * 32),
    ("secrets", ("coefficients",), []),
    ("commitment", ("coefficients", 0), IDENTITY),
    ("commitment", ("coefficients", 1), NEGATIVE),
    ("commitment", ("coefficients", 2), TOP_BIT_SET),
    ("commitment", ("coefficients", 1), NON_SQUARE),
    ("commitment", ("coefficients", 0), "AB" * 32),
    ("commitment", ("coefficients",), ["00" * 31]),
    ("commitment", ("proofs", 0, "s"), NON_CANONICAL_SCALAR),
    ("commitment", ("proofs",), []),
    ("commitment", ("box_public",), "00" * 32),
    ("commitment", ("box_public",), "ff" * 32),
    ("commitment", ("box_public",), "01" + "00" * 30),
    ("encrypted_share", ("ciphertext",), "00" * 143),
    ("encrypted_share", ("sender_index",), 65),
    ("complaint", ("reason",), "grumpy"),
    ("complaint", ("reason",), None),
    ("complaint", ("accused_index",), 2),
    ("revealed", ("share",), NON_CANONICAL_SCALAR),
    ("key_share", ("secret",), "00" * 33),
    ("threshold_key", ("public_key",), TOP_BIT_SET),
    ("threshold_key", ("threshold",), 6),
    ("threshold_key", ("trustees", 1, "verification_key"), NEGATIVE),
    ("threshold_key", ("trustees", 1), {"trustee": "alice", "verification_key": IDENTITY}),
    ("decryption_share", ("shares", 0), TOP_BIT_SET),
    ("decryption_share", ("shares", 1), NEGATIVE),
    ("decryption_share", ("shares",), [IDENTITY]),
    ("decryption_share", ("proofs", 0, "c"), NON_CANONICAL_SCALAR),
]


@pytest.mark.parametrize(("name", "path", "new"), BAD_FIELDS)
def test_malformed_field_is_refused(name: str, path: tuple[Any, ...], new: Any) -> None:
    decode = SAMPLES[name][1]
    with pytest.raises(InvalidEncoding):
        decode(_mutated(name, path, new))


def test_secrets_never_show_in_repr() -> None:
    secret_hex = DONE.secrets[0].coefficients[0].hex()
    for value in (DONE.secrets[0], DONE.key_shares[0]):
        assert secret_hex not in repr(value)
        assert "hidden" in repr(value)
