"""A roster member whose key is not a valid BLS12-381 G1 key.

Attacker: whoever can put a key into a roster without the registration
endpoint's checks: a row written straight into ``log_witnesses`` (a database
intruder), or a roster file handed to a verifier. With keys validated once,
when the roster is built, instead of at every verification, the roster
itself must refuse such a key, or it would reach the pairing unchecked
(a key outside the subgroup, or the identity, which makes any aggregate
over it meaningless).
"""

from __future__ import annotations

import pytest

from crypto.errors import InvalidEncoding
from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessPublicKey
from crypto.witness import WitnessSecretKey

HONEST = RosterMember("honest.test", WitnessSecretKey(7).public_key())
OUTSIDE_G1 = bytes.fromhex("80" + "00" * 46 + "04")  # on the curve, not in the subgroup
IDENTITY = bytes.fromhex("c0" + "00" * 47)


@pytest.mark.parametrize(
    "data",
    [OUTSIDE_G1, IDENTITY, b"\x80" + b"\xff" * 47],
    ids=["outside-G1", "identity", "no-point"],
)
def test_roster_refuses_a_key_that_skipped_validation(data: bytes) -> None:
    with pytest.raises(InvalidEncoding):
        WitnessPublicKey.from_bytes(data)  # what registration does
    smuggled = RosterMember("intruder.test", WitnessPublicKey(data))  # a row written directly
    with pytest.raises(InvalidEncoding, match=r"roster member 'intruder\.test'"):
        Roster("urna.test/log/witnesses", (HONEST, smuggled))
    with pytest.raises(InvalidEncoding):  # and a refused key is not remembered as valid
        Roster("urna.test/log/witnesses", (smuggled,))
