"""The log itself: Merkle root, checkpoint signature, witnesses, a voter's receipt.

RFC 9162 section 2.1 (tree hash, inclusion and consistency proofs), C2SP
tlog-checkpoint and signed-note (the log's signature), docs/witnesses.md (the
BLS aggregate cosignature line, checked by
:func:`crypto.witness.verify_cosigned_checkpoint`).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from crypto import merkle
from crypto.errors import CryptoError
from crypto.errors import InvalidEncoding
from crypto.errors import NotEnoughCosignatures
from crypto.note import Checkpoint
from crypto.note import MalformedNote
from crypto.note import VerifierKey
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.receipt import Receipt
from crypto.receipt import verify_receipt
from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessPublicKey
from crypto.witness import verify_cosigned_checkpoint
from crypto.witness import verify_possession
from crypto.witness.cosignature import CosignerKey
from crypto.witness.cosignature import find_cosignature_v1
from voting.tools.verify.record import RecordFiles
from voting.tools.verify.record import UnusableRecord
from voting.tools.verify.report import Report
from voting.tools.verify.structure import Entries
from voting.tools.verify.tree import Frontier

__all__ = [
    "check_checkpoint",
    "check_merkle_root",
    "check_receipt",
    "check_roster_records",
    "check_witnesses",
    "read_receipt",
    "receipt_ranges",
]


def parse_log_key(text: str) -> VerifierKey:
    """The record's log key (an unparsable key makes the record unusable)."""
    try:
        return VerifierKey.parse(text)
    except MalformedNote as exc:
        raise UnusableRecord(f"log-key.txt is not a verifier key: {exc}") from exc


def unverified_checkpoint(note: str) -> Checkpoint:
    """The checkpoint body of the final note, before any signature check."""
    try:
        return parse_checkpoint(parse_note(note).text)
    except MalformedNote as exc:
        raise UnusableRecord(f"checkpoint.txt is not a checkpoint note: {exc}") from exc


def check_merkle_root(report: Report, tree: Frontier, checkpoint: Checkpoint) -> None:
    """(1) The entries' RFC 9162 tree hash is the checkpoint's, at its size."""
    if tree.size != checkpoint.size:
        report.fail(
            "merkle-root",
            f"the record has {tree.size} entries but the final checkpoint covers {checkpoint.size}",
        )
    root = tree.root()
    if root != checkpoint.root_hash:
        report.fail(
            "merkle-root",
            f"the entries hash to root {root.hex()}, the final checkpoint says "
            f"{checkpoint.root_hash.hex()}: an entry was changed, removed, added or moved",
        )
    report.done("merkle-root", f"{tree.size} entries, root {root.hex()[:16]}…")


def check_checkpoint(report: Report, note: str, key: VerifierKey, pinned_key: str | None) -> bool:
    """(2) The log's signature; the key is the one pinned by the observer, if any."""
    if pinned_key is not None and pinned_key.strip() != str(key):
        report.fail(
            "checkpoint-signature",
            f"the record's log key {key} is not the key you gave ({pinned_key.strip()})",
        )
    try:
        from crypto.note import verify_checkpoint

        checkpoint = verify_checkpoint(note, key)
    except CryptoError as exc:
        report.fail("checkpoint-signature", f"the final checkpoint: {exc}")
        return False
    signed_by = f"signed by {key.name} (key ID {key.key_id.hex()})"
    if pinned_key is None:
        report.unpinned(
            "checkpoint-signature",
            f"{signed_by}, the key the record ships: not independently checked "
            "(pass --log-key with the log's key as you obtained it)",
        )
    else:
        report.done("checkpoint-signature", f"{signed_by}, the key you gave")
    report.facts["checkpoint"] = {"origin": checkpoint.origin, "size": checkpoint.size}
    return not report.failed("checkpoint-signature")


