"""Return codes while the vote day is open: casting with codes, asking the authorities, confirming.

docs/return-codes.md. For a vote day with return codes:

1. :func:`cast_with_codes` checks the device's partial choice codes (one per
   single-choice question, each with its proof bound to the ballot's
   ciphertexts and the voter's X_c) before the ballot is cast (these checks
   count against the credential's cast limit), casts it
   (:func:`voting.services.casting.cast_ballot`: durable on the log), stores
   the request, then asks for the codes (2).
2. :func:`choice_codes` asks every authority at once
   (:mod:`voting.services.rc_authorities`), checks every answer's proof
   against the authority's V_{j,c}; an answer that does not verify names its
   authority (:class:`AuthorityFault`, its evidence in the operator's log and
   the answer never used); an authority that does not answer gives
   :class:`AuthoritiesUnavailable` (503) with the ballot already stored, and
   asking again is safe: each authority answers an identical request
   identically. Once all answers verify, they are logged (a
   ``return-codes`` record) and the short codes are looked up and opened.
3. :func:`confirm` forwards pBCK and its proof to the authorities (each
   counts at most :data:`MAX_CONFIRMATIONS` tries per voter; the server
   counts too), checks their answers, combines them and looks the long vote
   cast code up: a hit confirms the ballot (a ``confirmation`` record with
   the matched entry and its inclusion proof against the lookup root logged
   at opening) and yields the vote cast code; a miss is logged as an attempt.

Only confirmed ballots are counted (:func:`voting.services.casting.counted_ballot_pages`).
No database transaction is open while the authorities are asked.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Protocol

import sqlalchemy as sa

from crypto import returncode_messages as rcm
from crypto import returncode_table
from crypto import returncodes as rc
from crypto.ballot import Ballot
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import verify_signature
from crypto.encoding import canonical_json
from crypto.encoding import unhex
from crypto.errors import CodeNotFound
from crypto.errors import InvalidAuthorityAnswer
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import InvalidSignature
from crypto.group import Point
from crypto.proofs import SchnorrProof
from crypto.receipt import Receipt
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.errors import TooManyAttempts
from voting.errors import VotingError
from voting.log import bulletin
from voting.log.keys import LogSigning
from voting.log.reads import get_entry
from voting.models.elections import CastBallot
from voting.models.officials import RateCounter
from voting.models.returncodes import ReturnCodeBallot
from voting.models.returncodes import ReturnCodeEntry
from voting.models.returncodes import ReturnCodeVoter
from voting.models.session_types import DbSession
from voting.models.votedays import VoteDay
from voting.services import casting
from voting.services import rc_authorities
from voting.services import throttle
from voting.services.credentials import unit_of_credential
from voting.services.lifecycle import get_election
from voting.services.lifecycle import get_vote_day
from voting.services.manifest import election_context
from voting.services.return_code_setup import authorities as authorities_of
from voting.services.return_code_setup import lookup_inclusion

log = logging.getLogger(__name__)

MAX_CONFIRMATIONS = 5
"""DESIGN.md section 8: at most 5 confirmation tries per voter (each authority counts too)."""
MAX_REQUEST_BYTES = 128 * 1024
CHOICE_PATH = "/v1/choice-codes"
CONFIRM_PATH = "/v1/confirm"
"""the authorities' HTTP endpoints (docs/return-codes.md, "HTTP")"""


class NoReturnCodes(InvalidRequest):
    code = "no_return_codes"


class ReturnCodesRefused(InvalidRequest):
    """The partial choice codes are malformed or do not match the ballot."""

    code = "return_codes_refused"


class AuthoritiesUnavailable(VotingError):
    """An authority did not answer (in time): the ballot is stored; ask again."""

    code = "return_code_authorities_unavailable"
    status = 503


class AuthorityFault(VotingError):
    """An authority's answer is wrong (its proof does not verify): it is named, never used."""

    code = "return_code_authority_fault"
    status = 502


class NotConfirmed(Conflict):
    """The ballot casting key did not match (the vote cast code was not found)."""

    code = "not_confirmed"


