"""The trustees' key ceremony, replayed from the log (docs/trustees.md, steps 0 to 6).

Leaf 0 names the trustees and the threshold; its leaf hash is the ceremony id.
Every commitment's Schnorr proofs are checked, every trustee's boxed shares
must reach every other trustee, every complaint, reveal and readiness must
carry its author's signature under the verify key of the author's commitment
(a forged one fails the check, naming its leaf), every complaint is decided
exactly as :func:`crypto.trustees.resolve_complaint` says, no qualified
trustee may have revealed t points of its polynomial, and the election key and the
verification keys must be the ones derived from the qualified trustees'
commitments. A trustee at fault is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto.errors import CryptoError
from crypto.errors import InvalidShare
from crypto.errors import InvalidSignature
from crypto.group import Point
from crypto.trustees import Ceremony
from crypto.trustees import Complaint
from crypto.trustees import EncryptedShare
from crypto.trustees import Readiness
from crypto.trustees import RevealedShare
from crypto.trustees import ThresholdKey
from crypto.trustees import TrusteeCommitment
from crypto.trustees import derive_threshold_key
from crypto.trustees import resolve_complaint
from crypto.trustees import verify_commitment
from crypto.trustees import verify_signed
from voting.tools.verify.report import Report
from voting.tools.verify.structure import Entries

__all__ = ["CeremonyOutcome", "check_ceremony"]


@dataclass(frozen=True)
class CeremonyOutcome:
    """What the ceremony established: the threshold key as logged (None if unusable)."""

    ceremony: Ceremony | None
    key: ThresholdKey | None
    verify_keys: dict[int, bytes] | None = None
    """each committed trustee's signing verify key, by index (signs its decryption shares)"""


def check_ceremony(
    report: Report, entries: Entries, leaf_hashes: Sequence[bytes]
) -> CeremonyOutcome:
    """Replay the ceremony; return the logged election key for the later checks."""
    ceremony = _ceremony(report, entries, leaf_hashes)
    if ceremony is None:
        report.skip("election-key", "no usable key-ceremony record")
        return CeremonyOutcome(None, _logged_key(report, entries, None))
    commitments = _commitments(report, entries, ceremony)
    _shares(report, entries, ceremony)
    complaints = _messages(report, entries, "trustee-complaint", "complaint", Complaint.from_json)
    reveals = _messages(report, entries, "trustee-reveal", "revealed", RevealedShare.from_json)
    complaints = _signed(report, ceremony, commitments, complaints)
    reveals = _signed(report, ceremony, commitments, reveals)
    _ready(report, entries, ceremony, commitments)
    qualified, disqualified = _decide(report, ceremony, commitments, complaints, reveals)
    _public_polynomials(report, ceremony, qualified, reveals)
    report.done(
        "ceremony",
        f"{len(commitments)} of {len(ceremony.trustees)} trustees committed, "
        f"{len(complaints)} complaints, disqualified: {', '.join(disqualified) or 'none'}",
    )
    logged = _logged_key(report, entries, ceremony)
    _compare_key(report, entries, ceremony, qualified, disqualified, logged)
    verify_keys = {i: c.verify_key for i, c in commitments.items()}
    return CeremonyOutcome(ceremony, logged, verify_keys)


def _ceremony(report: Report, entries: Entries, leaf_hashes: Sequence[bytes]) -> Ceremony | None:
    first = entries.records[0] if entries.records else None
    if first is None or first.get("type") != "key-ceremony":
        report.fail("ceremony", "the log does not start with a key-ceremony record", [0])
        return None
    try:
        roster = first["trustees"]
        if [t["index"] for t in roster] != list(range(1, len(roster) + 1)):
            raise ValueError("trustee indexes must be 1..n in order")
        return Ceremony(
            ceremony_id=leaf_hashes[0],
            threshold=first["threshold"],
            trustees=tuple(t["name"] for t in roster),
        )
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        report.fail("ceremony", f"the key-ceremony record is malformed: {exc}", [0])
        return None


