"""Rosters of BLS witnesses and the aggregate cosignature line (docs/witnesses.md).

A roster is the ordered, append-only list of witnesses registered with a log,
each with a public key whose proof of possession was verified at
registration. The log adds the cosignatures of one checkpoint into one BLS
aggregate and writes a single C2SP signed-note signature line::

    — <roster name> base64(key ID ‖ bitmap ‖ 96-byte aggregate signature)

- ``key ID = SHA-256(roster name ‖ 0x0A ‖ 0xFF ‖ "urna/v1/bls12-381-aggregate")[:4]``:
  signature type 0xFF ("without an identifier byte") followed by a longer
  identifier. It names the roster and the scheme, not the members, because
  the roster only grows and a verifier holds its members itself.
- ``bitmap``: bit ``i`` stands for roster member ``i`` and is
  ``bitmap[i // 8] & (0x80 >> (i % 8))`` (most significant bit first). It is
  as short as possible: at least one byte, and its last byte is not zero.

One ``FastAggregateVerify`` over the marked members' keys checks the line:
the sum of their public keys, then one CoreVerify (two Miller loops and one
final exponentiation). At national scale (1,000 witnesses) what costs is
not the pairing but validating keys (~12 ms each): a :class:`Roster`
validates every member's key once when it is built (remembered per process,
:meth:`WitnessPublicKey.point`), and remembers the summed key of each bitmap
it has seen, so a verification adds no key checks and at most one sum.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from py_ecc.optimized_bls12_381 import Z1
from py_ecc.optimized_bls12_381 import add

from crypto.errors import InvalidCosignature
from crypto.errors import InvalidEncoding
from crypto.errors import NotEnoughCosignatures
from crypto.witness._keys import SIGNATURE_SIZE
from crypto.witness._keys import SIGNATURE_TYPE_OTHER
from crypto.witness._keys import G1Point
from crypto.witness._keys import WitnessPublicKey
from crypto.witness._keys import aggregate_signatures
from crypto.witness._keys import check_key_name
from crypto.witness._keys import core_verify
from crypto.witness._keys import cosignature_message
from crypto.witness._keys import parse_signature
from crypto.witness._keys import parse_witness_verifier_key
from crypto.witness.cosignature import SIGNATURE_TYPE_COSIGNATURE_V1
from crypto.witness.cosignature import CosignerKey

__all__ = [
    "AggregateCosignature",
    "PinnedRoster",
    "Roster",
    "RosterMember",
    "aggregate_cosignatures",
    "decode_bitmap",
    "encode_bitmap",
    "find_roster_payloads",
    "parse_pinned_roster",
    "parse_roster_file",
    "roster_key_id",
    "verify_aggregate_cosignature",
]

_AGGREGATE_ID = b"urna/v1/bls12-381-aggregate"
_SUMS_KEPT = 64
"""Summed keys a roster remembers (one per distinct bitmap; checkpoints share few)."""


@dataclass(frozen=True, slots=True)
class RosterMember:
    """One registered witness: its name and its (proof-of-possession checked) key."""

    name: str
    public_key: WitnessPublicKey


@dataclass(frozen=True, slots=True)
class Roster:
    """The ordered witnesses of one log; ``name`` is the aggregate line's key name.

    Build it only from keys whose proofs of possession were verified
    (:func:`crypto.witness.verify_possession`): the aggregate is not safe
    against rogue keys otherwise. Building it validates every key (a G1
    point, not the identity, in the subgroup), once per key and process.

    Raises:
        InvalidEncoding: a bad roster name, a name or key listed twice, or a
            key that is not a valid G1 point.
    """

    name: str
    members: tuple[RosterMember, ...]
    _sums: dict[tuple[int, ...], G1Point] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_key_name(self.name, what="roster name")
        names = [m.name for m in self.members]
        keys = [m.public_key.data for m in self.members]
        if len(set(names)) != len(names) or len(set(keys)) != len(keys):
            raise InvalidEncoding("a roster lists each witness name and key once")
        for member in self.members:
            try:
                member.public_key.point()
            except InvalidEncoding as exc:
                raise InvalidEncoding(f"roster member {member.name!r}: {exc}") from exc

    def summed_key(self, signers: tuple[int, ...]) -> G1Point:
        """The sum of the marked members' public keys, computed once per bitmap.

        Raises:
            IndexError: an index outside the roster.
        """
        known = self._sums.get(signers)
        if known is not None:
            return known
        total = Z1
        for i in signers:
            total = add(total, self.members[i].public_key.point())
        if len(self._sums) >= _SUMS_KEPT:
            self._sums.clear()
        self._sums[signers] = total
        return total

    @property
    def key_id(self) -> bytes:
        return roster_key_id(self.name)

    def __len__(self) -> int:
        return len(self.members)


@dataclass(frozen=True, slots=True)
class AggregateCosignature:
    """The decoded aggregate line: who signed (roster indexes) and the aggregate signature."""

    signers: tuple[int, ...]
    signature: bytes

    def line(self, roster_name: str) -> str:
        """Format as a signed-note signature line, newline included."""
        payload = roster_key_id(roster_name) + encode_bitmap(self.signers) + self.signature
        return f"— {roster_name} {base64.b64encode(payload).decode()}\n"

    @classmethod
    def from_payload(cls, payload: bytes) -> AggregateCosignature:
        """Decode ``bitmap ‖ signature`` (the line's bytes after the key ID).

        Raises:
            InvalidCosignature: too short, a non-canonical bitmap or a bad signature point.
        """
        if len(payload) < 1 + SIGNATURE_SIZE:
            raise InvalidCosignature("aggregate cosignature is too short")
        bitmap, signature = payload[:-SIGNATURE_SIZE], payload[-SIGNATURE_SIZE:]
        return cls(decode_bitmap(bitmap), parse_signature(signature))


def roster_key_id(roster_name: str) -> bytes:
    """The 4-byte signed-note key ID of a roster's aggregate line."""
    check_key_name(roster_name, what="roster name")
    material = roster_name.encode() + b"\n" + SIGNATURE_TYPE_OTHER + _AGGREGATE_ID
    return hashlib.sha256(material).digest()[:4]


def encode_bitmap(signers: Iterable[int]) -> bytes:
    """The shortest bitmap with bit ``i`` set for each index (MSB first).

    Raises:
        InvalidEncoding: no signer, or a negative index.
    """
    indexes = sorted(set(signers))
    if not indexes or indexes[0] < 0:
        raise InvalidEncoding("an aggregate needs at least one signer, with indexes >= 0")
    bitmap = bytearray(indexes[-1] // 8 + 1)
    for i in indexes:
        bitmap[i // 8] |= 0x80 >> (i % 8)
    return bytes(bitmap)


def decode_bitmap(bitmap: bytes) -> tuple[int, ...]:
    """The indexes whose bits are set, in increasing order.

    Raises:
        InvalidCosignature: empty, or not the shortest encoding (last byte zero).
    """
    if not bitmap or bitmap[-1] == 0:
        raise InvalidCosignature("roster bitmap is empty or has a trailing zero byte")
    return tuple(i for i in range(8 * len(bitmap)) if bitmap[i // 8] & (0x80 >> (i % 8)))


def aggregate_cosignatures(cosignatures: dict[int, bytes]) -> AggregateCosignature:
    """Aggregate single cosignatures keyed by roster index (each already verified).

    Raises:
        InvalidEncoding: no cosignature or a negative index.
        InvalidCosignature: a signature that is not a G2 point.
    """
    signers = tuple(sorted(cosignatures))
    encode_bitmap(signers)
    signature = aggregate_signatures([cosignatures[i] for i in signers])
    return AggregateCosignature(signers, signature)


def verify_aggregate_cosignature(
    roster: Roster, checkpoint_text: str, aggregate: AggregateCosignature, required: int
) -> tuple[RosterMember, ...]:
    """Check that at least ``required`` members of ``roster`` cosigned ``checkpoint_text``.

    Returns:
        the members who signed, in roster order.

    Raises:
        ValueError: ``required`` is below 1.
        NotEnoughCosignatures: fewer than ``required`` signers are marked.
        InvalidCosignature: a marked index outside the roster, or the aggregate
            signature does not verify for the marked keys.
    """
    if required < 1:
        raise ValueError("required must be at least 1")
    # (1) every marked index is a member of the roster
    if aggregate.signers[-1] >= len(roster):
        raise InvalidCosignature(
            f"bitmap marks witness {aggregate.signers[-1]} but the roster has {len(roster)}"
        )
    # (2) enough of them
    if len(aggregate.signers) < required:
        raise NotEnoughCosignatures(
            f"{len(aggregate.signers)} of {len(roster)} witnesses cosigned, {required} required"
        )
    # (3) FastAggregateVerify: CoreVerify with the sum of their (validated) keys
    signers = tuple(roster.members[i] for i in aggregate.signers)
    message = cosignature_message(checkpoint_text)
    if not core_verify(roster.summed_key(aggregate.signers), message, aggregate.signature):
        raise InvalidCosignature(
            f"aggregate signature of roster {roster.name!r} does not verify for the "
            f"{len(signers)} witnesses its bitmap marks"
        )
    return signers


def find_roster_payloads(roster: Roster, lines: Sequence[tuple[str, bytes]]) -> list[bytes]:
    """The payloads (after the key ID) of the lines that carry this roster's name and key ID."""
    return [p[4:] for name, p in lines if name == roster.name and p[:4] == roster.key_id]


def parse_roster_file(text: str) -> tuple[RosterMember, ...]:
    """The witnesses of a roster file: one witness verifier key per line.

    Lines are :func:`crypto.witness.witness_verifier_key` texts; blank lines
    and lines starting with ``#`` are ignored. The file is the observer's
    own list of the witnesses they trust, obtained from the witnesses, not
    from the log.

    Raises:
        InvalidEncoding: a malformed line (its number is named), a name or a
            key listed twice, or no witness at all.
    """
    members: list[RosterMember] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            name, key = parse_witness_verifier_key(line)
        except InvalidEncoding as exc:
            raise InvalidEncoding(f"line {number}: {exc}") from exc
        if any(m.name == name or m.public_key == key for m in members):
            raise InvalidEncoding(f"line {number}: witness {name!r} or its key is listed twice")
        members.append(RosterMember(name, key))
    if not members:
        raise InvalidEncoding("the roster file lists no witness")
    return tuple(members)


@dataclass(frozen=True, slots=True)
class PinnedRoster:
    """An observer's roster file: Urna's BLS witnesses and C2SP Ed25519 cosigners."""

    bls: tuple[RosterMember, ...]
    cosigners: tuple[CosignerKey, ...]

    def __len__(self) -> int:
        return len(self.bls) + len(self.cosigners)


def parse_pinned_roster(text: str) -> PinnedRoster:
    """The witnesses of a roster file, of both kinds, one verifier key per line.

    A line is either an Urna BLS witness's verifier key
    (:func:`crypto.witness.witness_verifier_key`, key type 0xFF) or a C2SP
    ``cosignature/v1`` witness's vkey (``<name>+<hex key ID>+base64(0x04 ‖
    Ed25519 key)``, as sumdb/note writes it). Blank lines and lines starting
    with ``#`` are ignored. A name may appear once (over both kinds).

    Raises:
        InvalidEncoding: a malformed line (its number is named), a key of
            another type, a name or key listed twice, or no witness at all.
    """
    bls: list[RosterMember] = []
    cosigners: list[CosignerKey] = []
    names: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if _key_type(line) == SIGNATURE_TYPE_COSIGNATURE_V1:
                cosigner = CosignerKey.from_vkey(line)
                name, duplicate = cosigner.name, cosigner in cosigners
                cosigners.append(cosigner)
            else:
                name, key = parse_witness_verifier_key(line)
                duplicate = any(m.public_key == key for m in bls)
                bls.append(RosterMember(name, key))
        except InvalidEncoding as exc:
            raise InvalidEncoding(f"line {number}: {exc}") from exc
        if duplicate or name in names:
            raise InvalidEncoding(f"line {number}: witness {name!r} or its key is listed twice")
        names.add(name)
    if not bls and not cosigners:
        raise InvalidEncoding("the roster file lists no witness")
    return PinnedRoster(tuple(bls), tuple(cosigners))


def _key_type(vkey: str) -> bytes:
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise InvalidEncoding("a verifier key is '<name>+<hex key id>+<base64 key>'")
    try:
        return base64.b64decode(parts[2], validate=True)[:1]
    except ValueError as exc:
        raise InvalidEncoding("verifier key material is not base64") from exc
