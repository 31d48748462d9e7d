"""The officials', trustees', clerks' and witnesses' steps of a rehearsal (rehearse.py).

Each step goes through the same service a real deployment calls from its
web API or command line, so the log a rehearsal writes is the real thing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from crypto.clerk_signature import new_clerk_key
from crypto.clerk_signature import sign_counts
from crypto.note import parse_note
from crypto.witness import WitnessSecretKey
from crypto.witness import prove_possession
from crypto.witness import sign_checkpoint
from crypto.witness.requests import registration_message
from crypto.witness.requests import sign_request
from crypto.witness.requests import submission_message
from voting.log import bulletin
from voting.log import witnesses
from voting.log.keys import LogSigning
from voting.models.officials import Official
from voting.models.session_types import DbSession
from voting.rehearsal.simulation import LocalTrustees
from voting.rehearsal.voters import rng_for
from voting.services import officials
from voting.services import witness_roster
from voting.services.channels import register_clerk_key
from voting.services.channels import submit_channel_counts
from voting.services.decryption import submit_decryption_shares
from voting.services.decryption import trustee_shares
from voting.services.lifecycle import close_vote_day
from voting.services.tally import start_tally
from voting.services.tally_log import read_manifest

__all__ = [
    "POSTAL_UNIT",
    "PostalClerk",
    "close_and_tally",
    "cosign_final_checkpoint",
    "cosigner_of",
    "enter_postal_counts",
    "register_postal_clerk",
    "register_witnesses",
]

POSTAL_UNIT = "municipality:351"
"""Bern: its postal ballots are counted by hand and entered by a clerk."""


@dataclass(frozen=True)
class PostalClerk:
    official: Official
    key: SigningKey


def register_postal_clerk(
    session: DbSession, vote_day: str, signing: LogSigning, seed: bytes | None
) -> PostalClerk:
    """An official with the clerk role for :data:`POSTAL_UNIT` registers its key."""
    official = officials.create_official(
        session, "rehearsal-clerk", secrets.token_urlsafe(24), display_name="Rehearsal clerk"
    )
    officials.grant_role(session, official, "clerk", POSTAL_UNIT)
    key = new_clerk_key(rng=rng_for(seed, "clerk"))
    public = bytes(key.verify_key).hex()
    register_clerk_key(session, vote_day, official, POSTAL_UNIT, public, signing=signing)
    return PostalClerk(official, key)


def enter_postal_counts(
    session: DbSession,
    vote_day: str,
    clerk: PostalClerk,
    signing: LogSigning,
    *,
    ballots: int,
    rnd: random.Random,
) -> int:
    """The clerk signs and enters the postal counts, then a correction of them."""
    questions = read_manifest(session, vote_day).questions_for(POSTAL_UNIT)
    first = _postal_record(vote_day, clerk, questions, ballots, rnd, replaces=None)
    index = submit_channel_counts(
        session, vote_day, clerk.official, sign_counts(first, clerk.key), signing=signing
    )
    corrected = _postal_record(vote_day, clerk, questions, ballots + 1, rnd, replaces=index)
    return submit_channel_counts(
        session, vote_day, clerk.official, sign_counts(corrected, clerk.key), signing=signing
    )


def _postal_record(
    vote_day: str,
    clerk: PostalClerk,
    questions: list[dict[str, Any]],
    ballots: int,
    rnd: random.Random,
    *,
    replaces: int | None,
) -> dict[str, Any]:
    counts = {}
    for q in questions:  # single-choice: options + blank + invalid = ballots
        invalid, blank = rnd.randint(0, 2), rnd.randint(0, 3)
        left = ballots - invalid - blank
        options = [0] * len(q["options"])
        for _ in range(left):
            options[0 if rnd.random() < 0.55 else rnd.randrange(len(options))] += 1
        counts[q["id"]] = {"options": options, "blank": blank, "invalid": invalid}
    return {
        "type": "channel-counts",
        "vote_day": vote_day,
        "unit": POSTAL_UNIT,
        "channel": "postal",
        "clerk": clerk.official.username,
        "ballots_cast": ballots,
        "questions": counts,
        "replaces": replaces,
    }


def register_witnesses(
    session: DbSession, vote_day: str, count: int, seed: bytes | None, signing: LogSigning
) -> list[bytes]:
    """``count`` local witnesses ask to join the roster; an administrator approves each.

    Returns their BLS secret keys (their Ed25519 keys derive from them: :func:`cosigner_of`).
    """
    admin = officials.create_official(
        session, "rehearsal-admin", secrets.token_urlsafe(24), display_name="Rehearsal admin"
    )
    officials.grant_role(session, admin, witness_roster.APPROVER_ROLE)
    keys = []
    for i in range(1, count + 1):
        secret = WitnessSecretKey.generate(rng=rng_for(seed, "witness", i))
        name = f"rehearsal-witness-{i}"
        public, proof = secret.public_key().data, prove_possession(secret)
        cosigner = cosigner_of(secret.to_bytes())
        cosigner_key = bytes(cosigner.verify_key)
        message = registration_message(vote_day, name, public, proof, cosigner_key)
        pending = witnesses.request_witness(
            session,
            vote_day,
            name=name,
            public_key=public.hex(),
            proof=proof.hex(),
            cosigner_key=cosigner_key.hex(),
            signature=sign_request(cosigner, message).hex(),
        )
        witness_roster.approve(session, vote_day, pending.id, admin, signing=signing)
        keys.append(secret.to_bytes())
    return keys


def cosigner_of(bls_secret: bytes) -> SigningKey:
    """A rehearsal witness's Ed25519 key, derived from its BLS secret key."""
    return SigningKey(hashlib.sha256(b"urna/rehearsal/witness-ed25519\n" + bls_secret).digest())


def close_and_tally(
    session: DbSession,
    vote_day: str,
    trustees: LocalTrustees,
    signing: LogSigning,
    *,
    absent: str,
    seed: bytes | None,
    summary: Any,
) -> None:
    """Close; log the encrypted totals; every trustee but ``absent`` decrypts."""
    close_vote_day(session, vote_day, signing=signing)
    tally = start_tally(session, vote_day, signing=signing)
    summary.units = tally.units
    for key_share in trustees.key_shares:
        if key_share.trustee == absent:
            continue
        submission = trustee_shares(
            session, vote_day, key_share, rng=rng_for(seed, "decrypt", key_share.trustee)
        )
        submit_decryption_shares(session, vote_day, key_share.trustee, submission, signing=signing)


def cosign_final_checkpoint(
    session: DbSession, vote_day: str, secrets: list[bytes], signing: LogSigning
) -> None:
    """Sign a checkpoint of the whole log; every local witness cosigns it."""
    checkpoint = bulletin.issue_checkpoint(session, vote_day, signing, interval=dt.timedelta(0))
    text = parse_note(checkpoint.note).text
    for i, raw in enumerate(secrets, start=1):
        name = f"rehearsal-witness-{i}"
        signature = sign_checkpoint(WitnessSecretKey.from_bytes(raw), text)
        auth = sign_request(cosigner_of(raw), submission_message(vote_day, name, text, signature))
        witnesses.submit_cosignature(
            session,
            vote_day,
            witness_name=name,
            note=checkpoint.note,
            signature=signature.hex(),
            auth=auth.hex(),
        )
