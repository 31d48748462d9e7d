"""The Python client's side of return codes (docs/return-codes.md): what the device does.

For a vote day with return codes the device proves, for each single-choice
question, the partial choice code pCC = x_c·P_{q,o} of the choice its ballot
encrypts (:func:`crypto.returncodes.prove_partial_code`), casts the ballot
with them, shows the short codes the server returns next to each choice (the
voter compares them with the card), and, once the voter types the ballot
casting key, sends pBCK with its proof and shows the vote cast code::

    coded = cast_with_codes(client, day, code, {"federal-1": ["yes"]})
    print(coded.codes)                           # {"federal-1": "4711"}: compare with the card
    print(confirm(client, day, code, "123456785"))  # the vote cast code
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from crypto import returncode_table
from crypto import returncodes as rc
from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.group import RandomBytes
from crypto.group import secure_random
from crypto.receipt import Receipt

if TYPE_CHECKING:
    from voting.tools.client import BallotForm
    from voting.tools.client import VotingClient


@dataclass(frozen=True)
class CodedBallot:
    """A cast ballot with its choice codes as the server returned them (question → code)."""

    receipt: Receipt
    codes: dict[str, str]
    choices: dict[str, str]
    """question → the choice label the device encrypted ("0", "1", … or "blank")"""


def partial_codes(
    form: BallotForm, ballot: Ballot, secrets: BallotSecrets, code: str, *, rng: RandomBytes
) -> list[dict[str, Any]]:
    """The partial choice code of every single-choice question, in ballot order."""
    secret = rc.derive_voter_secret(code, form.vote_day)
    return [
        rc.prove_partial_code(
            ballot, secrets, spec, election=form.election, voter_secret=secret, rng=rng
        ).to_json()
        for spec in rc.return_code_questions(form.questions)
    ]


def chosen_labels(form: BallotForm, selections: Mapping[str, Sequence[int]]) -> dict[str, str]:
    """The card's label of each single-choice question's choice ("0", "1", …, "blank")."""
    labels = {}
    for spec in rc.return_code_questions(form.questions):
        chosen = selections[spec.question_id]
        labels[spec.question_id] = str(chosen.index(1)) if 1 in chosen else rc.BLANK
    return labels


def cast_with_codes(
    client: VotingClient,
    vote_day: str,
    code: str,
    answers: Mapping[str, Sequence[str]],
    *,
    rng: RandomBytes = secure_random,
) -> CodedBallot:
    """Encrypt, prove, sign and cast; returns the receipt and the server's choice codes.

    Raises:
        ClientError: refused; a 503 (``return_code_authorities_unavailable``)
            means the ballot IS cast: call :func:`request_codes` again later.
    """
    credential = derive_credential(code, vote_day)
    form = client.ballot_form(vote_day, credential)
    selections = form.selections(answers)
    ballot, secrets = encrypt_ballot(
        selections,
        questions=form.questions,
        election=form.election,
        credential=credential,
        rng=rng,
        purpose="cast",
    )
    body = {
        "ballot": ballot.to_json(),
        "return_codes": partial_codes(form, ballot, secrets, code, rng=rng),
    }
    answer = client.post_json(f"/api/vote-days/{vote_day}/ballots", body)
    return CodedBallot(
        Receipt.from_json({k: v for k, v in answer.items() if k != "return_codes"}),
        dict(answer["return_codes"]["codes"]),
        chosen_labels(form, selections),
    )


def request_codes(
    client: VotingClient, vote_day: str, credential: str, partial: list[dict[str, Any]]
) -> dict[str, str]:
    """Ask again for a cast ballot's choice codes (after a 503)."""
    body = {"credential": credential, "return_codes": partial}
    return dict(client.post_json(f"/api/vote-days/{vote_day}/return-codes", body)["codes"])


def confirm(
    client: VotingClient,
    vote_day: str,
    code: str,
    bck: str,
    *,
    rng: RandomBytes = secure_random,
) -> str:
    """Confirm the cast ballot with the card's ballot casting key; returns the vote cast code.

    Raises:
        ValueError: the key is mistyped (its check digit is wrong): no try is spent.
        ClientError: ``not_confirmed`` (a wrong key: one of 5 tries spent) or
            ``confirmation_attempts_exhausted``.
    """
    digits = returncode_table.normalise_bck(bck)
    credential = derive_credential(code, vote_day).public_key
    pbck, proof = rc.prove_confirmation(
        rc.derive_voter_secret(code, vote_day),
        digits,
        vote_day_id=vote_day,
        credential=credential,
        rng=rng,
    )
    body = {"credential": credential.hex(), "pbck": pbck.hex(), "proof": proof.to_json()}
    answer = client.post_json(f"/api/vote-days/{vote_day}/confirmations", body)
    return str(answer["vote_cast_code"])
