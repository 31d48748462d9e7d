"""A Python voting client: what a citizen's browser does, for scripts and tests.

It fetches what a credential must answer, encrypts, proves and signs the
ballot on the voter's side (the code never leaves this process), casts it,
and checks the receipt against the log's signed checkpoints::

    client = VotingClient("https://vote.example.ch")
    receipt = client.vote("2026-03-08-ch", code, {"federal-1": ["yes"]})
    client.check_receipt(receipt)

The command line is ``python -m voting.client --help``.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.credentials import Credential
from crypto.credentials import derive_credential
from crypto.group import Point
from crypto.group import RandomBytes
from crypto.group import secure_random
from crypto.note import Checkpoint
from crypto.note import parse_checkpoint
from crypto.receipt import Receipt
from crypto.receipt import verify_receipt

__all__ = ["BallotForm", "ClientError", "VotingClient"]

TIMEOUT = 30.0


class ClientError(Exception):
    """The server refused a request; ``code`` is its stable error code."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.body = body


@dataclass(frozen=True)
class BallotForm:
    """What one credential must answer, as the server describes it."""

    vote_day: str
    unit: str
    election: ElectionContext
    questions: tuple[QuestionSpec, ...]
    option_ids: dict[str, tuple[str, ...]]

    def selections(self, answers: Mapping[str, Sequence[str]]) -> dict[str, list[int]]:
        """Turn ``{"federal-1": ["yes"], "canton-1": []}`` into 0/1 vectors.

        Questions not named are answered blank (no option selected).

        Raises:
            ValueError: an unknown question or option.
        """
        unknown = set(answers) - set(self.option_ids)
        if unknown:
            raise ValueError(f"these questions are not on this ballot: {sorted(unknown)}")
        out: dict[str, list[int]] = {}
        for q in self.questions:
            ids = self.option_ids[q.question_id]
            chosen = list(answers.get(q.question_id, []))
            bad = [c for c in chosen if c not in ids]
            if bad:
                raise ValueError(f"question {q.question_id} has no option {bad}; it has {ids}")
            out[q.question_id] = [1 if option in chosen else 0 for option in ids]
        return out


