"""The registrar's return-code setup with the authorities (docs/return-codes.md, "Setup").

Two steps, offline, around the authorities' own step (``python -m
voting.returncodes setup``):

1. :func:`build_requests`: per voter, x_c (from the voting code), X_c, a
   ballot casting key, and per single-choice question and choice the
   ElGamal encryption, under a fresh registrar key, of B = x_c·P_{q,o} (and
   of the confirmation point of the BCK). Every authority gets the same
   request lines (:mod:`crypto.returncode_setup`); the registrar keeps its
   secret key and the BCKs in a :class:`Pending` (in memory, or in a file
   readable only by it).
2. :func:`finish`: reads every authority's answer lines, checks each
   answer's signature and proof (naming the authority whose answer is
   wrong), decrypts and sums: LRC = K_c·B. It draws the short choice codes
   (distinct within a question) and the vote cast code, builds the lookup
   table (:mod:`crypto.returncode_table`), shuffles it, and returns the
   server's document (each voter's X_c and V_{j,c}, the shuffled table) and
   each card's codes.

The server never sees x_c, a BCK, a short code in clear or the registrar's key.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from crypto import returncode_setup as setup
from crypto import returncode_table as table
from crypto import returncodes as rc
from crypto.ballot import QuestionSpec
from crypto.credentials import derive_credential
from crypto.elgamal import Ciphertext
from crypto.elgamal import generate_keypair
from crypto.group import Point
from crypto.group import RandomBytes
from crypto.group import Scalar
from crypto.group import secure_random
from voting.registrar.card_texts import RETURN_CODE_TEXTS
from voting.registrar.cards import CardReturnCodes
from voting.registrar.cards import CodeTable


class ReturnCodeSetupError(ValueError):
    """The setup cannot go on: a missing or wrong answer (the message names the authority)."""


@dataclass(frozen=True)
class Voter:
    """One voter for the setup: the voting code and the ids of its ballot's questions."""

    code: str
    questions: tuple[str, ...]


@dataclass
class Pending:
    """The registrar's secrets between the requests and the answers (never leaves it)."""

    vote_day: str
    registrar_secret: Scalar
    header: setup.SetupHeader
    voters: list[setup.SetupVoter]
    codes: list[str]
    bcks: list[str]

    def to_json(self) -> dict[str, Any]:
        """Everything :func:`finish` needs, for the registrar's own file (SECRET: mode 0600)."""
        return {
            "vote_day": self.vote_day,
            "registrar_secret": self.registrar_secret.hex(),
            "request": self.request_lines(),
            "codes": self.codes,
            "bcks": self.bcks,
        }

    @classmethod
    def from_json(cls, value: Any) -> Pending:
        """Raises: InvalidEncoding, KeyError, TypeError: not a pending setup file."""
        header = setup.SetupHeader.from_json(value["request"][0])
        voters = [setup.SetupVoter.from_json(line, header) for line in value["request"][1:]]
        return cls(
            value["vote_day"],
            Scalar.from_hex(value["registrar_secret"]),
            header,
            voters,
            list(value["codes"]),
            list(value["bcks"]),
        )

    def request_lines(self) -> list[dict[str, Any]]:
        """The request file's lines (JSON Lines): the header, then one line per voter."""
        return [self.header.to_json(), *(v.to_json() for v in self.voters)]


@dataclass(frozen=True)
class CardCodes:
    """What one voting card prints: per question, choice label → short code; BCK; VCC."""

    code: str
    credential: str
    choice_codes: dict[str, dict[str, str]]
    bck: str
    vcc: str


@dataclass
class Finished:
    """The server's document and the cards' codes, in the voters' order."""

    server_document: dict[str, Any]
    cards: list[CardCodes] = field(default_factory=list)


def build_requests(
    *,
    vote_day: str,
    voters: Sequence[Voter],
    questions: Sequence[QuestionSpec],
    election_key: Point,
    manifest_hash: bytes,
    rng: RandomBytes = secure_random,
) -> Pending:
    """Step 1: the registrar key, the BCKs and the encrypted points of every voter."""
    keypair = generate_keypair(rng=rng)
    specs = {q.question_id: q for q in questions}
    header = setup.SetupHeader(
        vote_day_id=vote_day,
        manifest_hash=manifest_hash,
        election_key=election_key,
        registrar_key=keypair.public,
        questions=tuple(questions),
        voters=len(voters),
    )
    lines, bcks = [], []
    for voter in voters:
        secret = rc.derive_voter_secret(voter.code, vote_day)
        credential = derive_credential(voter.code, vote_day).public_key
        bck = table.generate_bck(rng=rng)
        rows, confirm = setup.setup_points(
            secret,
            vote_day_id=vote_day,
            credential=credential,
            questions=[specs[q] for q in voter.questions],
            bck=bck,
        )
        encrypt = _encryptor(keypair.public, rng)
        lines.append(
            setup.SetupVoter(
                credential=credential,
                voter_key=rc.voter_public(secret),
                questions=voter.questions,
                choices=tuple(tuple(encrypt(p) for p in row) for row in rows),
                confirm=encrypt(confirm),
            )
        )
        bcks.append(bck)
    return Pending(vote_day, keypair.secret, header, lines, [v.code for v in voters], bcks)


def _encryptor(public: Point, rng: RandomBytes) -> Any:
    def encrypt(point: Point) -> Ciphertext:
        return rc.encrypt_point(point, public, rng=rng)

    return encrypt


