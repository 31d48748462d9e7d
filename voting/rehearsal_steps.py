"""The officials', trustees', clerks' and witnesses' steps of a rehearsal (voting/rehearsal.py).

Each step goes through the same service a real deployment calls from its
web API or command line, so the log a rehearsal writes is the real thing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy.orm as so

from crypto.note import parse_note
from crypto.witness import WitnessSecretKey
from crypto.witness import prove_possession
from crypto.witness import sign_checkpoint
from voting.rehearsal_voters import rng_for
from voting.services import bulletin
from voting.services import witnesses
from voting.services.decryption import submit_decryption_shares
from voting.services.decryption import trustee_shares
from voting.services.lifecycle import close_vote_day
from voting.services.log_keys import LogSigning
from voting.services.tally import start_tally
from voting.simulation import LocalTrustees

__all__ = ["close_and_tally", "cosign_final_checkpoint", "register_witnesses"]


def register_witnesses(
    session: so.Session, vote_day: str, count: int, seed: bytes | None
) -> list[bytes]:
    """Register ``count`` local witnesses with the log; return their secret keys."""
    secrets = []
    for i in range(1, count + 1):
        secret = WitnessSecretKey.generate(rng=rng_for(seed, "witness", i))
        witnesses.register_witness(
            session,
            vote_day,
            name=f"rehearsal-witness-{i}",
            public_key=secret.public_key().hex(),
            proof=prove_possession(secret).hex(),
        )
        secrets.append(secret.to_bytes())
    return secrets


def close_and_tally(
    session: so.Session,
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
    session: so.Session, vote_day: str, secrets: list[bytes], signing: LogSigning
) -> None:
    """Sign a checkpoint of the whole log; every local witness cosigns it."""
    import datetime as dt

    checkpoint = bulletin.issue_checkpoint(session, vote_day, signing, interval=dt.timedelta(0))
    text = parse_note(checkpoint.note).text
    for i, raw in enumerate(secrets, start=1):
        signature = sign_checkpoint(WitnessSecretKey.from_bytes(raw), text)
        witnesses.submit_cosignature(
            session,
            vote_day,
            witness_name=f"rehearsal-witness-{i}",
            note=checkpoint.note,
            signature=signature.hex(),
        )