def _roster(data: dict[str, Any]) -> Roster:
    members = []
    for item in data.get("witnesses", []):
        key = WitnessPublicKey.from_hex(item["public_key"])
        pop = bytes.fromhex(item["proof_of_possession"])
        _check_possession(key.data, pop)
        members.append(RosterMember(item["name"], key))
    return Roster(data["roster"], tuple(members))


@functools.lru_cache(maxsize=256)
def _check_possession(key: bytes, proof: bytes) -> None:
    # A pure check, cached: a verifier run on several records in one process
    # (the tests) verifies each witness's proof of possession once.
    verify_possession(WitnessPublicKey(key), proof)


def _listed_cosigners(data: dict[str, Any]) -> tuple[CosignerKey, ...]:
    """The C2SP witnesses the record lists (``witnesses.json`` ``cosigners``)."""
    keys = []
    for item in data.get("cosigners", []):
        cosigner = CosignerKey.from_vkey(item["vkey"])
        if cosigner.name != item["name"]:
            raise InvalidEncoding(f"cosigner {item['name']!r} has the vkey of {cosigner.name!r}")
        keys.append(cosigner)
    return tuple(keys)


def check_witnesses(
    report: Report,
    files: RecordFiles,
    key: VerifierKey,
    required: int,
    log_signed: bool,
    pinned: tuple[RosterMember, ...] | None = None,
    cosigners: tuple[CosignerKey, ...] = (),
) -> None:
    """(3) The roster's proofs of possession, the aggregate line and the ``cosignature/v1`` lines.

    The record's roster gives the BLS witnesses' positions in the aggregate's
    bitmap. Only the cosigners the observer pinned (their ``--roster`` file:
    BLS members ``pinned`` and C2SP witnesses ``cosigners``) count towards
    ``required``; without it the check can only be ``unpinned``: the log
    operator chose the record's roster. Lines of keys nobody pinned are
    ignored (C2SP tlog-witness: clients ignore unknown keys); a pinned
    witness's line that does not verify for this checkpoint fails.
    """
    try:
        roster = _roster(files.witnesses)
        listed = _listed_cosigners(files.witnesses)
    except (CryptoError, KeyError, TypeError, ValueError) as exc:
        report.fail("witnesses", f"the witness roster is not valid: {exc}")
        return
    report.facts["witness_roster"] = [m.name for m in roster.members] + [c.name for c in listed]
    report.facts["witness_roster_pinned"] = pinned is not None
    if not roster.members and not listed and not cosigners:
        if required > 0:
            report.fail("witnesses", "the record has no witness: nobody else saw this log")
        report.done("witnesses", "no witness roster")
        return
    if not log_signed:
        report.skip("witnesses", "not checked: the log's own signature on the checkpoint failed")
        return
    bls: tuple[RosterMember, ...] = ()
    try:
        if roster.members:
            bls = _cosigned(files.checkpoint, str(key), roster, 1)
    except NotEnoughCosignatures:
        bls = ()  # no aggregate line: no BLS witness cosigned
    except CryptoError as exc:
        report.fail("witnesses", f"the final checkpoint's cosignatures: {exc}")
        return
    ed25519: list[str] = []
    for cosigner in cosigners if pinned is not None else listed:
        try:
            if find_cosignature_v1(files.checkpoint, cosigner) is not None:
                ed25519.append(cosigner.name)
        except CryptoError as exc:
            report.fail(
                "witnesses",
                f"the final checkpoint carries a cosignature/v1 line of {cosigner.name!r} that "
                f"is not its cosignature of this checkpoint ({exc}): copied from another "
                "checkpoint or tree, or forged",
            )
            return
    if pinned is None:
        count = len(bls) + len(ed25519)
        report.facts["witnesses_cosigned"] = count
        if count < required:
            report.fail(
                "witnesses",
                f"{count} witnesses of the record's own roster cosigned the final checkpoint, "
                f"{required} required",
            )
            return
        report.unpinned(
            "witnesses",
            f"{len(bls)} of {len(roster.members)} BLS witnesses and {len(ed25519)} of "
            f"{len(listed)} C2SP witnesses of the record's own roster cosigned the final "
            "checkpoint: not independently checked (the log operator chose that roster; "
            "pass --roster FILE with the witnesses' keys you trust)",
        )
        return
    trusted = {(m.name, m.public_key.data) for m in pinned}
    counted_bls = [m.name for m in bls if (m.name, m.public_key.data) in trusted]
    others = [m.name for m in bls if (m.name, m.public_key.data) not in trusted]
    others += _unknown_lines(files.checkpoint, key, roster, set(ed25519))
    counted = counted_bls + ed25519
    report.facts["witnesses_cosigned"] = len(counted)
    report.facts["witnesses_counted"] = {"bls": counted_bls, "cosignature/v1": ed25519}
    report.facts["witnesses_not_in_your_roster"] = others
    total = len(pinned) + len(cosigners)
    named = _named(counted_bls, ed25519)
    if len(counted) < required:
        unlisted = f"; cosigned also by {', '.join(others)}, not in your roster" if others else ""
        report.fail(
            "witnesses",
            f"{len(counted)} of the {total} witnesses in your roster cosigned the final "
            f"checkpoint{named}, {required} required{unlisted}",
        )
        return
    report.done(
        "witnesses",
        f"{len(counted)} of the {total} witnesses in your roster cosigned the final "
        f"checkpoint{named}",
    )


