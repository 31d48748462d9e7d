"""Fixtures for the crypto tests: keys, an election context, reference questions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.credentials import Credential
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.elgamal import KeyPair
from crypto.elgamal import generate_keypair
from crypto.group import RandomBytes
from crypto.testing import deterministic_rng

REFERENCE_QUESTIONS = (
    QuestionSpec("federal-1", 2, 0, 1),
    QuestionSpec("canton-zh-1", 2, 0, 1),
    QuestionSpec("commune-261-1", 2, 0, 1),
)
REFERENCE_SELECTIONS = {"federal-1": [1, 0], "canton-zh-1": [0, 1], "commune-261-1": [0, 0]}


@pytest.fixture()
def rng() -> RandomBytes:
    return deterministic_rng(b"urna tests")


@pytest.fixture(scope="session")
def keypair() -> KeyPair:
    return generate_keypair(rng=deterministic_rng(b"election key"))


@pytest.fixture(scope="session")
def election(keypair: KeyPair) -> ElectionContext:
    return ElectionContext(
        vote_day_id="2026-03-08-ch", manifest_hash=bytes(range(32)), public_key=keypair.public
    )


@pytest.fixture(scope="session")
def credential() -> Credential:
    return derive_credential(generate_code(rng=deterministic_rng(b"code")), "2026-03-08-ch")


@pytest.fixture(scope="session")
def other_credential() -> Credential:
    return derive_credential(generate_code(rng=deterministic_rng(b"other")), "2026-03-08-ch")


CastBallot = Callable[..., tuple[Ballot, BallotSecrets]]


@pytest.fixture(scope="session")
def cast(election: ElectionContext, credential: Credential) -> CastBallot:
    """Factory: encrypt a ballot for the reference questions (overridable)."""

    def make(
        selections: dict[str, list[int]] | None = None,
        *,
        voter: Credential | None = None,
        questions: tuple[QuestionSpec, ...] = REFERENCE_QUESTIONS,
    ) -> tuple[Ballot, BallotSecrets]:
        return encrypt_ballot(
            selections or REFERENCE_SELECTIONS,
            questions=questions,
            election=election,
            credential=voter or credential,
        )

    return make


@pytest.fixture(scope="session")
def reference_ballot(cast: CastBallot) -> tuple[Ballot, BallotSecrets]:
    return cast()