def _commitments(
    report: Report, entries: Entries, ceremony: Ceremony
) -> dict[int, TrusteeCommitment]:
    commitments: dict[int, TrusteeCommitment] = {}
    for index in entries.of("trustee-commitment"):
        try:
            commitment = TrusteeCommitment.from_json((entries.records[index] or {})["commitment"])
            verify_commitment(ceremony, commitment)
        except InvalidShare as exc:
            report.fail("ceremony", f"trustee {exc.trustee!r}: {exc}", [index])
            continue
        except (CryptoError, KeyError, TypeError) as exc:
            report.fail("ceremony", f"malformed trustee commitment: {exc}", [index])
            continue
        if commitment.index in commitments:
            report.fail("ceremony", f"trustee {commitment.trustee!r} committed twice", [index])
            continue
        commitments[commitment.index] = commitment
    return commitments


def _shares(report: Report, entries: Entries, ceremony: Ceremony) -> None:
    n = len(ceremony.trustees)
    dealt: set[int] = set()
    for index in entries.of("trustee-shares"):
        record = entries.records[index] or {}
        try:
            sender = record["index"]
            shares = [EncryptedShare.from_json(s) for s in record["shares"]]
        except (CryptoError, KeyError, TypeError) as exc:
            report.fail("ceremony", f"malformed trustee shares: {exc}", [index])
            continue
        expected = {j for j in range(1, n + 1) if j != sender}
        name = (
            ceremony.trustees[sender - 1] if isinstance(sender, int) and 1 <= sender <= n else "?"
        )
        if sender in dealt:
            report.fail("ceremony", f"trustee {name!r} dealt its shares twice", [index])
        if sorted(s.recipient_index for s in shares) != sorted(expected) or any(
            (s.sender_index, s.sender) != (sender, name) for s in shares
        ):
            report.fail(
                "ceremony", f"trustee {name!r} must deal one share to every other trustee", [index]
            )
        dealt.add(sender)


def _messages(
    report: Report, entries: Entries, kind: str, key: str, parse: Any
) -> list[tuple[int, Any]]:
    out = []
    for index in entries.of(kind):
        try:
            out.append((index, parse((entries.records[index] or {})[key])))
        except (CryptoError, KeyError, TypeError) as exc:
            report.fail("ceremony", f"malformed {kind} record: {exc}", [index])
    return out


def _signed(
    report: Report,
    ceremony: Ceremony,
    commitments: dict[int, TrusteeCommitment],
    messages: list[tuple[int, Any]],
) -> list[tuple[int, Any]]:
    """The messages that carry their author's signature; each forged one fails the check."""
    kept = []
    for leaf, message in messages:
        try:
            verify_signed(ceremony, commitments.values(), message)
        except InvalidSignature as exc:
            report.fail("ceremony", f"forged trustee message: {exc}", [leaf])
            continue
        kept.append((leaf, message))
    return kept


def _ready(
    report: Report, entries: Entries, ceremony: Ceremony, commitments: dict[int, TrusteeCommitment]
) -> None:
    ready: set[int] = set()
    for leaf in entries.of("trustee-ready"):
        record = entries.records[leaf] or {}
        try:
            readiness = Readiness.from_json(record["ready"])
            if record.get("index") != readiness.index:
                raise ValueError("the record's index is not the statement's")
            verify_signed(ceremony, commitments.values(), readiness)
        except InvalidSignature as exc:
            report.fail("ceremony", f"forged trustee message: {exc}", [leaf])
            continue
        except (CryptoError, KeyError, TypeError, ValueError) as exc:
            report.fail("ceremony", f"malformed trustee-ready record: {exc}", [leaf])
            continue
        ready.add(readiness.index)
    missing = [name for j, name in enumerate(ceremony.trustees, 1) if j not in ready]
    if missing and entries.first("election-key") is not None:
        report.fail("ceremony", f"the election key was derived before {missing} were ready")


