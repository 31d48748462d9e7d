"""A complete honest trustee ceremony for the tests (deterministic randomness)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from crypto.trustees import Ceremony
from crypto.trustees import EncryptedShare
from crypto.trustees import KeyShare
from crypto.trustees import ThresholdKey
from crypto.trustees import TrusteeCommitment
from crypto.trustees import TrusteeSecrets
from crypto.trustees import commit
from crypto.trustees import deal_shares
from crypto.trustees import derive_key_share
from crypto.trustees import derive_threshold_key
from crypto.trustees import new_trustee
from crypto.trustees import open_shares

NAMES = ("alice", "bob", "carol", "dave", "erin")
MANIFEST_HASH = bytes(range(32))


def seeded_rng(seed: int) -> Callable[[int], bytes]:
    """Deterministic bytes (tests only; production uses the OS CSPRNG)."""
    return random.Random(seed).randbytes


@dataclass(frozen=True)
class CeremonyResult:
    ceremony: Ceremony
    secrets: tuple[TrusteeSecrets, ...]
    commitments: tuple[TrusteeCommitment, ...]
    shares: tuple[EncryptedShare, ...]
    key: ThresholdKey
    key_shares: tuple[KeyShare, ...]


def run_ceremony(
    *, threshold: int = 3, names: tuple[str, ...] = NAMES, seed: int = 1
) -> CeremonyResult:
    """Steps 1 to 7 with every trustee honest."""
    rng = seeded_rng(seed)
    ceremony = Ceremony(ceremony_id=bytes([seed]) * 32, threshold=threshold, trustees=names)
    secrets = tuple(new_trustee(ceremony, name, rng=rng) for name in names)
    commitments = tuple(commit(ceremony, s, rng=rng) for s in secrets)
    shares = tuple(sh for s in secrets for sh in deal_shares(ceremony, s, commitments, rng=rng))
    key_shares = []
    for s in secrets:
        received = open_shares(ceremony, s, commitments, shares)
        assert received.complaints == ()
        key_shares.append(derive_key_share(ceremony, s, commitments, received.shares))
    key = derive_threshold_key(ceremony, commitments)
    return CeremonyResult(ceremony, secrets, commitments, shares, key, tuple(key_shares))