class ConfirmationsExhausted(Conflict):
    code = "confirmation_attempts_exhausted"


@dataclass(frozen=True)
class Codes:
    """A ballot's short choice codes, by question id."""

    ballot_index: int
    codes: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"ballot_index": self.ballot_index, "codes": self.codes}


def require_return_codes(session: DbSession, vote_day_id: str) -> None:
    """Raises: VoteDayNotFound (404), NoReturnCodes: the vote day has none."""
    if get_vote_day(session, vote_day_id).return_codes is None:
        raise NoReturnCodes(f"vote day {vote_day_id!r} has no return codes")


def has_return_codes(session: DbSession, vote_day_id: str) -> bool:
    return (
        session.scalar(sa.select(VoteDay.return_codes).where(VoteDay.id == vote_day_id)) is not None
    )


# --- (1) casting ----------------------------------------------------------------


def split_cast_body(data: Any) -> tuple[Any, Any]:
    """``{"ballot": ..., "return_codes": [...]}`` → (ballot, partial codes).

    Raises:
        ReturnCodesRefused: not that shape.
    """
    if not isinstance(data, dict) or set(data) != {"ballot", "return_codes"}:
        raise ReturnCodesRefused(
            "on a vote day with return codes the cast request is "
            '{"ballot": <ballot>, "return_codes": [<partial code>, ...]}'
        )
    return data["ballot"], data["return_codes"]


def cast_with_codes(
    session: DbSession,
    vote_day_id: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
    limits: casting.CastLimits | None = None,
    post: rc_authorities.Poster = rc_authorities.http_post,
    timeout: float = rc_authorities.DEFAULT_TIMEOUT,
) -> tuple[casting.CastResult, Codes]:
    """Check the partial codes, cast the ballot, store the request, ask for the codes.

    Raises:
        ReturnCodesRefused: partial codes malformed or not matching the ballot (nothing stored).
        BallotRefused, TooManyAttempts: as :func:`casting.cast_ballot` (nothing stored).
        AuthoritiesUnavailable, AuthorityFault: the ballot IS stored; ask again
            with :func:`choice_codes`.
    """
    ballot_json, partial_json = split_cast_body(data)
    ballot, partial = _check_partial_codes(session, vote_day_id, ballot_json, partial_json, limits)
    result = casting.cast_ballot(session, vote_day_id, ballot_json, signing=signing, limits=limits)
    credential = ballot_json["credential"]
    _store_request(session, vote_day_id, result.receipt.index, credential, partial)
    try:
        codes = choice_codes(
            session,
            vote_day_id,
            credential,
            signing=signing,
            post=post,
            timeout=timeout,
            parsed=ballot,
        )
    except (AuthoritiesUnavailable, AuthorityFault) as exc:
        exc.details["receipt"] = result.receipt.to_json()  # the ballot IS stored
        raise
    return result, codes


def _check_partial_codes(
    session: DbSession,
    vote_day_id: str,
    ballot_json: Any,
    partial_json: Any,
    limits: casting.CastLimits | None = None,
) -> tuple[Ballot, list[dict[str, Any]]]:
    """The ballot and its partial codes, checked against it (signature first: it is cheap).

    Once the signature holds, the expensive proof checks count against the
    credential's rate limit (``limits.per_credential``, the casts' own
    counter): a credential over its limit is refused before them, and a
    refusal after the signature counts one attempt (docs/return-codes.md,
    "The casting server"). A credential that has cast is refused before them too.

    Raises:
        MalformedBallotError, WrongQuestions, UnknownCredential: the ballot is refused.
        TooManyAttempts: the credential is over its limit (nothing verified).
        DuplicateBallot: the credential has cast already (first counts).
        ReturnCodesRefused: the partial codes do not match the ballot (an attempt counted).
    """
    try:
        ballot = Ballot.from_json(ballot_json)
        verify_signature(ballot)
    except (InvalidEncoding, InvalidSignature) as exc:
        raise casting.MalformedBallotError(f"the ballot is refused: {exc}") from exc
    if ballot.vote_day_id != vote_day_id:
        raise casting.WrongQuestions(f"the ballot is for vote day {ballot.vote_day_id!r}")
    credential = ballot.credential.hex()
    voter = session.get(ReturnCodeVoter, (vote_day_id, credential))
    if voter is None:
        raise casting.UnknownCredential("this voting credential is not registered for the vote day")
    with _counted(session, credential, limits):
        _refuse_cast_before(session, vote_day_id, credential)
        _verify_partial_codes(session, vote_day_id, ballot, partial_json, voter.voter_key)
    return ballot, list(partial_json)