def _named(bls: list[str], ed25519: list[str]) -> str:
    parts = [f"BLS: {', '.join(bls)}"] if bls else []
    parts += [f"cosignature/v1: {', '.join(ed25519)}"] if ed25519 else []
    return f" ({'; '.join(parts)})" if parts else ""


def _unknown_lines(note: str, key: VerifierKey, roster: Roster, counted: set[str]) -> list[str]:
    """Names of the note's other signature lines (not the log's, the aggregate's or counted)."""
    known = {key.name, roster.name, *counted}
    return sorted({s.name for s in parse_note(note).signatures if s.name not in known})


@functools.lru_cache(maxsize=64)
def _cosigned(note: str, key: str, roster: Roster, required: int) -> tuple[RosterMember, ...]:
    return verify_cosigned_checkpoint(note, key, roster, required).witnesses


def check_roster_records(report: Report, files: RecordFiles, entries: Entries) -> None:
    """(3b) Each member of the record's roster was approved on the log (a ``witness`` record).

    The record's ``witnesses.json`` must list exactly the witnesses of the
    log's ``witness`` records, at the positions they name: a witness the
    operator added to the roster without an official's approval on the log
    fails, naming the record's leaves.
    """
    members = files.witnesses.get("witnesses") if isinstance(files.witnesses, dict) else None
    if not isinstance(members, list):
        return  # check_witnesses failed on it already
    approved: dict[int, tuple[int, dict[str, Any]]] = {}
    for index in entries.of("witness"):
        record = entries.records[index] or {}
        position = record.get("position")
        if not isinstance(position, int) or position in approved:
            report.fail(
                "witnesses", "a witness record with a missing or repeated position", [index]
            )
            continue
        approved[position] = (index, record)
    for position, member in enumerate(members):
        found = approved.pop(position, None)
        name = member.get("name") if isinstance(member, dict) else None
        if found is None:
            report.fail(
                "witnesses",
                f"roster member {position} ({name!r}) has no witness record on the log: "
                "no official approved it",
            )
            continue
        index, record = found
        fields = ("name", "public_key", "proof_of_possession")
        if not isinstance(member, dict) or any(member.get(f) != record.get(f) for f in fields):
            report.fail(
                "witnesses",
                f"roster member {position} ({name!r}) is not the witness its record approved",
                [index],
            )
    _check_cosigner_records(report, files, entries)
    for position, (index, record) in sorted(approved.items()):
        report.fail(
            "witnesses",
            f"the witness record of {record.get('name')!r} (position {position}) is missing "
            "from the record's roster",
            [index],
        )


