"""BLS at scale: keys are validated once, summed once per bitmap (crypto.witness._roster).

The tests count the expensive operations (G1 subgroup checks and key
additions) instead of timing them: benchmarks/witness_bench.py has the times.
"""

from __future__ import annotations

import pytest
from py_ecc.bls.g2_primitives import subgroup_check as real_subgroup_check

from crypto.errors import InvalidCosignature
from crypto.note import Checkpoint
from crypto.note import format_checkpoint
from crypto.witness import AggregateCosignature
from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessSecretKey
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
    """Count G1 key checks (not the G2 signature checks) and key additions."""
    calls = {"key_checks": 0, "additions": 0}

    def subgroup_check(point):  # type: ignore[no-untyped-def]
        if not isinstance(point[0], _keys.FQ2):
            calls["key_checks"] += 1
        return real_subgroup_check(point)

    def add(a, b):  # type: ignore[no-untyped-def]
        calls["additions"] += 1
        return _roster_add(a, b)

    _keys._validated_key_point.cache_clear()
    monkeypatch.setattr(_keys, "subgroup_check", subgroup_check)
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