@contextlib.contextmanager
def _counted(
    session: DbSession, credential: str, limits: casting.CastLimits | None
) -> Iterator[None]:
    """Around a credential's expensive checks: refused before them when over its limit,
    and a refusal (:class:`ReturnCodesRefused`, ``DuplicateBallot``) counts one attempt.

    Raises:
        TooManyAttempts: the credential is over its limit (nothing checked).
    """
    if limits is None:
        yield
        return
    _refuse_over_limit(session, credential, limits.per_credential)
    try:
        yield
    except (ReturnCodesRefused, casting.DuplicateBallot):
        _count_attempt(session, credential, limits.per_credential)
        raise


CREDENTIAL_KEY = "cast:{}"
"""The credential's rate-limit key: the casts' own (voting/services/casting.py)."""


def _refuse_over_limit(session: DbSession, credential: str, limit: throttle.Limit) -> None:
    """Refuse a credential whose counter is at its limit, before any expensive check.

    Raises:
        TooManyAttempts: it is.
    """
    row = session.execute(
        sa.select(RateCounter.count, RateCounter.window_start).where(
            RateCounter.key == CREDENTIAL_KEY.format(credential)
        )
    ).first()
    now = int(time.time())
    if row is not None and int(row[1]) > now - limit.window:
        throttle.check(int(row[0]) + 1, int(row[1]), limit, what=casting.CREDENTIAL_WHAT, now=now)


def _count_attempt(session: DbSession, credential: str, limit: throttle.Limit) -> None:
    """Count a refused attempt against the credential, in a transaction of its own."""
    session.rollback()
    with contextlib.suppress(TooManyAttempts):  # the refusal stands as it is
        throttle.hit(
            session, CREDENTIAL_KEY.format(credential), limit, what=casting.CREDENTIAL_WHAT
        )


def _refuse_cast_before(session: DbSession, vote_day_id: str, credential: str) -> None:
    """Return codes need first-counts: a credential that has cast cannot cast again.

    Raises:
        DuplicateBallot: it has, with the first ballot's receipt.
    """
    first = session.execute(
        sa.select(CastBallot.leaf_index, CastBallot.leaf_hash)
        .where(CastBallot.vote_day_id == vote_day_id, CastBallot.credential == credential)
        .order_by(CastBallot.leaf_index)
        .limit(1)
    ).first()
    if first is not None:
        receipt = Receipt(vote_day_id, first.leaf_index, bytes.fromhex(first.leaf_hash), None, ())
        raise casting.DuplicateBallot(
            "a ballot was already cast with this credential; the first ballot counts",
            receipt=receipt.to_json(),
        )


def _verify_partial_codes(
    session: DbSession, vote_day_id: str, ballot: Ballot, partial_json: Any, voter_key: str
) -> None:
    """Raises: ReturnCodesRefused: not one valid partial code per single-choice question."""
    election = get_election(session, vote_day_id)
    context = election_context(vote_day_id, election)
    specs = _return_code_specs(session, vote_day_id, ballot.credential.hex(), context)
    if not isinstance(partial_json, list) or len(partial_json) != len(specs):
        raise ReturnCodesRefused(
            f"expected {len(specs)} partial codes, one per single-choice question, in ballot order"
        )
    key = Point.from_hex(voter_key)
    for spec, value in zip(specs, partial_json, strict=True):
        try:
            code = rc.PartialCode.from_json(value)
            rc.verify_partial_code(code, ballot, spec, election=context, voter_key=key)
        except (InvalidEncoding, InvalidProof) as exc:
            raise ReturnCodesRefused(f"question {spec.question_id}: {exc}") from exc


