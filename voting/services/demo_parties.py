"""The demo's trustees and witnesses, played on the server: for ``flask --app app demo`` only.

A real vote day's trustees decrypt on their own machines (``python -m
voting.trustee``) and its witnesses cosign from theirs (``python -m
voting.witness``). The demo has no other machines, so it keeps their secrets in
the instance folder (``<instance>/demo/``, mode 0600, written by
:mod:`voting.rehearsal.demo_vote`) and plays them here, through the very
services the trustees' and witnesses' API calls: every decryption share carries
its Chaum–Pedersen proofs and its trustee's signature and is verified before it
is logged (:func:`voting.services.decryption.submit_decryption_shares`); every
cosignature is a BLS signature of the signed checkpoint, authenticated by the
witness's Ed25519 key (:func:`voting.log.witnesses.submit_cosignature`). Nothing
skips the threshold decryption.

The views call this only when the application runs the demo (``URNA_DEMO``);
a production instance has no ``demo/`` folder to read from.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from nacl.signing import SigningKey

from crypto.errors import CryptoError
from crypto.note import parse_note
from crypto.trustees import KeyShare
from crypto.witness import WitnessSecretKey
from crypto.witness import sign_checkpoint
from crypto.witness.requests import sign_request
from crypto.witness.requests import submission_message
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.log import bulletin
from voting.log import witnesses
from voting.log.keys import LogSigning
from voting.models.session_types import DbSession
from voting.models.tally import DecryptionShareRow
from voting.services.decryption import SharesAccepted
from voting.services.decryption import submit_decryption_shares
from voting.services.decryption import trustee_shares
from voting.services.tally_log import read_threshold_key

__all__ = [
    "KEY_SHARES",
    "WITNESS_KEYS",
    "DemoKeyShareRefused",
    "DemoSecretsMissing",
    "DemoWitness",
    "cosign_as_demo_witnesses",
    "decrypt_as_demo_trustees",
    "read_demo_witnesses",
]

KEY_SHARES = "trustee-key-shares.json"
WITNESS_KEYS = "witness-keys.json"


class DemoKeyShareRefused(InvalidRequest):
    """A demo trustee's saved key share is not the one its verification key on the log names."""

    code = "demo_key_share_refused"


class DemoSecretsMissing(NotFound):
    """The demo folder lacks the secrets of its trustees or witnesses (not a demo instance)."""

    code = "demo_secrets_missing"


@dataclass(frozen=True)
class DemoWitness:
    """A demo witness: its name, its BLS key (cosigns) and its Ed25519 key (authenticates)."""

    name: str
    secret: WitnessSecretKey
    cosigner: SigningKey

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "secret": self.secret.to_bytes().hex(),
            "cosigner_seed": bytes(self.cosigner).hex(),
        }

    @classmethod
    def from_json(cls, value: dict[str, str]) -> DemoWitness:
        return cls(
            name=value["name"],
            secret=WitnessSecretKey.from_bytes(bytes.fromhex(value["secret"])),
            cosigner=SigningKey(bytes.fromhex(value["cosigner_seed"])),
        )


def _read(folder: Path, name: str) -> Any:
    path = folder / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DemoSecretsMissing(
            f"{path} is missing: this is not a demo instance (run 'flask --app app demo' first)"
        ) from exc


def decrypt_as_demo_trustees(
    session: DbSession, vote_day_id: str, folder: Path, *, signing: LogSigning | None = None
) -> SharesAccepted | None:
    """The demo's first t trustees who have not shared yet decrypt every unit's totals.

    Returns the last submission's outcome (``tallied`` once t trustees have
    shared every unit), or ``None`` when t trustees had already shared.

    Raises:
        DemoSecretsMissing: no key shares in ``folder``.
        DemoKeyShareRefused: a saved key share is not its trustee's (nothing of it is logged).
        TallyRefused: the vote day is not closed or its totals are not logged.
        DecryptionShareRefused: a share did not verify (nothing of it is logged).
    """
    saved = _read(folder, KEY_SHARES)
    if saved.get("vote_day") != vote_day_id:
        raise DemoSecretsMissing(f"the demo's key shares are for {saved.get('vote_day')!r}")
    threshold = read_threshold_key(session, vote_day_id).threshold
    done = _shared_trustees(session, vote_day_id)
    outcome = None
    for item in saved["key_shares"]:
        if len(done) >= threshold:
            break
        share = KeyShare.from_json(item)
        if share.trustee in done:
            continue
        try:
            submission = trustee_shares(session, vote_day_id, share)
        except CryptoError as exc:  # the prover refuses a share that is not the trustee's
            raise DemoKeyShareRefused(
                f"the demo key share of {share.trustee} does not match its verification key on "
                f"the log ({exc}); restore {folder / KEY_SHARES}"
            ) from exc
        outcome = submit_decryption_shares(
            session, vote_day_id, share.trustee, submission, signing=signing
        )
        done.add(share.trustee)
    return outcome


def _shared_trustees(session: DbSession, vote_day_id: str) -> set[str]:
    """The trustees who have logged decryption shares of this vote day."""
    rows = session.scalars(
        sa.select(DecryptionShareRow.trustee).where(DecryptionShareRow.vote_day_id == vote_day_id)
    )
    return set(rows)


def read_demo_witnesses(folder: Path) -> list[DemoWitness]:
    """The demo witnesses saved in ``folder``.

    Raises:
        DemoSecretsMissing: no witness keys in ``folder``.
    """
    return [DemoWitness.from_json(w) for w in _read(folder, WITNESS_KEYS)["witnesses"]]


def cosign_as_demo_witnesses(
    session: DbSession,
    vote_day_id: str,
    folder: Path,
    *,
    signing: LogSigning,
    now: dt.datetime | None = None,
) -> int:
    """Sign a checkpoint of the whole log; every demo witness cosigns it. Returns their number.

    Raises:
        DemoSecretsMissing: no witness keys in ``folder``.
    """
    demo_witnesses = read_demo_witnesses(folder)
    checkpoint = bulletin.issue_checkpoint(
        session, vote_day_id, signing, interval=dt.timedelta(0), now=now
    )
    text = parse_note(checkpoint.note).text
    for witness in demo_witnesses:
        signature = sign_checkpoint(witness.secret, text)
        message = submission_message(vote_day_id, witness.name, text, signature)
        witnesses.submit_cosignature(
            session,
            vote_day_id,
            witness_name=witness.name,
            note=checkpoint.note,
            signature=signature.hex(),
            auth=sign_request(witness.cosigner, message).hex(),
        )
    return len(demo_witnesses)