class VotingClient:
    """Talks to one Urna server over HTTP."""

    def __init__(self, server: str, *, http: requests.Session | None = None) -> None:
        self.server = server.rstrip("/")
        self.http = http or requests.Session()

    # --- HTTP ---------------------------------------------------------------------

    def _get(self, path: str, **params: Any) -> requests.Response:
        response = self.http.get(self.server + path, params=params, timeout=TIMEOUT)
        return self._check(response)

    def _post(self, path: str, body: Any) -> dict[str, Any]:
        response = self.http.post(self.server + path, json=body, timeout=TIMEOUT)
        return dict(self._check(response).json())

    def post_json(self, path: str, body: Any) -> dict[str, Any]:
        """POST JSON to ``path`` of the server; the JSON answer (raises ClientError if refused)."""
        return self._post(path, body)

    @staticmethod
    def _check(response: requests.Response) -> requests.Response:
        if response.status_code < 400:
            return response
        try:
            body = response.json()
        except ValueError:
            body = {"error": "http_error", "message": response.text[:200]}
        raise ClientError(
            response.status_code, body.get("error", "?"), body.get("message", ""), body
        )

    # --- voting -------------------------------------------------------------------

    def ballot_form(self, vote_day: str, credential: Credential) -> BallotForm:
        """Fetch what ``credential`` must answer and the election's public parameters."""
        data = self._get(
            f"/api/vote-days/{vote_day}/ballot", credential=credential.public_key.hex()
        ).json()
        election = ElectionContext(
            vote_day_id=vote_day,
            manifest_hash=bytes.fromhex(data["manifest_hash"]),
            public_key=Point.from_hex(data["election_key"]),
        )
        questions = tuple(
            QuestionSpec(q["id"], q["options"], q["min"], q["max"]) for q in data["questions"]
        )
        option_ids = {q["id"]: tuple(q["option_ids"]) for q in data["questions"]}
        return BallotForm(vote_day, data["unit"], election, questions, option_ids)

    def manifest(self, vote_day: str) -> dict[str, Any]:
        """The vote day's public manifest (served once it has opened): questions, options,
        titles by language and the units (docs/record.md, ``manifest``)."""
        return dict(self._get(f"/api/vote-days/{vote_day}/manifest").json())

    def prepare(
        self,
        vote_day: str,
        code: str,
        answers: Mapping[str, Sequence[str]],
        *,
        rng: RandomBytes = secure_random,
        purpose: str = "cast",
    ) -> tuple[Ballot, BallotSecrets]:
        """Encrypt, prove and sign a ballot locally (nothing is sent).

        ``purpose`` is the voter's choice: "cast" signs the ballot to be cast,
        "audit" signs it to be audited (the server never casts that form).
        """
        credential = derive_credential(code, vote_day)
        form = self.ballot_form(vote_day, credential)
        return encrypt_ballot(
            form.selections(answers),
            questions=form.questions,
            election=form.election,
            credential=credential,
            rng=rng,
            purpose=purpose,
        )

    def cast(self, vote_day: str, ballot: Ballot) -> Receipt:
        """Cast a prepared ballot; returns the receipt (raises ClientError if refused)."""
        return Receipt.from_json(self._post(f"/api/vote-days/{vote_day}/ballots", ballot.to_json()))

    def audit(self, vote_day: str, ballot: Ballot, secrets: BallotSecrets) -> Receipt:
        """Benaloh challenge: reveal and post a ballot as spoiled (it never counts).

        The ballot is one prepared with ``purpose="audit"``.
        """
        body = {"ballot": ballot.to_json(), "secrets": secrets.to_json()}
        return Receipt.from_json(self._post(f"/api/vote-days/{vote_day}/audits", body))

    def vote(self, vote_day: str, code: str, answers: Mapping[str, Sequence[str]]) -> Receipt:
        """Prepare and cast in one step."""
        ballot, _ = self.prepare(vote_day, code, answers)
        return self.cast(vote_day, ballot)

    # --- receipts -----------------------------------------------------------------

    def log_key(self, vote_day: str) -> str:
        return str(self._get(f"/api/logs/{vote_day}/key").json()["verifier_key"])

    def latest_receipt(self, receipt: Receipt) -> Receipt:
        """The receipt again, now with a checkpoint and an inclusion proof if one covers it."""
        data = self._get(f"/api/vote-days/{receipt.log}/receipts/{receipt.leaf_hash.hex()}").json()
        return Receipt.from_json(data)

    def ballot_standing(self, receipt: Receipt) -> dict[str, Any] | None:
        """The server's word on the receipt's ballot: cast or audited, counted or not.

        ``{"kind": "ballot" | "spoiled", "counted": bool, "counted_index": n | None,
        "revote_policy": ...}``, or None for an entry that is not a ballot.
        """
        data = self._get(f"/api/vote-days/{receipt.log}/receipts/{receipt.leaf_hash.hex()}").json()
        standing = data.get("ballot")
        return standing if isinstance(standing, dict) else None

    def check_receipt(self, receipt: Receipt, *, verifier_key: str | None = None) -> Checkpoint:
        """Check the receipt against the log's latest checkpoint.

        ``verifier_key`` should come from somewhere other than this server
        (the manifest, a newspaper, a witness); without it the server's own
        answer is used, which only checks consistency.

        Raises:
            VerificationError: the ballot is not in the log, or the log forked.
        """
        key = verifier_key or self.log_key(receipt.log)
        note = self._get(f"/api/logs/{receipt.log}/checkpoint").text
        size = _note_size(note)
        if receipt.checkpoint is None:
            proof = self._get(
                f"/api/logs/{receipt.log}/proof/inclusion", index=receipt.index, size=size
            ).json()
            return verify_receipt(receipt, note, key, inclusion_proof=_hashes(proof))
        own_size = _note_size(receipt.checkpoint)
        proof = self._get(
            f"/api/logs/{receipt.log}/proof/consistency", old=own_size, new=size
        ).json()
        return verify_receipt(receipt, note, key, consistency_proof=_hashes(proof))


def _note_size(note: str) -> int:
    """The tree size of a checkpoint note (its signature is checked by verify_receipt)."""
    return parse_checkpoint(note.split("\n\n", 1)[0] + "\n").size


def _hashes(proof: Mapping[str, Any]) -> list[bytes]:
    return [bytes.fromhex(h) for h in proof["proof"]]