def _return_code_specs(
    session: DbSession, vote_day_id: str, credential: str, context: ElectionContext
) -> tuple[QuestionSpec, ...]:
    unit = unit_of_credential(session, vote_day_id, credential)
    key = (vote_day_id, context.manifest_hash, unit.id)
    cached = _SPECS.get(key)
    if cached is None:
        cached = rc.return_code_questions(casting.questions_for_unit(session, vote_day_id, unit))
        if len(_SPECS) > 10_000:
            _SPECS.clear()
        _SPECS[key] = cached
    return cached


_SPECS: dict[tuple[str, bytes, int], tuple[QuestionSpec, ...]] = {}
"""Return-code questions per (vote day, manifest hash, unit): frozen once the vote day is open."""


def _store_request(
    session: DbSession, vote_day_id: str, index: int, credential: str, partial: list[Any]
) -> None:
    session.add(
        ReturnCodeBallot(
            vote_day_id=vote_day_id,
            credential=credential,
            ballot_index=index,
            request=canonical_json(partial).decode(),
            confirmation_tries=0,
        )
    )
    session.commit()


def resend_codes(
    session: DbSession,
    vote_day_id: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
    limits: casting.CastLimits | None = None,
    post: rc_authorities.Poster = rc_authorities.http_post,
    timeout: float = rc_authorities.DEFAULT_TIMEOUT,
) -> Codes:
    """Ask again for a cast ballot's codes: ``{"credential", "return_codes"}``.

    If the request was not stored (the server failed right after the cast),
    it is checked against the logged ballot and stored now; that check
    counts against the credential's rate limit as a cast's does.

    Raises:
        NotFound: the credential has cast no ballot.
        ReturnCodesRefused, TooManyAttempts, AuthoritiesUnavailable, AuthorityFault: as
            :func:`cast_with_codes`.
    """
    require_return_codes(session, vote_day_id)
    if not isinstance(data, dict) or set(data) != {"credential", "return_codes"}:
        raise ReturnCodesRefused('expected {"credential": <hex>, "return_codes": [...]}')
    credential = data["credential"]
    if not isinstance(credential, str):
        raise ReturnCodesRefused("the credential is a hex string")
    row = session.get(ReturnCodeBallot, (vote_day_id, credential))
    if row is None:
        index = session.scalar(
            sa.select(sa.func.min(CastBallot.leaf_index)).where(
                CastBallot.vote_day_id == vote_day_id, CastBallot.credential == credential
            )
        )
        if index is None:
            raise NotFound("this credential has cast no ballot on this vote day")
        ballot_json = get_entry(session, vote_day_id, index).record["ballot"]
        _, partial = _check_resent(session, vote_day_id, ballot_json, data["return_codes"], limits)
        _store_request(session, vote_day_id, index, credential, partial)
    return choice_codes(
        session, vote_day_id, credential, signing=signing, post=post, timeout=timeout
    )


def _check_resent(
    session: DbSession,
    vote_day_id: str,
    ballot_json: Any,
    partial_json: Any,
    limits: casting.CastLimits | None,
) -> tuple[Ballot, list[dict[str, Any]]]:
    """The partial codes of a ballot already cast, checked as a cast's are (rate limit included)."""
    try:
        ballot = Ballot.from_json(ballot_json)
    except InvalidEncoding as exc:
        raise casting.MalformedBallotError(f"the logged ballot is unreadable: {exc}") from exc
    credential = ballot.credential.hex()
    voter = session.get(ReturnCodeVoter, (vote_day_id, credential))
    if voter is None:
        raise casting.UnknownCredential("this voting credential has no return codes")
    with _counted(session, credential, limits):
        _verify_partial_codes(session, vote_day_id, ballot, partial_json, voter.voter_key)
    return ballot, list(partial_json)


