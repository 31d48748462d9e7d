"""What an authority checks before it answers, and what it refuses (docs/return-codes.md).

:class:`Authority` handles one parsed request at a time; :mod:`.server` maps
its :class:`Refusal` to HTTP. Cheap checks come first (shape, credential, the
ballot's signature, an earlier answer), so a refused request costs no proof
verification when it can be refused without one; the check-and-answer is
atomic under one lock, so two concurrent requests for a credential cannot
both be answered.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import check_ballot_shape
from crypto.ballot import verify_proofs
from crypto.ballot import verify_signature
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import InvalidSignature
from crypto.errors import MalformedBallot
from crypto.group import Point
from crypto.group import Scalar
from crypto.returncode_messages import ChoiceCodesRequest
from crypto.returncode_messages import ConfirmRequest
from crypto.returncode_messages import make_choice_answer
from crypto.returncode_messages import make_confirm_answer
from crypto.returncode_messages import request_hash
from crypto.returncode_setup import SetupHeader
from crypto.returncodes import derive_authority_key
from crypto.returncodes import return_code_questions
from crypto.returncodes import verify_confirmation
from crypto.returncodes import verify_partial_code
from voting.tools.returncodes.state import AuthorityKeys
from voting.tools.returncodes.state import AuthorityState
from voting.tools.returncodes.state import StateError

MAX_ATTEMPTS = 5
"""Confirmation answers per credential (DESIGN.md section 8)."""


class Refusal(Exception):
    """A request the authority refuses: an HTTP status, a short code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def body(self) -> dict[str, str]:
        return {"error": self.code, "message": str(self)}