def finish(
    pending: Pending,
    answers: Mapping[str, Sequence[Any]],
    authorities: Sequence[Mapping[str, str]],
    *,
    rng: RandomBytes = secure_random,
) -> Finished:
    """Step 2: check every authority's answers, combine, draw the codes, build the table.

    ``answers`` maps an authority's name to its answer lines (one per voter,
    in request order); ``authorities`` are the vote day's, ``{"name", "key"}``
    (Ed25519, hex) as the officials entered them.

    Raises:
        ReturnCodeSetupError: an authority's answers are missing or wrong
            (the message names it); nothing is returned.
    """
    for authority in authorities:
        lines = _without_header(answers.get(authority["name"]) or [])
        if lines is None or len(lines) != len(pending.voters):
            raise ReturnCodeSetupError(
                f"authority {authority['name']}: expected {len(pending.voters)} answer lines, "
                f"got {len(lines)}"
            )
    answers = {name: _without_header(lines) for name, lines in answers.items()}
    result = Finished(
        {
            "vote_day": pending.vote_day,
            "manifest_hash": pending.header.manifest_hash.hex(),
            "voters": [],
            "lookup": [],
        }
    )
    entries: list[table.LookupEntry] = []
    specs = {q.question_id: q for q in pending.header.questions}
    for number, voter in enumerate(pending.voters):
        checked = [
            _checked(answers[a["name"]][number], voter, pending.header, a) for a in authorities
        ]
        card, voter_entries = _voter_codes(
            pending, number, voter, checked, [specs[q] for q in voter.questions], rng
        )
        entries += voter_entries
        result.cards.append(card)
        result.server_document["voters"].append(
            {
                "credential": voter.credential.hex(),
                "voter_key": voter.voter_key.hex(),
                "authority_keys": [c.verification_key.hex() for c in checked],
            }
        )
    result.server_document["lookup"] = [
        [e.key.hex(), e.sealed.hex()] for e in _shuffled(entries, rng)
    ]
    return result


def _without_header(lines: Sequence[Any]) -> list[Any]:
    """The per-voter lines of an answer file (its signed header line, if present, dropped:
    every voter line is signed and names the request line it answers)."""
    items = list(lines)
    if items and isinstance(items[0], dict) and items[0].get("type") == "rc-setup-answer-header":
        return items[1:]
    return items


def _checked(
    answer: Any, voter: setup.SetupVoter, header: setup.SetupHeader, authority: Mapping[str, str]
) -> setup.VoterAnswer:
    try:
        return setup.verify_voter_answer(
            answer,
            voter,
            header,
            authority=authority["name"],
            authority_key=bytes.fromhex(authority["key"]),
        )
    except rc.InvalidProof as exc:
        raise ReturnCodeSetupError(str(exc)) from exc


def _voter_codes(
    pending: Pending,
    number: int,
    voter: setup.SetupVoter,
    checked: Sequence[setup.VoterAnswer],
    questions: Sequence[QuestionSpec],
    rng: RandomBytes,
) -> tuple[CardCodes, list[table.LookupEntry]]:
    """Decrypt and sum each long code over the authorities; draw the short codes."""
    secret = pending.registrar_secret
    entries = []
    choice_codes: dict[str, dict[str, str]] = {}
    coded = [q for q in questions if q.max_selections == 1]
    for row, spec in enumerate(coded):
        labels = rc.choice_labels(spec)
        codes = table.generate_choice_codes(len(labels), rng=rng)
        choice_codes[spec.question_id] = dict(zip(labels, codes, strict=True))
        for column, code in enumerate(codes):
            long_code = rc.combine(
                [rc.decrypt_point(a.choices[row][column], secret) for a in checked]
            )
            entries.append(table.make_entry(long_code, code, rng=rng))
    vcc = table.generate_vcc(rng=rng)
    long_vcc = rc.combine([rc.decrypt_point(a.confirm, secret) for a in checked])
    entries.append(table.make_entry(long_vcc, vcc, rng=rng))
    card = CardCodes(
        code=pending.codes[number],
        credential=voter.credential.hex(),
        choice_codes=choice_codes,
        bck=pending.bcks[number],
        vcc=vcc,
    )
    return card, entries


def _shuffled(entries: list[table.LookupEntry], rng: RandomBytes) -> list[table.LookupEntry]:
    """A uniform shuffle (Fisher–Yates with rejection sampling from ``rng``)."""
    items = list(entries)
    for i in range(len(items) - 1, 0, -1):
        j = _below(i + 1, rng)
        items[i], items[j] = items[j], items[i]
    return items


def _below(n: int, rng: RandomBytes) -> int:
    limit = (1 << 64) - (1 << 64) % n
    while True:
        value = int.from_bytes(rng(8), "big")
        if value < limit:
            return value % n


def card_return_codes(
    card: CardCodes, questions: Sequence[Mapping[str, Any]], lang: str
) -> CardReturnCodes:
    """What the voting card prints: per question of the card, its title and each choice's
    text (in ``lang``, else the first language it has) with the short code.

    ``questions`` are the vote day's questions as in the manifest (``id``, ``titles``,
    ``options``) with ``option_texts``: one ``{lang: text}`` per option.
    """
    blank = RETURN_CODE_TEXTS[lang]["blank"]
    by_id = {q["id"]: q for q in questions}
    tables = []
    for question_id, codes in card.choice_codes.items():
        question = by_id[question_id]
        rows = []
        for label, code in codes.items():
            if label == rc.BLANK:
                rows.append((blank, code))
            else:
                rows.append((_text(question["option_texts"][int(label)], lang), code))
        tables.append(CodeTable(_text(question["titles"], lang), tuple(rows)))
    return CardReturnCodes(tables=tuple(tables), bck=card.bck, vcc=card.vcc)


def _text(texts: Mapping[str, str], lang: str) -> str:
    return texts.get(lang) or next(iter(texts.values()), "")