# --- (2) the authorities' answers and the codes -----------------------------------


def choice_codes(
    session: DbSession,
    vote_day_id: str,
    credential: str,
    *,
    signing: LogSigning | None = None,
    post: rc_authorities.Poster = rc_authorities.http_post,
    timeout: float = rc_authorities.DEFAULT_TIMEOUT,
    parsed: Ballot | None = None,
) -> Codes:
    """The short choice codes of the credential's ballot (asking the authorities if needed).

    ``parsed`` is the ballot as the cast just parsed it (used if it is the logged one).

    Raises:
        NotFound: no return-code request stored for the credential.
        AuthoritiesUnavailable, AuthorityFault: see the module's docstring.
    """
    row = session.get(ReturnCodeBallot, (vote_day_id, credential))
    if row is None:
        raise NotFound("this credential has no return-code request on this vote day")
    if row.codes_index is not None:  # logged before: the same codes again
        record = get_entry(session, vote_day_id, row.codes_index).record
        return open_codes(session, vote_day_id, row.ballot_index, record)
    day = session.get_one(VoteDay, vote_day_id)
    authorities = authorities_of(day)
    voter = session.get_one(ReturnCodeVoter, (vote_day_id, credential))
    ballot = get_entry(session, vote_day_id, row.ballot_index).record["ballot"]
    partial = json.loads(row.request)
    index = row.ballot_index
    keys = list(voter.authority_keys)
    session.commit()  # (a) no transaction open while the authorities work
    if parsed is None or parsed.to_json() != ballot:
        parsed = Ballot.from_json(ballot)
    request = rcm.ChoiceCodesRequest(
        ballot=parsed,
        leaf_index=index,
        partial_codes=tuple(rc.PartialCode.from_json(p) for p in partial),
    )
    answers = _ask_authorities(
        authorities, CHOICE_PATH, request, keys, rcm.verify_choice_answer, timeout, post
    )
    record = {
        "type": "return-codes",
        "vote_day": vote_day_id,
        "ballot": index,
        "credential": credential,
        "ballot_record": ballot,
        "partial_codes": partial,
        "answers": answers,
    }
    with bulletin.locked_log(session, vote_day_id, signing=signing) as locked:  # (b) log it once
        row = session.get_one(
            ReturnCodeBallot,
            (vote_day_id, credential),
            with_for_update=True,
            populate_existing=True,
        )
        if row.codes_index is None:
            row.codes_index = locked.append(record).index
    return open_codes(session, vote_day_id, index, record)


class _Request(Protocol):
    def to_json(self) -> dict[str, Any]: ...


def _ask_authorities(
    authorities: Sequence[dict[str, str]],
    path: str,
    request: _Request,
    keys: Sequence[str],
    verify: Callable[..., Any],
    timeout: float,
    post: rc_authorities.Poster,
) -> list[dict[str, Any]]:
    """Ask every authority at once; every answer checked by ``verify`` against the
    authority's signing key and V_{j,c} (``keys``, manifest order).

    ``verify`` is :func:`rcm.verify_choice_answer` or :func:`rcm.verify_confirm_answer`;
    the request is serialised and hashed once for all the authorities.

    Raises:
        AuthorityFault, AuthoritiesUnavailable: as :func:`_checked_answers`.
    """
    body = request.to_json()
    digest = rcm.request_hash(body)
    replies = rc_authorities.ask_all(authorities, path, body, timeout=timeout, post=post)

    def check(number: int, answer: Any) -> None:
        verify(
            answer,
            request,
            authority=authorities[number]["name"],
            authority_key=bytes.fromhex(authorities[number]["key"]),
            verification_key=Point.from_hex(keys[number]),
            request_digest=digest,
        )

    return _checked_answers(authorities, replies, check)


