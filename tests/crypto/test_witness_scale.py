"""BLS at scale: keys validated once, summed once per bitmap, ψ shortcuts (crypto.witness).

The tests count the expensive operations (G1 subgroup checks and key
additions) instead of timing them: benchmarks/witness_bench.py has the times.
"""

from __future__ import annotations

import pytest
from py_ecc.bls.g2_primitives import G2_to_signature
from py_ecc.bls.g2_primitives import pubkey_to_G1
from py_ecc.bls.g2_primitives import subgroup_check as real_subgroup_check
from py_ecc.bls.hash_to_curve import clear_cofactor_G2
from py_ecc.bls.hash_to_curve import hash_to_field_FQ2
from py_ecc.bls.hash_to_curve import hash_to_G2
from py_ecc.bls.hash_to_curve import map_to_curve_G2
from py_ecc.optimized_bls12_381 import G1
from py_ecc.optimized_bls12_381 import G2
from py_ecc.optimized_bls12_381 import curve_order
from py_ecc.optimized_bls12_381 import eq
from py_ecc.optimized_bls12_381 import multiply

from crypto.errors import InvalidCosignature
from crypto.note import Checkpoint
from crypto.note import format_checkpoint
from crypto.witness import AggregateCosignature
from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessSecretKey
from crypto.witness import _g2
from crypto.witness import _keys
from crypto.witness import _roster
from crypto.witness import aggregate_signatures
from crypto.witness import encode_bitmap
from crypto.witness import sign_checkpoint
from crypto.witness import verify_aggregate_cosignature

TEXT = format_checkpoint(Checkpoint("urna.test/log/scale", 42, b"\x02" * 32))
SECRETS = [WitnessSecretKey(1_000 + i) for i in range(12)]


def _roster_of(secrets: list[WitnessSecretKey], name: str = "urna.test/log/witnesses") -> Roster:
    members = tuple(RosterMember(f"w{i}.test", s.public_key()) for i, s in enumerate(secrets))
    return Roster(name, members)


def _aggregate(signers: tuple[int, ...], text: str = TEXT) -> AggregateCosignature:
    signature = aggregate_signatures([sign_checkpoint(SECRETS[i], text) for i in signers])
    return AggregateCosignature.from_payload(encode_bitmap(signers) + signature)


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count G1 key checks and key additions."""
    calls = {"key_checks": 0, "additions": 0}
    real_in_g1 = _keys.in_g1

    def in_g1(point):  # type: ignore[no-untyped-def]
        calls["key_checks"] += 1
        return real_in_g1(point)

    def add(a, b):  # type: ignore[no-untyped-def]
        calls["additions"] += 1
        return _roster_add(a, b)

    _keys._validated_key_point.cache_clear()
    monkeypatch.setattr(_keys, "in_g1", in_g1)
    monkeypatch.setattr(_roster, "add", add)
    return calls


_roster_add = _roster.add


def test_keys_are_validated_when_the_roster_is_built_and_never_when_verifying(
    counted: dict[str, int],
) -> None:
    roster = _roster_of(SECRETS)
    assert counted["key_checks"] == len(SECRETS)  # each key once, at construction
    aggregate = _aggregate(tuple(range(0, 12, 2)))
    for _ in range(2):
        assert len(verify_aggregate_cosignature(roster, TEXT, aggregate, 6)) == 6
    assert counted["key_checks"] == len(SECRETS)  # none more
    assert counted["additions"] == 6  # summed once for that bitmap
    # another checkpoint cosigned by the same witnesses reuses the sum
    other = format_checkpoint(Checkpoint("urna.test/log/scale", 43, b"\x03" * 32))
    assert verify_aggregate_cosignature(roster, other, _aggregate(tuple(range(0, 12, 2)), other), 6)
    assert counted["additions"] == 6
    # a roster built again from the same keys does not check them again
    _roster_of(SECRETS, "urna.test/other/witnesses")
    assert counted["key_checks"] == len(SECRETS)


def test_a_cached_sum_does_not_answer_for_another_bitmap() -> None:
    """The cache is keyed by the exact signer set: a sum never stands for other members."""
    roster = _roster_of(SECRETS)
    signers = (0, 1, 2)
    good = _aggregate(signers)
    assert verify_aggregate_cosignature(roster, TEXT, good, 3)
    # the same aggregate claimed for members 0, 1 and 3 (3 did not sign)
    claimed = AggregateCosignature((0, 1, 3), good.signature)
    with pytest.raises(InvalidCosignature, match="does not verify"):
        verify_aggregate_cosignature(roster, TEXT, claimed, 3)
    # a wrong checkpoint with the cached bitmap still fails
    other = format_checkpoint(Checkpoint("urna.test/log/scale", 99, b"\x09" * 32))
    with pytest.raises(InvalidCosignature, match="does not verify"):
        verify_aggregate_cosignature(roster, other, good, 3)


# --- the endomorphism shortcuts agree with py-ecc's multiplications ------------------


@pytest.mark.parametrize("message", [b"", b"abc", TEXT.encode(), bytes(range(256))])
def test_hash_to_g2_equals_py_ecc(message: bytes) -> None:
    dst, xmd = _keys._Bls.DST, _keys._Bls.xmd_hash_function
    assert eq(_g2.hash_to_g2(message, dst, xmd), hash_to_G2(message, dst, xmd))


def test_subgroup_check_agrees_with_multiplying_by_the_order() -> None:
    dst, xmd = _keys._Bls.DST, _keys._Bls.xmd_hash_function
    outside = [
        map_to_curve_G2(u) for m in (b"a", b"b", b"c") for u in hash_to_field_FQ2(m, 2, dst, xmd)
    ]
    inside = [multiply(G2, k) for k in (1, 2, 12345, curve_order - 1)] + [
        clear_cofactor_G2(p) for p in outside
    ]
    for point in outside:
        assert not real_subgroup_check(point) and not _g2.in_g2(point)
    for point in inside:
        assert real_subgroup_check(point) and _g2.in_g2(point)


def test_a_signature_outside_g2_is_still_refused() -> None:
    """A forged aggregate whose point is on the curve but outside G2 (small-subgroup attack)."""
    dst, xmd = _keys._Bls.DST, _keys._Bls.xmd_hash_function
    point = map_to_curve_G2(hash_to_field_FQ2(b"forged", 2, dst, xmd)[0])
    encoded = bytes(G2_to_signature(point))
    with pytest.raises(InvalidCosignature, match="subgroup"):
        AggregateCosignature.from_payload(encode_bitmap((0,)) + encoded)


def test_g1_check_agrees_with_multiplying_by_the_order() -> None:
    assert eq((G1[0] * _g2.BETA, G1[1], G1[2]), multiply(G1, (-(_g2.X_ABS**2)) % curve_order))
    inside = [multiply(G1, k) for k in (1, 3, 987654321, curve_order - 1)]
    outside = []
    for x in range(1, 60):  # points of E(Fp) outside G1 (the cofactor is large)
        try:
            outside.append(pubkey_to_G1(bytes([0x80]) + x.to_bytes(47, "big")))
        except (ValueError, AssertionError):
            continue
    assert len(outside) >= 5
    for point in inside:
        assert real_subgroup_check(point) and _g2.in_g1(point)
    for point in outside:
        assert not real_subgroup_check(point) and not _g2.in_g1(point)
