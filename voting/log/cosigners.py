"""C2SP witnesses of a log: the log pushes ``add-checkpoint`` and keeps their cosignatures.

Standard witnesses (c2sp.org/tlog-witness, Ed25519 ``cosignature/v1`` of
c2sp.org/tlog-cosignature) do not follow a log: the log sends them each new
checkpoint with a consistency proof from the size they last cosigned, and
they answer with their cosignature lines (docs/witnesses.md).

- :func:`add_cosigner` puts a witness on the log's list, from the vkey and
  submission URL it published; an administrator decides
  (:mod:`voting.services.witness_roster`) and the addition is a ``cosigner``
  record on the log, like a BLS witness's ``witness`` record.
- :func:`push` sends the latest checkpoint to every listed witness that has
  not cosigned it. It runs outside any ballot transaction (``flask witness
  push``, and :func:`push_all` in each pass of ``flask schedule run``): no
  database transaction or lock is open while it talks to
  witnesses, the witnesses are asked in parallel, each with a timeout, and
  a witness's failure is recorded on its row, never raised.
- :func:`stored_lines` are the cosignature lines the served checkpoint
  carries (:func:`voting.log.witnesses.cosigned_note`).

A witness's answer is believed only after checking it: a line of the listed
key, verifying over this checkpoint, with a timestamp not older than the
push (:data:`MAX_CLOCK_SKEW`). Anything else is recorded as the witness's
error, and nothing is stored.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.exc

from crypto.errors import InvalidCosignature
from crypto.errors import InvalidEncoding
from crypto.note import add_signatures
from crypto.note import parse_note
from crypto.witness.cosignature import CosignerKey
from crypto.witness.cosignature import find_cosignature_v1
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.log import bulletin
from voting.log.keys import LogSigning
from voting.models.log import Log
from voting.models.log import LogCheckpoint
from voting.models.session_types import DbSession
from voting.models.witness import CosignerSignature
from voting.models.witness import LogCosigner
from voting.models.witness import LogWitness

COSIGNER_RECORD = "cosigner"
MAX_CLOCK_SKEW = 300
"""Seconds a witness's clock may differ from the log's; an older timestamp is a replay."""
MAX_ANSWER_BYTES = 16 * 1024
"""The most of a witness's answer the log reads (a few signature lines)."""
DEFAULT_TIMEOUT = 10.0
"""Seconds the log waits for one witness's answer."""
SCHEDULER_TIMEOUT = 5.0
"""Seconds the scheduler's pass waits for one witness (at most two requests a witness)."""
MAX_PARALLEL = 8
"""Witnesses asked at the same time."""


class PushError(Exception):
    """A witness could not be reached or did not answer in time."""


Poster = Callable[[str, bytes, float], tuple[int, bytes]]
"""``(url, body, timeout) -> (HTTP status, answer body)``; raises :class:`PushError`."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 30x is the witness's answer, not somewhere else to POST to


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    """POST ``body`` to ``url`` (urllib, no redirects): the status and at most
    :data:`MAX_ANSWER_BYTES` of the answer."""
    if not url.startswith(("http://", "https://")):
        raise PushError(f"not an http(s) URL: {url!r}")
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return answer.status, answer.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_ANSWER_BYTES)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PushError(str(getattr(exc, "reason", exc))) from exc


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _get_log(session: DbSession, log_name: str) -> Log:
    log = session.scalar(sa.select(Log).where(Log.name == log_name))
    if log is None:
        raise NotFound(f"no log named {log_name!r}")
    return log


def list_cosigners(session: DbSession, log: Log) -> list[LogCosigner]:
    """The log's C2SP witnesses in the order they were added."""
    query = sa.select(LogCosigner).where(LogCosigner.log_id == log.id)
    return list(session.scalars(query.order_by(LogCosigner.id)))


def cosigner_key(cosigner: LogCosigner) -> CosignerKey:
    return CosignerKey(cosigner.name, cosigner.public_key)


def check_url(url: object) -> str:
    """A witness's submission prefix: an absolute http(s) URL, no query; trailing ``/`` dropped.

    Raises:
        InvalidRequest: anything else.
    """
    if not isinstance(url, str) or len(url) > 2048:
        raise InvalidRequest("the witness URL is its submission prefix, e.g. https://w.example/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidRequest(
            f"the witness URL {url!r} must be an http:// or https:// submission prefix "
            "without query or fragment"
        )
    return url.rstrip("/")