def _checked_answers(
    authorities: Sequence[dict[str, str]],
    replies: Sequence[rc_authorities.AuthorityReply],
    check: Callable[[int, Any], None],
) -> list[dict[str, Any]]:
    """Every authority's answer, each checked; a wrong answer names its authority.

    Raises:
        AuthorityFault: an answer does not verify (before any missing answer is reported).
        AuthoritiesUnavailable: an authority did not answer.
    """
    missing = [r for r in replies if not r.ok]
    wrong: list[InvalidAuthorityAnswer] = []
    answers = []
    for number, reply in enumerate(replies):
        if not reply.ok:
            continue
        try:
            check(number, reply.body)
            answers.append(reply.body)
        except InvalidAuthorityAnswer as exc:
            log.warning(
                "return-code authority %s answered wrongly (%s); its answer: %s",
                exc.authority, exc, json.dumps(reply.body)[:4096],
            )  # fmt: skip
            wrong.append(exc)
        except (InvalidEncoding, InvalidProof) as exc:  # not named by the check: this one
            wrong.append(rcm.authority_error(authorities[number]["name"], str(exc)))
    if wrong:
        raise AuthorityFault(
            "a return-code authority answered wrongly; its answer is not used: "
            + "; ".join(str(w) for w in wrong),
            authorities=[w.authority for w in wrong],
        )
    if missing:
        raise AuthoritiesUnavailable(
            "the ballot is stored, but not every return-code authority answered: "
            + "; ".join(r.describe() for r in missing)
            + ". Ask for the codes again in a moment.",
            authorities=[r.name for r in missing],
            retry_after=5,
        )
    return answers


def _values(answer: dict[str, Any]) -> list[Point]:
    """The exponentiated values of a verified (logged) answer, in request order."""
    if "answers" in answer:
        return [Point.from_hex(row["value"]) for row in answer["answers"]]
    return [Point.from_hex(answer["value"])]


def _long_codes(record: dict[str, Any]) -> list[Point]:
    results = [_values(a) for a in record["answers"]]
    return [rc.combine([r[i] for r in results]) for i in range(len(results[0]))]


def _table(session: DbSession, vote_day_id: str, keys: Sequence[bytes]) -> dict[bytes, bytes]:
    rows = session.execute(
        sa.select(ReturnCodeEntry.lookup, ReturnCodeEntry.sealed).where(
            ReturnCodeEntry.vote_day_id == vote_day_id,
            ReturnCodeEntry.lookup.in_([k.hex() for k in keys]),
        )
    )
    return {bytes.fromhex(lookup): bytes.fromhex(sealed) for lookup, sealed in rows}


def open_codes(session: DbSession, vote_day_id: str, index: int, record: dict[str, Any]) -> Codes:
    """The short choice codes of a logged ``return-codes`` record: its answers combined,
    each long code looked up in the table and opened ("" where no entry matches)."""
    long_codes = _long_codes(record)
    table = _table(session, vote_day_id, [returncode_table.lookup_key(c) for c in long_codes])
    codes: dict[str, str] = {}
    for partial, long_code in zip(record["partial_codes"], long_codes, strict=True):
        try:
            codes[partial["question"]] = returncode_table.open_entry(long_code, table)
        except CodeNotFound:
            codes[partial["question"]] = ""  # no entry: the device encrypted no card choice
    return Codes(index, codes)


# --- (3) confirmation -------------------------------------------------------------


@dataclass(frozen=True)
class Confirmed:
    ballot_index: int
    confirmation_index: int
    vote_cast_code: str

    def to_json(self) -> dict[str, Any]:
        return {
            "ballot_index": self.ballot_index,
            "confirmation_index": self.confirmation_index,
            "vote_cast_code": self.vote_cast_code,
        }