def _decide(
    report: Report,
    ceremony: Ceremony,
    commitments: dict[int, TrusteeCommitment],
    complaints: list[tuple[int, Complaint]],
    reveals: list[tuple[int, RevealedShare]],
) -> tuple[dict[int, TrusteeCommitment], list[str]]:
    """Decide every complaint in log order, as voting.services.ceremony.qualified_key does."""
    qualified = dict(commitments)
    disqualified: list[str] = []
    for leaf, complaint in complaints:
        if complaint.accused_index not in qualified:
            continue
        answer = next(
            (
                r
                for _, r in reveals
                if (r.sender_index, r.recipient_index)
                == (complaint.accused_index, complaint.accuser_index)
            ),
            None,
        )
        try:
            resolve_complaint(ceremony, complaint, list(qualified.values()), answer)
        except InvalidShare as exc:
            qualified.pop(complaint.accused_index)
            disqualified.append(complaint.accused)
            report.facts.setdefault("disqualified", []).append(
                {"trustee": complaint.accused, "reason": str(exc), "leaf": leaf}
            )
        except ValueError as exc:
            report.fail("ceremony", f"complaint cannot be decided: {exc}", [leaf])
    return qualified, disqualified


def _public_polynomials(
    report: Report,
    ceremony: Ceremony,
    qualified: dict[int, TrusteeCommitment],
    reveals: list[tuple[int, RevealedShare]],
) -> None:
    """A qualified trustee that revealed t distinct points has made f_i, hence f_i(0), public."""
    for index, commitment in qualified.items():
        leaves = [leaf for leaf, r in reveals if r.sender_index == index]
        points = {r.recipient_index for _, r in reveals if r.sender_index == index}
        if len(points) >= ceremony.threshold:
            report.fail(
                "ceremony",
                f"trustee {commitment.trustee!r} revealed {len(points)} points of its polynomial "
                f"(t = {ceremony.threshold}) and stayed qualified: its part of the election "
                "secret is public",
                leaves,
            )


def _logged_key(report: Report, entries: Entries, ceremony: Ceremony | None) -> ThresholdKey | None:
    index = entries.first("election-key")
    if index is None:
        report.skip("election-key", "the record has no election-key record")
        return None
    record = entries.records[index] or {}
    try:
        keys = record["verification_keys"]
        names = ceremony.trustees if ceremony else tuple(str(i) for i in sorted(keys, key=int))
        if set(keys) != {str(j) for j in range(1, len(names) + 1)}:
            raise ValueError(f"verification_keys must name exactly the trustees 1..{len(names)}")
        return ThresholdKey(
            threshold=ceremony.threshold if ceremony else len(names),
            public_key=Point.from_hex(record["public_key"]),
            trustees=names,
            verification_keys=tuple(Point.from_hex(keys[str(j)]) for j in range(1, len(names) + 1)),
        )
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        report.fail("election-key", f"the election-key record is malformed: {exc}", [index])
        return None


def _compare_key(
    report: Report,
    entries: Entries,
    ceremony: Ceremony,
    qualified: dict[int, TrusteeCommitment],
    disqualified: list[str],
    logged: ThresholdKey | None,
) -> None:
    index = entries.first("election-key")
    if logged is None or index is None:
        return
    record = entries.records[index] or {}
    if sorted(record.get("disqualified", [])) != sorted(disqualified):
        report.fail(
            "election-key",
            f"the log disqualifies {sorted(record.get('disqualified', []))}, the complaints "
            f"disqualify {sorted(disqualified)}",
            [index],
        )
    if len(qualified) < ceremony.threshold:
        report.fail("election-key", f"only {len(qualified)} trustees are qualified", [index])
        return
    derived = derive_threshold_key(ceremony, list(qualified.values()))
    if derived.public_key != logged.public_key:
        report.fail(
            "election-key",
            "the election key is not the sum of the qualified trustees' constant-term commitments",
            [index],
        )
    wrong = [
        name
        for name, a, b in zip(
            ceremony.trustees, derived.verification_keys, logged.verification_keys, strict=True
        )
        if a != b
    ]
    if wrong:
        report.fail("election-key", f"wrong verification keys of trustees {wrong}", [index])
    report.done(
        "election-key",
        f"{logged.public_key.hex()[:16]}… from {len(qualified)} qualified trustees, t = "
        f"{ceremony.threshold}",
    )
