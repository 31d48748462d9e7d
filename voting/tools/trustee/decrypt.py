"""The trustee's partial decryption of the encrypted totals (docs/trustees.md, step 8).

From its key share (derived at the end of the ceremony, or now), the trustee
downloads the manifest and the ``encrypted-totals`` records, checks that the
manifest names the election key its ceremony gave, and uploads for each unit
it has not shared yet D_j = x_j·α with a Chaum–Pedersen proof for every
ciphertext (the questions' options in order), in batches the server takes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto.elgamal import Ciphertext
from crypto.errors import CryptoError
from crypto.group import Point
from crypto.trustees import KeyShare
from crypto.trustees import ThresholdKey
from crypto.trustees import decrypt_share
from crypto.trustees import sign_decryption
from voting.tools.trustee.public import ServerMisbehaves
from voting.tools.trustee.remote import MAX_BATCH_CIPHERTEXTS
from voting.tools.trustee.remote import TrusteeServer

_IDENTITY_HEX = Point.identity().hex()


@dataclass(frozen=True)
class DecryptionDone:
    """What one run uploaded."""

    units: int
    ciphertexts: int
    skipped: int
    """units this trustee had shared before"""
    requests: int
    tallied: bool


def manifest_hash(server: TrusteeServer, key: ThresholdKey) -> bytes:
    """SHA-256 of the logged manifest, after checking it names this ceremony's key.

    Raises:
        ServerMisbehaves: the manifest's key or roster differ from the ceremony's.
    """
    data = server.manifest()
    try:
        manifest = json.loads(data)
        roster = [t["name"] for t in manifest["trustees"]]
        named_key = manifest["election_key"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ServerMisbehaves(f"the manifest is malformed: {exc}") from exc
    if named_key != key.public_key.hex() or tuple(roster) != key.trustees:
        raise ServerMisbehaves("the manifest does not name the key the ceremony gave")
    return hashlib.sha256(data).digest()


def ciphertexts_of(record: dict[str, Any]) -> list[Ciphertext]:
    """A totals record's ciphertexts in canonical order (questions, then options)."""
    try:
        return [
            Ciphertext(pad=_point(ct["pad"]), data=_point(ct["data"]))
            for question in record["questions"]
            for ct in question["ciphertexts"]
        ]
    except (CryptoError, KeyError, TypeError) as exc:
        raise ServerMisbehaves(f"malformed encrypted totals: {exc}") from exc


def _point(text: Any) -> Point:
    return Point.identity() if text == _IDENTITY_HEX else Point.from_hex(text)


def decrypt_totals(server: TrusteeServer, key_share: KeyShare, key: ThresholdKey) -> DecryptionDone:
    """Share every unit not shared yet; return what was sent.

    Raises:
        Refused: the server refused a batch (e.g. the vote day is not closed).
        ServerMisbehaves: the manifest or the totals do not check out.
    """
    digest = manifest_hash(server, key)
    shared = server.shared_units()
    todo: list[dict[str, Any]] = []
    skipped = 0
    for record in server.encrypted_totals():
        unit = record.get("unit")
        if key_share.index in shared.get(str(unit), []):
            skipped += 1
            continue
        todo.append(record)
    requests = 0
    tallied = False
    for batch in _batches(todo):
        items = [_share_item(record, key_share, key, digest) for record in batch]
        tallied = bool(server.post_decryption_shares(items).get("tallied"))
        requests += 1
    count = sum(len(ciphertexts_of(r)) for r in todo)
    return DecryptionDone(len(todo), count, skipped, requests, tallied)


def _share_item(
    record: dict[str, Any], key_share: KeyShare, key: ThresholdKey, digest: bytes
) -> dict[str, Any]:
    share = decrypt_share(key_share, key, ciphertexts_of(record), manifest_hash=digest)
    signature = sign_decryption(key_share, record["unit"], share, manifest_hash=digest)
    return {"unit": record["unit"], "share": share.to_json(), "signature": signature.hex()}


def _batches(records: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    batches: list[list[dict[str, Any]]] = []
    size = 0
    for record in records:
        width = sum(len(q["ciphertexts"]) for q in record["questions"])
        if not batches or size + width > MAX_BATCH_CIPHERTEXTS:
            batches.append([])
            size = 0
        batches[-1].append(record)
        size += width
    return batches