class Authority:
    """One return-code authority answering over its pinned setup."""

    def __init__(self, keys: AuthorityKeys, state: AuthorityState) -> None:
        pinned = state.pinned()
        if pinned is None:
            raise StateError(f"{state.directory} has no setup yet: run setup first")
        self.keys = keys
        self.state = state
        self.header = SetupHeader.from_json(pinned[0])
        self.election = ElectionContext(
            self.header.vote_day_id, self.header.manifest_hash, self.header.election_key
        )
        self.lock = threading.RLock()

    def identity(self) -> dict[str, Any]:
        voters = self.state.voter_count()
        return {**self.keys.identity(), "vote_day": self.header.vote_day_id, "voters": voters}

    # --- choice codes ----------------------------------------------------------

    def choice_codes(self, body: Any) -> dict[str, Any]:
        """Check a choice-codes request completely and answer it once.

        Raises:
            Refusal: 400, 403, 409 or 422, as docs/return-codes.md lists.
        """
        try:
            request = ChoiceCodesRequest.from_json(body)
        except InvalidEncoding as exc:
            raise Refusal(400, "malformed", str(exc)) from exc
        ballot = request.ballot
        voter_key, specs = self._voter(ballot.credential, ballot.vote_day_id)
        try:  # (1) the credential signed this ballot, to be cast
            verify_signature(ballot, "cast")
        except InvalidSignature as exc:
            raise Refusal(403, "bad_signature", str(exc)) from exc
        digest = request_hash(request.to_json())
        earlier = self.state.choice_answer(ballot.credential)
        if earlier is not None:  # (2) once per credential; the same request, the same answer
            return self._again(ballot.credential, digest, earlier)
        try:  # (3) the ballot is well formed for this voter, every proof holds
            check_ballot_shape(ballot, questions=specs, election=self.election)
            verify_proofs(ballot, questions=specs, election=self.election)
        except (MalformedBallot, InvalidProof) as exc:
            raise Refusal(422, "invalid_ballot", str(exc)) from exc
        self._check_partial_codes(request, specs, voter_key)  # (4)
        with self.lock:  # (5) check again and answer atomically
            earlier = self.state.choice_answer(ballot.credential)
            if earlier is not None:
                return self._again(ballot.credential, digest, earlier)
            answer = make_choice_answer(
                request,
                authority=self.keys.name,
                key=self._key(ballot.credential),
                signing_key=self.keys.signing_key,
                request_digest=digest,
            )
            self.state.record(answer)
        return answer

    def _again(
        self, credential: bytes, digest: str, earlier: tuple[str, dict[str, Any]]
    ) -> dict[str, Any]:
        if earlier[0] == digest:
            return earlier[1]
        with self.lock:
            self.state.refuse(credential, "second_request")
        raise Refusal(
            409,
            "already_answered",
            "this credential's choice codes were already answered for another request; "
            "an authority answers each credential once",
        )

    def _check_partial_codes(
        self, request: ChoiceCodesRequest, specs: list[QuestionSpec], voter_key: Point
    ) -> None:
        coded = return_code_questions(specs)
        got = [c.question_id for c in request.partial_codes]
        if got != [q.question_id for q in coded]:
            expected = [q.question_id for q in coded]
            raise Refusal(
                422, "invalid_partial_code", f"partial codes for {got}, expected {expected}"
            )
        for code, spec in zip(request.partial_codes, coded, strict=True):
            try:
                verify_partial_code(
                    code, request.ballot, spec, election=self.election, voter_key=voter_key
                )
            except InvalidProof as exc:
                raise Refusal(422, "invalid_partial_code", str(exc)) from exc

    # --- confirmation -----------------------------------------------------------

    def confirm(self, body: Any) -> dict[str, Any]:
        """Check a confirmation attempt and answer it (at most 5 per credential).

        Raises:
            Refusal: 400, 403, 409, 422 or 429, as docs/return-codes.md lists.
        """
        try:
            request = ConfirmRequest.from_json(body)
        except InvalidEncoding as exc:
            raise Refusal(400, "malformed", str(exc)) from exc
        voter_key, _ = self._voter(request.credential, request.vote_day_id)
        try:  # (1) only the holder of the voting code spends an attempt
            verify_confirmation(
                request.proof,
                vote_day_id=request.vote_day_id,
                credential=request.credential,
                voter_key=voter_key,
                pbck=request.pbck,
            )
        except InvalidProof as exc:
            raise Refusal(422, "invalid_proof", str(exc)) from exc
        digest = request_hash(request.to_json())
        with self.lock:  # (2) count and answer atomically
            if self.state.choice_answer(request.credential) is None:
                raise Refusal(
                    409, "no_choice_codes", "no choice codes were answered for this credential"
                )
            earlier = self.state.confirm_answer(request.credential, digest)
            if earlier is not None:
                return earlier
            attempts = self.state.attempts(request.credential)
            if attempts >= MAX_ATTEMPTS:
                self.state.refuse(request.credential, "too_many_attempts")
                raise Refusal(
                    429,
                    "too_many_attempts",
                    f"this credential has used its {MAX_ATTEMPTS} confirmation attempts",
                )
            answer = make_confirm_answer(
                request,
                attempt=attempts + 1,
                authority=self.keys.name,
                key=self._key(request.credential),
                signing_key=self.keys.signing_key,
            )
            self.state.record(answer)
        return answer

    # --- helpers ------------------------------------------------------------------

    def _voter(self, credential: bytes, vote_day: str) -> tuple[Point, list[QuestionSpec]]:
        if vote_day != self.header.vote_day_id:
            raise Refusal(
                422, "wrong_vote_day", f"this authority serves {self.header.vote_day_id!r}"
            )
        found = self.state.voter(credential)
        if found is None:
            raise Refusal(
                403, "unknown_credential", "the credential was not in this authority's setup"
            )
        voter_key, question_ids = found
        return Point.from_bytes(voter_key), [self.header.question(q) for q in question_ids]

    def _key(self, credential: bytes) -> Scalar:
        return derive_authority_key(self.keys.secret, self.header.vote_day_id, credential)


def parse_body(raw: bytes) -> Any:
    """Decode a JSON body.

    Raises:
        Refusal: 400 when it is not UTF-8 JSON.
    """
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Refusal(400, "malformed", "the body is not UTF-8 JSON") from exc
