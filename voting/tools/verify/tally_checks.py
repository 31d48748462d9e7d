"""The tally: encrypted totals, decryption shares and the electronic counts.

DESIGN.md section 6 and docs/record.md. Each unit with registered
credentials has one ``encrypted-totals`` record: the homomorphic sums of its
counted ballots per question (manifest order) and option, the trivial
encryption of 0 (both points the identity) where nothing was counted. Each
trustee that decrypted publishes one ``decryption-shares`` record per unit,
whose Chaum–Pedersen proofs are checked against its verification key
(docs/trustees.md step 8); the unit's ``electronic-counts`` must be what t
valid shares recombine to (step 9).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crypto.elgamal import Ciphertext
from crypto.encoding import unhex
from crypto.errors import CryptoError
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidShare
from crypto.errors import InvalidSignature
from crypto.group import Point
from crypto.trustees import DecryptionShare
from crypto.trustees import ThresholdKey
from crypto.trustees import combine_decryption_shares
from crypto.trustees import verify_decryption_share
from crypto.trustees import verify_decryption_signature
from voting.rules.publication import minimum_of
from voting.rules.publication import publication_groups
from voting.tools.verify.ballots import BallotSums
from voting.tools.verify.ceremony_checks import CeremonyOutcome
from voting.tools.verify.manifest_checks import ElectionFacts
from voting.tools.verify.report import Report
from voting.tools.verify.structure import Entries

__all__ = ["check_tally"]

IDENTITY = Point.identity()
Totals = tuple[int, int, list[Ciphertext], list[str]]
"""A group's verified totals: leaf, ballots, ciphertexts in order, member units."""


def check_tally(
    report: Report,
    entries: Entries,
    facts: ElectionFacts,
    ceremony: CeremonyOutcome,
    sums: BallotSums,
) -> None:
    """Check the encrypted totals, every decryption share and the electronic counts."""
    if "close" not in entries.lifecycle:
        for name in ("encrypted-totals", "decryption-shares", "electronic-counts"):
            report.skip(name, "the vote day has not closed: nothing to tally yet")
        return
    totals = _check_totals(report, entries, facts, sums)
    _check_decryptions(report, entries, facts, ceremony, totals)


def manifest_questions(facts: ElectionFacts, unit: str) -> list[dict[str, Any]]:
    """The questions on a ballot of ``unit`` in manifest order (the tally's canonical order)."""
    chain = set(facts.chain(unit))
    return [q for q in facts.questions if q["jurisdiction"] in chain]


def _identity_or_point(text: Any) -> Point:
    return IDENTITY if text == IDENTITY.hex() else Point.from_hex(text)


def _ciphertext(value: Any) -> Ciphertext:
    if not isinstance(value, dict) or set(value) != {"pad", "data"}:
        raise ValueError('a ciphertext is {"pad": hex, "data": hex}')
    return Ciphertext(_identity_or_point(value["pad"]), _identity_or_point(value["data"]))


