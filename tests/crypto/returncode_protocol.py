"""A whole return-code protocol run in memory: registrar, m authorities, device, server.

Shared by tests/crypto/test_returncodes.py, the vectors builder and the
authority tool's tests; it plays every party with crypto/ alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nacl.signing import SigningKey

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
from crypto.returncode_messages import ChoiceCodesRequest
from crypto.returncode_messages import ConfirmRequest
from crypto.returncode_setup import SetupHeader
from crypto.returncode_setup import SetupVoter
from crypto.returncode_setup import VoterAnswer
from crypto.returncode_setup import setup_points
from crypto.returncode_table import LookupEntry
from crypto.returncode_table import generate_bck
from crypto.returncode_table import generate_choice_codes
from crypto.returncode_table import generate_vcc
from crypto.returncode_table import make_entry
from crypto.returncodes import choice_labels
from crypto.returncodes import combine
from crypto.returncodes import decrypt_point
from crypto.returncodes import derive_voter_secret
from crypto.returncodes import encrypt_point
from crypto.returncodes import prove_confirmation
from crypto.returncodes import prove_partial_code
from crypto.returncodes import return_code_questions
from crypto.returncodes import voter_public

VOTE_DAY = "2026-03-08-ch"
QUESTIONS = (
    QuestionSpec("federal-1", 2, 0, 1),
    QuestionSpec("federal-2", 3, 1, 1),
    QuestionSpec("canton-zh-1", 3, 0, 2),
)
"""A yes/no question with blank, a 3-way choice without blank, and a multi-choice one."""


@dataclass(frozen=True)
class Authority:
    name: str
    secret: bytes
    signing_key: SigningKey

    @property
    def public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)


@dataclass(frozen=True)
class Card:
    """What the registrar prints: the code, the choice codes, BCK and VCC."""

    code: str
    credential: Credential
    choice_codes: dict[str, dict[str, str]]
    bck: str
    vcc: str


@dataclass
class Registrar:
    """The registrar's side of setup, as rcserver's voting/registrar will do it."""

    header: SetupHeader
    keypair: KeyPair
    rng: RandomBytes

    def voter_line(self, card_code: str, bck: str) -> tuple[SetupVoter, Credential]:
        credential = derive_credential(card_code, VOTE_DAY)
        x = derive_voter_secret(card_code, VOTE_DAY)
        rows, confirm = setup_points(
            x,
            vote_day_id=VOTE_DAY,
            credential=credential.public_key,
            questions=self.header.questions,
            bck=bck,
        )
        enc = self.keypair.public
        line = SetupVoter(
            credential=credential.public_key,
            voter_key=voter_public(x),
            questions=tuple(q.question_id for q in self.header.questions),
            choices=tuple(tuple(encrypt_point(p, enc, rng=self.rng) for p in r) for r in rows),
            confirm=encrypt_point(confirm, enc, rng=self.rng),
        )
        return line, credential

    def table(self, answers: list[VoterAnswer], card: Card) -> list[LookupEntry]:
        """Decrypt and sum the authorities' answers; seal the card's codes under the LRCs."""
        coded = return_code_questions(self.header.questions)
        entries = []
        for qi, spec in enumerate(coded):
            for oi, label in enumerate(choice_labels(spec)):
                lrc = combine(
                    [decrypt_point(a.choices[qi][oi], self.keypair.secret) for a in answers]
                )
                code = card.choice_codes[spec.question_id][label]
                entries.append(make_entry(lrc, code, rng=self.rng))
        lvcc = combine([decrypt_point(a.confirm, self.keypair.secret) for a in answers])
        entries.append(make_entry(lvcc, card.vcc, rng=self.rng))
        return entries


def make_header(election: ElectionContext, registrar: KeyPair, voters: int) -> SetupHeader:
    return SetupHeader(
        vote_day_id=VOTE_DAY,
        manifest_hash=election.manifest_hash,
        election_key=election.public_key,
        registrar_key=registrar.public,
        questions=QUESTIONS,
        voters=voters,
    )


def make_authorities(rng: RandomBytes, m: int = 4) -> list[Authority]:
    return [Authority(f"rca-{j + 1}", rng(32), SigningKey(rng(32))) for j in range(m)]


def make_card(rng: RandomBytes) -> Card:
    code = generate_code(rng=rng)
    codes = {
        q.question_id: dict(
            zip(
                choice_labels(q), generate_choice_codes(len(choice_labels(q)), rng=rng), strict=True
            )
        )
        for q in return_code_questions(QUESTIONS)
    }
    return Card(
        code, derive_credential(code, VOTE_DAY), codes, generate_bck(rng=rng), generate_vcc(rng=rng)
    )


def registrar_for(election: ElectionContext, rng: RandomBytes, voters: int = 1) -> Registrar:
    keypair = generate_keypair(rng=rng)
    return Registrar(make_header(election, keypair, voters), keypair, rng)


def vote(
    card: Card,
    selections: Mapping[str, list[int]],
    *,
    election: ElectionContext,
    rng: RandomBytes,
    leaf_index: int = 0,
) -> tuple[Ballot, BallotSecrets, ChoiceCodesRequest]:
    """The device: encrypt, sign, and prove the partial codes."""
    ballot, secrets = encrypt_ballot(
        selections, questions=QUESTIONS, election=election, credential=card.credential, rng=rng
    )
    x = derive_voter_secret(card.code, VOTE_DAY)
    codes = tuple(
        prove_partial_code(ballot, secrets, q, election=election, voter_secret=x, rng=rng)
        for q in return_code_questions(QUESTIONS)
    )
    return ballot, secrets, ChoiceCodesRequest(ballot, leaf_index, codes)


def confirm_request(card: Card, bck: str, rng: RandomBytes) -> ConfirmRequest:
    x = derive_voter_secret(card.code, VOTE_DAY)
    pbck, proof = prove_confirmation(
        x, bck, vote_day_id=VOTE_DAY, credential=card.credential.public_key, rng=rng
    )
    return ConfirmRequest(VOTE_DAY, card.credential.public_key, pbck, proof)


def lookup(entries: list[LookupEntry]) -> dict[bytes, bytes]:
    return {e.key: e.sealed for e in entries}