def confirm(
    session: DbSession,
    vote_day_id: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
    post: rc_authorities.Poster = rc_authorities.http_post,
    timeout: float = rc_authorities.DEFAULT_TIMEOUT,
) -> Confirmed:
    """Confirm a ballot with the voter's ``{"credential", "pbck", "proof"}``.

    Raises:
        ReturnCodesRefused: malformed, or the proof does not verify (no try is spent).
        NotFound: the credential has no ballot with codes.
        ConfirmationsExhausted: :data:`MAX_CONFIRMATIONS` tries were spent.
        NotConfirmed: the ballot casting key did not match (a try is spent).
        AuthoritiesUnavailable, AuthorityFault: as for the codes.
    """
    require_return_codes(session, vote_day_id)
    credential, pbck, proof = _parse_confirmation(data)
    row = session.get(ReturnCodeBallot, (vote_day_id, credential))
    if row is None or row.codes_index is None:
        raise NotFound("this credential has no ballot with return codes to confirm")
    voter = session.get_one(ReturnCodeVoter, (vote_day_id, credential))
    try:  # (1) only the holder of the voting code may confirm (or see the VCC again)
        rc.verify_confirmation(
            proof,
            vote_day_id=vote_day_id,
            credential=bytes.fromhex(credential),
            voter_key=Point.from_hex(voter.voter_key),
            pbck=pbck,
        )
    except InvalidProof as exc:
        raise ReturnCodesRefused(f"the confirmation is refused: {exc}") from exc
    if row.confirmed_index is not None:
        record = get_entry(session, vote_day_id, row.confirmed_index).record
        return Confirmed(row.ballot_index, row.confirmed_index, open_vcc(record))
    if row.confirmation_tries >= MAX_CONFIRMATIONS:
        raise ConfirmationsExhausted(
            f"the {MAX_CONFIRMATIONS} confirmation tries are spent: this ballot stays "
            "unconfirmed and is not counted; vote by post or at the polling station"
        )
    authorities = authorities_of(session.get_one(VoteDay, vote_day_id))
    ballot_index = row.ballot_index
    keys = list(voter.authority_keys)
    session.commit()  # no transaction open while the authorities work
    request = rcm.ConfirmRequest(
        vote_day_id=vote_day_id, credential=bytes.fromhex(credential), pbck=pbck, proof=proof
    )
    q = rc.confirmation_point(vote_day_id, request.credential, pbck)  # once, not per authority
    verify = functools.partial(rcm.verify_confirm_answer, confirmation=q)
    answers = _ask_authorities(authorities, CONFIRM_PATH, request, keys, verify, timeout, post)
    return _settle(session, vote_day_id, credential, ballot_index, pbck, proof, answers, signing)


def _parse_confirmation(data: Any) -> tuple[str, Point, SchnorrProof]:
    if not isinstance(data, dict) or set(data) != {"credential", "pbck", "proof"}:
        raise ReturnCodesRefused('expected {"credential", "pbck", "proof"}')
    try:
        credential = unhex(data["credential"], 32, what="credential").hex()
        return credential, Point.from_hex(data["pbck"]), SchnorrProof.from_json(data["proof"])
    except (InvalidEncoding, ValueError, TypeError) as exc:
        raise ReturnCodesRefused(f"the confirmation is malformed: {exc}") from exc


def _settle(
    session: DbSession,
    vote_day_id: str,
    credential: str,
    ballot_index: int,
    pbck: Point,
    proof: SchnorrProof,
    answers: list[dict[str, Any]],
    signing: LogSigning | None,
) -> Confirmed:
    """Look the long vote cast code up; log the confirmation (or the failed try)."""
    long_code = rc.combine([_values(a)[0] for a in answers])
    key = returncode_table.lookup_key(long_code)
    entry = session.get(ReturnCodeEntry, (vote_day_id, key.hex()))
    record: dict[str, Any] = {
        "type": "confirmation",
        "vote_day": vote_day_id,
        "ballot": ballot_index,
        "credential": credential,
        "pbck": pbck.hex(),
        "proof": proof.to_json(),
        "answers": answers,
        "confirmed": entry is not None,
    }
    if entry is not None:
        inclusion = lookup_inclusion(session, vote_day_id, entry.position)
        record["entry"] = {
            "position": entry.position,
            "lookup": entry.lookup,
            "sealed": entry.sealed,
            "size": inclusion["size"],
            "proof": inclusion["proof"],
        }
    with bulletin.locked_log(session, vote_day_id, signing=signing) as locked:
        row = session.get_one(
            ReturnCodeBallot,
            (vote_day_id, credential),
            with_for_update=True,
            populate_existing=True,
        )
        if row.confirmed_index is not None:  # a concurrent confirmation won
            index = row.confirmed_index
        elif row.confirmation_tries >= MAX_CONFIRMATIONS:
            raise ConfirmationsExhausted(f"the {MAX_CONFIRMATIONS} confirmation tries are spent")
        else:
            row.confirmation_tries += 1
            index = locked.append(record).index
            if entry is not None:
                row.confirmed_index = index
            tries_left = MAX_CONFIRMATIONS - row.confirmation_tries
    if row.confirmed_index is None:
        raise NotConfirmed(
            "the ballot casting key does not match this ballot: check the key on your card "
            f"({tries_left} tries left). If the choice codes differed from your card, do not "
            "confirm: vote by post or at the polling station",
            tries_left=tries_left,
        )
    confirmed = get_entry(session, vote_day_id, index).record
    return Confirmed(ballot_index, index, open_vcc(confirmed))


