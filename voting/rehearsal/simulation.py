"""Playing every trustee and the registrar locally: for rehearsals, the demo and tests.

In a real vote day each trustee runs the trustee tool on its own machine and
the registrar prints cards offline. A rehearsal (``flask --app app simulate``),
the demo and the tests play all of them in one process, through the same
services the web API calls, so the log they produce is the real thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crypto.group import RandomBytes
from crypto.group import secure_random
from crypto.trustees import KeyShare
from crypto.trustees import ThresholdKey
from crypto.trustees import TrusteeSecrets
from crypto.trustees import commit
from crypto.trustees import deal_shares
from crypto.trustees import declare_ready
from crypto.trustees import derive_key_share
from crypto.trustees import new_trustee
from crypto.trustees import open_shares
from voting.log.keys import LogSigning
from voting.models.session_types import DbSession
from voting.services import ceremony as ceremony_service
from voting.services.lifecycle import begin_key_ceremony


@dataclass(frozen=True)
class LocalTrustees:
    """The outcome of a locally played ceremony: the public key and every secret share."""

    key: ThresholdKey
    key_shares: tuple[KeyShare, ...]
    secrets: tuple[TrusteeSecrets, ...] = ()
    """every trustee's ceremony secrets (their signing keys sign what they say)"""


def run_local_ceremony(
    session: DbSession,
    vote_day_id: str,
    *,
    trustees: Sequence[str],
    threshold: int,
    signing: LogSigning | None = None,
    rng: RandomBytes = secure_random,
) -> LocalTrustees:
    """draft → credentials: every trustee honest, all messages through the log."""
    begin_key_ceremony(
        session, vote_day_id, trustees=trustees, threshold=threshold, signing=signing
    )
    state = ceremony_service.ceremony_state(session, vote_day_id)
    ceremony = state.ceremony
    secrets = [new_trustee(ceremony, name, rng=rng) for name in trustees]
    for s in secrets:  # (1) every trustee commits
        c = commit(ceremony, s, rng=rng)
        ceremony_service.submit_commitment(
            session, vote_day_id, s.trustee, c.to_json(), signing=signing
        )
    commitments = list(ceremony_service.ceremony_state(session, vote_day_id).commitments.values())
    for s in secrets:  # (2) every trustee deals its shares
        shares = deal_shares(ceremony, s, commitments, rng=rng)
        ceremony_service.submit_shares(
            session, vote_day_id, s.trustee, [sh.to_json() for sh in shares], signing=signing
        )
    state = ceremony_service.ceremony_state(session, vote_day_id)
    all_shares = [sh for shares in state.shares.values() for sh in shares]
    key_shares = []
    for s in secrets:  # (3) every trustee checks what it received and is ready
        received = open_shares(ceremony, s, commitments, all_shares)
        for complaint in received.complaints:
            ceremony_service.submit_complaint(
                session, vote_day_id, s.trustee, complaint.to_json(), signing=signing
            )
        key_shares.append(derive_key_share(ceremony, s, commitments, received.shares))
        ready = declare_ready(ceremony, s).to_json()
        ceremony_service.submit_ready(session, vote_day_id, s.trustee, ready, signing=signing)
    key = ceremony_service.complete_key_ceremony(session, vote_day_id, signing=signing)
    return LocalTrustees(key=key, key_shares=tuple(key_shares), secrets=tuple(secrets))