def add_cosigner(
    session: DbSession,
    log_name: str,
    vkey: object,
    url: object,
    *,
    approved_by: str,
    signing: LogSigning | None = None,
) -> LogCosigner:
    """List a C2SP witness on the log: a ``cosigner`` record, then the row.

    ``vkey`` is the witness's verifier key as it publishes it
    (``<name>+<hex key ID>+base64(0x04 ‖ Ed25519 key)``), ``url`` its
    submission prefix. The caller checks that ``approved_by`` may decide
    (:mod:`voting.services.witness_roster`).

    Raises:
        NotFound: no such log.
        InvalidRequest: a malformed vkey (or not a ``cosignature/v1`` key) or URL.
        Conflict: the name or the key is a witness of this log already.
    """
    log = _get_log(session, log_name)
    if not isinstance(vkey, str):
        raise InvalidRequest("the witness's vkey is its verifier key text")
    try:
        key = CosignerKey.from_vkey(vkey.strip())
    except InvalidEncoding as exc:
        raise InvalidRequest(f"witness vkey: {exc}") from exc
    prefix = check_url(url)
    with bulletin.locked_log(session, log.name, signing=signing) as locked:
        for other in list_cosigners(session, log):
            if other.name == key.name or other.public_key == key.public_key:
                raise Conflict(f"witness {other.name!r} with this name or key is listed already")
        bls = session.scalar(
            sa.select(LogWitness).where(LogWitness.log_id == log.id, LogWitness.name == key.name)
        )
        if bls is not None:
            raise Conflict(f"{key.name!r} is the name of a BLS witness of this log")
        appended = locked.append(
            {
                "type": COSIGNER_RECORD,
                "log": log.name,
                "name": key.name,
                "vkey": key.vkey(),
                "url": prefix,
                "approved_by": approved_by,
            }
        )
        row = LogCosigner(
            log_id=log.id,
            name=key.name,
            public_key=key.public_key,
            url=prefix,
            leaf_index=appended.index,
            added_at=_now(),
            cosigned_size=0,
        )
        session.add(row)
    return row


def line_of(name: str, key: CosignerKey, timestamp: int, signature: bytes) -> str:
    payload = key.key_id + timestamp.to_bytes(8, "big") + signature
    return f"— {name} {base64.b64encode(payload).decode()}\n"


def stored_lines(session: DbSession, checkpoint_id: int) -> list[str]:
    """The stored ``cosignature/v1`` lines of one checkpoint, in the order witnesses were added."""
    rows = session.execute(
        sa.select(LogCosigner, CosignerSignature)
        .join(CosignerSignature, CosignerSignature.cosigner_id == LogCosigner.id)
        .where(CosignerSignature.checkpoint_id == checkpoint_id)
        .order_by(LogCosigner.id)
    ).all()
    return [line_of(c.name, cosigner_key(c), s.timestamp, s.signature) for c, s in rows]