def _check_cosigner_records(report: Report, files: RecordFiles, entries: Entries) -> None:
    """The record's C2SP witnesses are exactly those of the log's ``cosigner`` records."""
    listed = files.witnesses.get("cosigners", [])
    if not isinstance(listed, list):
        return  # check_witnesses failed on it already
    on_log = {}
    for index in entries.of("cosigner"):
        record = entries.records[index] or {}
        on_log[record.get("vkey")] = index
    in_file = {item.get("vkey") for item in listed if isinstance(item, dict)}
    for item in listed:
        vkey = item.get("vkey") if isinstance(item, dict) else None
        if vkey not in on_log:
            report.fail(
                "witnesses",
                f"C2SP witness {vkey!r} of the record's roster has no cosigner record on the log",
            )
    for vkey, index in sorted(on_log.items(), key=lambda kv: kv[1]):
        if vkey not in in_file:
            report.fail(
                "witnesses", f"the cosigner record of {vkey!r} is missing from the roster", [index]
            )


def read_receipt(path: Path) -> Receipt:
    """The voter's receipt file (unreadable: the input is unusable)."""
    try:
        return Receipt.from_json(json.loads(path.read_text()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, CryptoError) as exc:
        raise UnusableRecord(f"cannot read the receipt {path}: {exc}") from exc


def receipt_ranges(receipt: Receipt, final: Checkpoint) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes :func:`check_receipt` needs (the leaf and its proof)."""
    ranges = [(receipt.index, receipt.index + 1)] if receipt.index < final.size else []
    try:
        if receipt.checkpoint is None:
            ranges += merkle.inclusion_proof_ranges(receipt.index, final.size)
        else:
            own = unverified_checkpoint(receipt.checkpoint)
            ranges += merkle.consistency_proof_ranges(own.size, final.size)
    except (ValueError, UnusableRecord):
        pass  # check_receipt reports it
    return ranges


def check_receipt(
    report: Report, receipt: Receipt, tree: Frontier, files: RecordFiles, key: VerifierKey
) -> None:
    """A voter's receipt: its leaf is in the final tree, and its checkpoint is a prefix.

    ``tree`` is the frontier made with :func:`receipt_ranges`: it holds the
    receipt's leaf hash and the hashes its proof is made of.
    """
    final = unverified_checkpoint(files.checkpoint)
    index = receipt.index
    try:
        if index >= tree.size or tree.leaf(index) != receipt.leaf_hash:
            raise InvalidEncoding(
                f"the record has no entry with tracking code hash {receipt.leaf_hash.hex()} "
                f"at leaf {index}"
            )
        if tree.size != final.size:
            raise InvalidEncoding(
                f"the record has {tree.size} entries, its final checkpoint covers {final.size}"
            )
        if receipt.checkpoint is None:
            ranges = merkle.inclusion_proof_ranges(index, final.size)
            proof = [tree.range_root(a, b) for a, b in ranges]
            verify_receipt(receipt, files.checkpoint, key, inclusion_proof=proof)
        else:
            own = unverified_checkpoint(receipt.checkpoint)
            if own.size > tree.size:
                raise InvalidEncoding(
                    f"the receipt's checkpoint (size {own.size}) is beyond the record's "
                    f"{tree.size} entries"
                )
            ranges = merkle.consistency_proof_ranges(own.size, final.size)
            proof = [tree.range_root(a, b) for a, b in ranges]
            verify_receipt(receipt, files.checkpoint, key, consistency_proof=proof)
    except (CryptoError, UnusableRecord, ValueError) as exc:
        report.fail("receipt", f"the receipt is not in this record: {exc}", [index])
        return
    report.facts["receipt"] = {"index": index, "type": "found"}
    report.done("receipt", f"the receipt's ballot is leaf {index} of the final checkpoint")