def open_vcc(record: dict[str, Any]) -> str:
    """The short vote cast code of a logged confirmation (its answers and its table entry)."""
    long_code = rc.combine([_values(a)[0] for a in record["answers"]])
    entry = record["entry"]
    table = {bytes.fromhex(entry["lookup"]): bytes.fromhex(entry["sealed"])}
    return returncode_table.open_entry(long_code, table)


def confirmation_state(session: DbSession, vote_day_id: str, credential: str) -> str | None:
    """``confirmed``, ``unconfirmed`` (cast, not confirmed) or None (no ballot with codes)."""
    row = session.get(ReturnCodeBallot, (vote_day_id, credential))
    if row is None:
        return None
    return "confirmed" if row.confirmed_index is not None else "unconfirmed"


def confirmation_figures(session: DbSession, vote_day_id: str) -> dict[str, int] | None:
    """Cast, confirmed and unconfirmed electronic ballots (unconfirmed: listed, not counted);
    None for a vote day without return codes."""
    if not has_return_codes(session, vote_day_id):
        return None
    confirmed = sa.select(sa.func.count()).where(
        ReturnCodeBallot.vote_day_id == vote_day_id, ReturnCodeBallot.confirmed_index.is_not(None)
    )
    cast = sa.select(sa.func.count()).where(CastBallot.vote_day_id == vote_day_id)
    cast_count, confirmed_count = (
        int(session.scalar(cast) or 0),
        int(session.scalar(confirmed) or 0),
    )
    return {
        "cast": cast_count,
        "confirmed": confirmed_count,
        "unconfirmed": cast_count - confirmed_count,
    }


def unconfirmed_ballots(session: DbSession, vote_day_id: str) -> list[int]:
    """The leaves of the cast ballots that were not confirmed (listed, never counted)."""
    confirmed = sa.select(ReturnCodeBallot.ballot_index).where(
        ReturnCodeBallot.vote_day_id == vote_day_id, ReturnCodeBallot.confirmed_index.is_not(None)
    )
    return list(
        session.scalars(
            sa.select(CastBallot.leaf_index)
            .where(CastBallot.vote_day_id == vote_day_id, CastBallot.leaf_index.not_in(confirmed))
            .order_by(CastBallot.leaf_index)
        )
    )


def ballot_confirmation(session: DbSession, vote_day_id: str, index: int) -> str | None:
    """The cast ballot at leaf ``index`` on a vote day with return codes: ``confirmed`` or
    ``unconfirmed`` (not counted until confirmed); None without return codes or for an
    entry that is no cast ballot (the receipt page says what it is)."""
    if not has_return_codes(session, vote_day_id):
        return None
    credential = session.scalar(
        sa.select(CastBallot.credential).where(
            CastBallot.vote_day_id == vote_day_id, CastBallot.leaf_index == index
        )
    )
    if credential is None:
        return None
    return confirmation_state(session, vote_day_id, credential) or "unconfirmed"