def cosigned_by(session: DbSession, checkpoint_id: int) -> list[str]:
    """The names of the C2SP witnesses whose cosignature of one checkpoint is stored."""
    return list(
        session.scalars(
            sa.select(LogCosigner.name)
            .join(CosignerSignature, CosignerSignature.cosigner_id == LogCosigner.id)
            .where(CosignerSignature.checkpoint_id == checkpoint_id)
            .order_by(LogCosigner.id)
        )
    )


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What one witness answered to one push."""

    witness: str
    size: int
    cosigned: bool
    timestamp: int | None = None
    error: str | None = None
    """Why there is no cosignature (None when cosigned)."""
    attempts: int = 0
    signature: bytes | None = None


@dataclass(slots=True)
class _Job:
    cosigner_id: int
    key: CosignerKey
    url: str
    old: int
    attempts: int = 0
    result: tuple[int, bytes] | None = None
    failure: str | None = None
    sent_at: float = 0.0
    abandoned: bool = False


def _body(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n"]
    return ("".join(lines) + note).encode()


def push(
    session: DbSession,
    log_name: str,
    *,
    post: Poster = http_post,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Callable[[], float] = time.time,
) -> list[PushOutcome]:
    """Push the latest checkpoint to every C2SP witness of the log that has not cosigned it.

    Each witness gets ``old <its last cosigned size>`` and the consistency
    proof from that size. A 409 names the size the witness really has: the
    log sends once more with a proof from that size. A 200's lines are
    checked (:func:`_accept`) and the witness's cosignature stored. Nothing
    raises for a witness's failure: it is returned and kept in
    ``last_error``.

    Raises:
        NotFound: no such log, or it has no checkpoint yet.
    """
    log = _get_log(session, log_name)
    checkpoint = session.scalar(
        sa.select(LogCheckpoint)
        .where(LogCheckpoint.log_id == log.id)
        .order_by(LogCheckpoint.size.desc())
        .limit(1)
    )
    if checkpoint is None:
        raise NotFound(f"log {log_name!r} has no checkpoint yet")
    checkpoint_id, size, note, name = checkpoint.id, checkpoint.size, checkpoint.note, log.name
    done = set(
        session.scalars(
            sa.select(CosignerSignature.cosigner_id).where(
                CosignerSignature.checkpoint_id == checkpoint_id
            )
        )
    )
    jobs = [
        _Job(c.id, cosigner_key(c), c.url, c.cosigned_size)
        for c in list_cosigners(session, log)
        if c.id not in done
    ]
    outcomes: list[PushOutcome] = []
    pending = jobs
    while pending:
        # (1) proofs from the database; then no transaction stays open while we wait
        sendable: list[tuple[_Job, bytes]] = []
        for job in pending:
            if job.old > size:
                outcomes.append(_failed(job, size, _beyond(job.old, size)))
                continue
            proof = (
                bulletin.consistency_proof(session, name, job.old, size)
                if 0 < job.old < size
                else []
            )
            sendable.append((job, _body(job.old, proof, note)))
        session.commit()
        # (2) every witness at once, each with its timeout
        _exchange(sendable, post, timeout, clock)
        # (3) read the answers; a 409 with a usable size goes round once more
        pending = []
        for job, _ in sendable:
            retry_from, outcome = _read(job, size, note, clock)
            if retry_from is not None:
                job.old = retry_from
                pending.append(job)
            else:
                assert outcome is not None
                outcomes.append(outcome)
    for outcome, job in _pair(outcomes, jobs):
        _record(session, checkpoint_id, job, outcome)
    return outcomes


def push_all(
    session: DbSession,
    signing: LogSigning,
    *,
    timeout: float = SCHEDULER_TIMEOUT,
    post: Poster = http_post,
) -> list[str]:
    """The scheduler's step: every log with C2SP witnesses signs a checkpoint if one is due
    (:func:`voting.log.bulletin.latest_checkpoint_note`) and pushes its latest.

    Returns one line per witness asked.
    """
    names = session.scalars(
        sa.select(Log.name).where(Log.id.in_(sa.select(LogCosigner.log_id))).order_by(Log.name)
    ).all()
    session.commit()
    lines = []
    for name in names:
        bulletin.latest_checkpoint_note(session, name, signing=signing)
        for outcome in push(session, name, post=post, timeout=timeout):
            said = "cosigned" if outcome.cosigned else f"no cosignature: {outcome.error}"
            lines.append(f"witness {outcome.witness} of {name}, size {outcome.size}: {said}")
    return lines


def _pair(outcomes: list[PushOutcome], jobs: list[_Job]) -> list[tuple[PushOutcome, _Job]]:
    by_name = {job.key.name: job for job in jobs}
    return [(o, by_name[o.witness]) for o in outcomes]


def _beyond(their: int, size: int) -> str:
    return (
        f"the witness says it cosigned size {their}, beyond this log's latest checkpoint "
        f"(size {size}): a checkpoint this log's database does not have (a fork, or a "
        "rolled-back database) — investigate before anything else"
    )


def _failed(job: _Job, size: int, error: str) -> PushOutcome:
    return PushOutcome(job.key.name, size, False, error=error, attempts=job.attempts)


def _exchange(
    sendable: list[tuple[_Job, bytes]], post: Poster, timeout: float, clock: Callable[[], float]
) -> None:
    """Send each body, :data:`MAX_PARALLEL` witnesses at a time, and wait for all of them.

    ``timeout`` bounds each socket operation; a witness that keeps answering
    just in time (a byte at a time) is abandoned after ``2 × timeout`` in all,
    so that no witness holds the push (or the scheduler's pass) longer.
    """
    for start in range(0, len(sendable), MAX_PARALLEL):
        batch = []
        for job, body in sendable[start : start + MAX_PARALLEL]:
            job.attempts += 1
            job.sent_at = clock()
            job.result, job.failure, job.abandoned = None, None, False
            thread = threading.Thread(
                target=_send, args=(job, body, post, timeout), daemon=True, name="add-checkpoint"
            )
            thread.start()
            batch.append((job, thread))
        deadline = time.monotonic() + 2 * timeout
        for job, thread in batch:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():  # daemon: it dies with the process, and its answer is ignored
                job.abandoned = True


def _send(job: _Job, body: bytes, post: Poster, timeout: float) -> None:
    try:
        result = post(job.url + "/add-checkpoint", body, timeout)
    except PushError as exc:
        job.failure = f"unreachable or too slow ({timeout:g} s): {exc}"
        return
    job.result = result


def _read(
    job: _Job, size: int, note: str, clock: Callable[[], float]
) -> tuple[int | None, PushOutcome | None]:
    if job.abandoned:
        return None, _failed(job, size, "too slow: no whole answer within twice the timeout")
    if job.result is None:
        return None, _failed(job, size, job.failure or "no answer")
    status, answer = job.result
    if status == 409:
        their = _size_body(answer)
        if their is None:
            return None, _failed(job, size, "409 without a size body (text/x.tlog.size)")
        if their > size:
            return None, _failed(job, size, _beyond(their, size))
        if their == job.old or job.attempts >= 2:
            return None, _failed(job, size, f"409 again (the witness has size {their})")
        return their, None
    if status != 200:
        text = answer[:200].decode("utf-8", "replace").strip()
        return None, _failed(job, size, f"answered {status}: {text}")
    try:
        timestamp, signature = _accept(job.key, note, answer, job.sent_at, clock())
    except (InvalidCosignature, InvalidEncoding) as exc:
        return None, _failed(job, size, f"refused its answer: {exc}")
    outcome = PushOutcome(job.key.name, size, True, timestamp, attempts=job.attempts)
    return None, dataclasses.replace(outcome, signature=signature)


def _size_body(answer: bytes) -> int | None:
    text = answer.decode("ascii", "replace")
    digits = text[:-1] if text.endswith("\n") else text
    if not digits.isdigit() or len(digits) > 20 or (digits != "0" and digits.startswith("0")):
        return None
    return int(digits)


def _accept(
    key: CosignerKey, note: str, answer: bytes, sent_at: float, now: float
) -> tuple[int, bytes]:
    """The timestamp and signature of the witness's valid line in ``answer``.

    Raises:
        InvalidEncoding: not signature lines.
        InvalidCosignature: no line of the witness's key, one that does not verify for
            this checkpoint (another checkpoint's, another origin's, forged), or a
            timestamp before the push (a replayed answer) or in the future.
    """
    try:
        text = answer.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEncoding("the answer is not UTF-8") from exc
    lines = text.splitlines(keepends=True)
    if not lines or any(not line.startswith("— ") or not line.endswith("\n") for line in lines):
        raise InvalidEncoding("the answer is not note signature lines")
    cosigned = add_signatures(note, lines)
    timestamp = find_cosignature_v1(cosigned, key)
    if timestamp is None:
        raise InvalidCosignature(f"no cosignature/v1 line of {key.name!r} with its listed key")
    if timestamp < sent_at - MAX_CLOCK_SKEW:
        raise InvalidCosignature(
            f"its cosignature is dated {timestamp}, before the push ({int(sent_at)}): "
            "a replayed answer"
        )
    if timestamp > now + MAX_CLOCK_SKEW:
        raise InvalidCosignature(f"its cosignature is dated {timestamp}, in the future")
    mine = [
        s for s in parse_note(cosigned).signatures if (s.name, s.key_id) == (key.name, key.key_id)
    ]
    return timestamp, mine[0].signature[8:]


def _record(session: DbSession, checkpoint_id: int, job: _Job, outcome: PushOutcome) -> None:
    row = session.get(LogCosigner, job.cosigner_id)
    if row is None:
        return
    row.last_push_at, row.last_error = _now(), outcome.error
    if outcome.cosigned:
        assert outcome.timestamp is not None and outcome.signature is not None
        row.cosigned_size = outcome.size
        session.add(
            CosignerSignature(
                checkpoint_id=checkpoint_id,
                cosigner_id=job.cosigner_id,
                timestamp=outcome.timestamp,
                signature=outcome.signature,
                received_at=_now(),
            )
        )
    elif job.old <= outcome.size:
        row.cosigned_size = job.old  # the size the witness named in its last 409, if any
    try:
        session.commit()
    except sqlalchemy.exc.IntegrityError:
        session.rollback()  # another push stored this witness's cosignature meanwhile