def _by_unit(
    report: Report, entries: Entries, kind: str, check: str
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    for index in entries.of(kind):
        record = entries.records[index] or {}
        unit = record.get("unit")
        if not isinstance(unit, str):
            report.fail(check, f"a {kind} record without a unit", [index])
            continue
        yield index, unit, record


def _check_totals(
    report: Report, entries: Entries, facts: ElectionFacts, sums: BallotSums
) -> dict[str, Totals]:
    """Recompute each group's totals; return unit → (leaf, ballots, ciphertexts in order).

    The groups are the units with credentials merged as the manifest's
    minimum publication size asks (:func:`voting.rules.publication.publication_groups`).
    """
    found: dict[str, Totals] = {}
    ballots = {u: sums.counted.get(u, 0) for u in facts.credential_units}
    minimum = minimum_of(facts.manifest)
    groups = publication_groups(facts.parents, facts.questions, ballots, minimum)
    for index, unit, record in _by_unit(report, entries, "encrypted-totals", "encrypted-totals"):
        if unit in found:
            report.fail("encrypted-totals", f"{unit} has two encrypted-totals records", [index])
            continue
        if unit not in groups:
            _fail_group(report, index, unit, unit in facts.parents, ballots, minimum, groups)
            continue
        members = groups[unit]
        if record.get("units") != members:
            report.fail(
                "publication-minimum",
                f"{unit}: the totals must sum the ballots of {', '.join(members)} (at least "
                f"{minimum} ballots per published count), the record names {record.get('units')}",
                [index],
            )
        expected = _expected_totals(facts, unit, members, sums)
        counted = sum(ballots[m] for m in members)
        if record.get("ballots") != counted:
            report.fail(
                "encrypted-totals",
                f"{unit}: the record counts {record.get('ballots')} ballots, the log has "
                f"{counted} counted ballots of its voters",
                [index],
            )
        if record.get("questions") != expected:
            report.fail(
                "encrypted-totals",
                f"{unit}: the encrypted totals are not the sums of its counted ballots",
                [index],
            )
        flat = [_ciphertext(ct) for q in expected for ct in q["ciphertexts"]]
        found[unit] = (index, counted, flat, members)
    missing = sorted(set(groups) - set(found))
    if missing and entries.of("encrypted-totals"):
        report.fail("encrypted-totals", f"no encrypted totals for {', '.join(missing)}")
    if not entries.of("encrypted-totals"):
        report.skip("encrypted-totals", "the tally has not started")
        report.skip("publication-minimum", "the tally has not started")
    else:
        report.done("encrypted-totals", f"{len(found)} units recomputed from the counted ballots")
        merged = sum(len(m) for m in groups.values()) - len(groups)
        report.done(
            "publication-minimum",
            f"at least {minimum} ballots per published count where the results allow; "
            f"{merged} units counted with another",
        )
    return found


def _fail_group(
    report: Report,
    index: int,
    unit: str,
    known: bool,
    ballots: dict[str, int],
    minimum: int,
    groups: dict[str, list[str]],
) -> None:
    """Name what is wrong with totals for ``unit``, which is not a group's label."""
    into = next((label for label, members in groups.items() if unit in members), None)
    if into is not None:
        report.fail(
            "publication-minimum",
            f"{unit} has its own totals with {ballots[unit]} ballots, fewer than the manifest's "
            f"minimum of {minimum}: they must be counted with {into}",
            [index],
        )
    elif known:
        labels = ", ".join(sorted(groups)[:20])
        report.fail(
            "publication-minimum",
            f"{unit} is not a unit whose totals are published under the manifest's minimum of "
            f"{minimum}: the groups are labelled {labels}",
            [index],
        )
    else:
        report.fail("encrypted-totals", f"{unit} is not a unit of the manifest", [index])


def _expected_totals(
    facts: ElectionFacts, unit: str, members: list[str], sums: BallotSums
) -> list[dict[str, Any]]:
    out = []
    for q in manifest_questions(facts, unit):
        cts = [Ciphertext(IDENTITY, IDENTITY) for _ in q["options"]]
        for member in members:
            if own := sums.sums.get(member, {}).get(q["id"]):
                cts = [a + b for a, b in zip(cts, own, strict=True)]
        out.append({"question": q["id"], "ciphertexts": [ct.to_json() for ct in cts]})
    return out


def _check_signed(
    record: dict[str, Any],
    unit: str,
    share: DecryptionShare,
    ceremony: CeremonyOutcome,
    manifest_hash: bytes,
) -> None:
    """The share is signed by its trustee under its commitment's verify key.

    Raises:
        InvalidShare: naming the trustee, when the signature is missing or not its.
    """
    verify_key = (ceremony.verify_keys or {}).get(share.index)
    try:
        if verify_key is None:
            raise InvalidSignature(f"trustee {share.trustee!r} has no commitment to check against")
        signature = unhex(record.get("signature"), 64, what="signature")
        verify_decryption_signature(unit, share, signature, verify_key, manifest_hash=manifest_hash)
    except (InvalidSignature, InvalidEncoding) as exc:
        raise InvalidShare(str(exc), trustee=share.trustee) from exc


def _check_decryptions(
    report: Report,
    entries: Entries,
    facts: ElectionFacts,
    ceremony: CeremonyOutcome,
    totals: dict[str, Totals],
) -> dict[str, dict[str, list[int]]]:
    """Check every share and recombine; return unit → question → counts (verified ones)."""
    key = ceremony.key
    if key is None:
        report.skip("decryption-shares", "no usable election key")
        report.skip("electronic-counts", "no usable election key")
        return {}
    valid: dict[int, tuple[str, DecryptionShare]] = {}
    seen: set[tuple[str, int]] = set()
    for index, unit, record in _by_unit(report, entries, "decryption-shares", "decryption-shares"):
        if unit not in totals:
            report.fail(
                "decryption-shares", f"a decryption of {unit}, which has no totals", [index]
            )
            continue
        try:
            share = DecryptionShare.from_json(record.get("share"))
            if (unit, share.index) in seen:
                raise ValueError(f"trustee {share.trustee!r} decrypted {unit} twice")
            seen.add((unit, share.index))
            verify_decryption_share(share, key, totals[unit][2], manifest_hash=facts.manifest_hash)
            _check_signed(record, unit, share, ceremony, facts.manifest_hash)
        except InvalidShare as exc:
            report.fail("decryption-shares", f"{unit}: trustee {exc.trustee!r}: {exc}", [index])
            continue
        except (CryptoError, ValueError, TypeError) as exc:
            report.fail("decryption-shares", f"{unit}: malformed decryption share: {exc}", [index])
            continue
        valid[index] = (unit, share)
    if entries.of("decryption-shares"):
        trustees = sorted({s.trustee for _, s in valid.values()})
        report.done(
            "decryption-shares",
            f"{len(valid)} shares verified, by {', '.join(trustees) or 'nobody'}",
        )
    else:
        report.skip("decryption-shares", "no decryption shares yet")
    return _check_counts(report, entries, facts, key, totals, valid)


def _check_counts(
    report: Report,
    entries: Entries,
    facts: ElectionFacts,
    key: ThresholdKey,
    totals: dict[str, Totals],
    valid: dict[int, tuple[str, DecryptionShare]],
) -> dict[str, dict[str, list[int]]]:
    counts: dict[str, dict[str, list[int]]] = {}
    for index, unit, record in _by_unit(report, entries, "electronic-counts", "electronic-counts"):
        if unit not in totals or unit in counts:
            report.fail("electronic-counts", f"unexpected electronic counts of {unit}", [index])
            continue
        plain = _recombine(report, index, unit, record, key, facts, totals[unit], valid)
        if plain is None:
            continue
        expected = _shape_counts(facts, unit, plain)
        if record.get("units") != totals[unit][3]:
            report.fail(
                "publication-minimum",
                f"{unit}: the counts must name the units of its totals, {totals[unit][3]}",
                [index],
            )
        if record.get("ballots") != totals[unit][1] or record.get("questions") != expected:
            report.fail(
                "electronic-counts",
                f"{unit}: the logged counts are not what the decryption shares give",
                [index],
            )
        counts[unit] = expected
    missing = sorted(set(totals) - set(counts))
    if entries.of("electronic-counts"):
        if missing:
            report.fail("electronic-counts", f"no verified counts for {', '.join(missing)}")
        report.done("electronic-counts", f"{len(counts)} units recombined from t shares each")
    else:
        report.skip("electronic-counts", "no electronic counts yet")
    return counts


def _recombine(
    report: Report,
    index: int,
    unit: str,
    record: dict[str, Any],
    key: ThresholdKey,
    facts: ElectionFacts,
    totals: Totals,
    valid: dict[int, tuple[str, DecryptionShare]],
) -> tuple[int, ...] | None:
    """The plaintexts from the shares the record names (they must be t valid ones of the unit)."""
    named = record.get("shares")
    if not isinstance(named, list) or len(named) != key.threshold:
        report.fail(
            "electronic-counts", f"{unit}: the counts must name {key.threshold} shares", [index]
        )
        return None
    bad = [i for i in named if not isinstance(i, int) or valid.get(i, ("",))[0] != unit]
    if bad:
        report.fail(
            "electronic-counts",
            f"{unit}: the counts rest on decryption shares that are not valid shares of {unit}",
            [index, *[i for i in bad if isinstance(i, int)]],
        )
        return None
    try:
        return combine_decryption_shares(
            key,
            totals[2],
            [valid[i][1] for i in named],
            manifest_hash=facts.manifest_hash,
            bound=totals[1],
        )
    except (CryptoError, ValueError) as exc:
        report.fail("electronic-counts", f"{unit}: cannot recombine: {exc}", [index, *named])
        return None


def _shape_counts(facts: ElectionFacts, unit: str, plain: tuple[int, ...]) -> dict[str, list[int]]:
    out, position = {}, 0
    for q in manifest_questions(facts, unit):
        width = len(q["options"])
        out[q["id"]] = list(plain[position : position + width])
        position += width
    return out
