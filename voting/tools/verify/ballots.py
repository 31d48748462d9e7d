"""Every ballot and audited ballot, verified in parallel; the counted ballots summed.

What is checked is exactly what voting.services.casting checks before
logging a ballot (docs/spec.md section 6.6): the credential is registered,
the ballot answers the questions of the credential's unit in order, the
credential's signature and every proof verify. Audited ballots (``spoiled``)
are checked the same way, with the signature under the audit tag, and their
revealed votes must re-encrypt to their ciphertexts, revealing exactly the
ballot's questions (section 6.7); they are never counted.

Cast and audited ballots are disjoint: no content (an unsigned ballot or a
ciphertext, :func:`crypto.ballot.content_keys`) may appear twice across the
``ballot`` and ``spoiled`` records. A second appearance is a replayed ballot,
an audited ballot that was cast, or a cast ballot that was audited; the
``ballots`` check fails and names both leaves.

The re-vote policy picks the counted ballot of each credential (the first or
the last). The homomorphic sums of the counted ballots, per unit and
question, are what the encrypted-totals records must hold.

Ballots are streamed from the record's entry source a second time (the first
pass indexed them into the store: type, credential, counted or not) and
verified in chunks by a backend (:mod:`voting.tools.verify.backends`: this
process, worker processes, or a Dask cluster); each chunk returns its
failures, its content keys and its partial sums, so nothing large travels
back. Results are applied in leaf order whatever the backend, so the report
is the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import content_keys
from crypto.ballot import verify_audit
from crypto.ballot import verify_ballot
from crypto.elgamal import Ciphertext
from crypto.encoding import canonical_json
from crypto.errors import CryptoError
from crypto.group import Point
from crypto.merkle import leaf_hash
from voting.tools.verify.manifest_checks import ElectionFacts
from voting.tools.verify.manifest_checks import SpecTuple
from voting.tools.verify.record import UnusableRecord
from voting.tools.verify.report import Report
from voting.tools.verify.source import EntrySource
from voting.tools.verify.store import Store
from voting.tools.verify.structure import Entries

if TYPE_CHECKING:
    from voting.tools.verify.backends import Backend

__all__ = ["BallotSums", "UnstableSource", "check_ballots", "verify_chunk"]

Sums = dict[str, dict[str, list[bytes]]]
"""unit → question → the sum of the counted ballots' ciphertexts per option (64 bytes each)"""


@dataclass(frozen=True)
class _Context:
    vote_day: str
    manifest_hash: bytes
    public_key: bytes
    questions: dict[str, tuple[SpecTuple, ...]]


@dataclass(frozen=True)
class _Task:
    index: int
    data: bytes
    kind: str
    unit: str | None
    counted: bool


@dataclass
class _ChunkResult:
    failures: list[tuple[str, str, int]] = field(default_factory=list)
    keys: list[tuple[int, tuple[bytes, ...]]] = field(default_factory=list)
    """(leaf, content keys) of every record whose ballot parsed: the first 16 bytes of
    each SHA-256 key (:func:`crypto.ballot.content_keys`), enough to tell them apart"""
    sums: Sums = field(default_factory=dict)
    checked: int = 0
    cpu_seconds: float = 0.0


@dataclass
class BallotSums:
    """The counted ballots per unit and their homomorphic sums."""

    counted: dict[str, int]
    sums: dict[str, dict[str, list[Ciphertext]]]


Chunk = list["_Task"]


def check_ballots(
    report: Report,
    entries: Entries,
    source: EntrySource,
    facts: ElectionFacts,
    *,
    backend: Backend,
    progress: Callable[[int], None],
    resume: dict[str, Any] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] = lambda state: None,
) -> BallotSums:
    """Verify every ballot and audit, streaming them from ``source``; return the counted sums.

    ``checkpoint(state)`` is called every so often with what a later call
    needs as ``resume`` to continue after the last leaf it covers (the caller
    saves it with the store's rows); ``resume`` None starts from leaf 0.
    """
    store = entries.store
    if resume is None:
        _revote(report, entries, facts)
        state: dict[str, Any] = {
            "leaf": 0,
            "offset": 0,
            "sums": {},
            "checked": 0,
            "cpu": 0.0,
            "reported": set(),
        }
    else:
        state = resume
    for unit in store.units_cast():
        facts.questions_of(unit)
    context = _Context(facts.vote_day, facts.manifest_hash, facts.public_key, facts.unit_questions)
    seen = _Contents(report, entries, state["reported"])
    last_save = time.monotonic()
    for chunk, end_leaf, end_offset, result in backend.run(
        context, _chunks(source, store, state["leaf"], state["offset"], backend.chunk)
    ):
        spoiled = {t.index for t in chunk if t.kind == "spoiled"}
        later: dict[int, tuple[list[tuple[str, str, int]], tuple[bytes, ...] | None]] = {}
        for failure in result.failures:
            if failure[2] in spoiled:
                later.setdefault(failure[2], ([], None))[0].append(failure)
            else:
                report.fail(failure[0], failure[1], [failure[2]])
        for leaf, keys in result.keys:
            if leaf in spoiled:
                later[leaf] = (later.get(leaf, ([], None))[0], keys)
            else:
                seen.add(leaf, keys)
        for leaf, held in later.items():
            store.defer(leaf, held)
        _add_sums(state["sums"], result.sums)
        state["checked"] += result.checked
        state["cpu"] += result.cpu_seconds
        state["leaf"], state["offset"] = end_leaf, end_offset
        progress(result.checked)
        if time.monotonic() - last_save > CHECKPOINT_SECONDS:
            checkpoint(state)
            last_save = time.monotonic()
    for leaf, (failures, keys) in store.deferred():
        for check, message, index in failures:
            report.fail(check, message, [index])
        if keys is not None:
            seen.add(leaf, keys)
    counted, _ = store.counted_stats()
    ballots, spoiled_count = store.count("ballot"), store.count("spoiled")
    report.facts["ballots"] = {"cast": ballots, "counted": counted, "audited": spoiled_count}
    report.facts["ballot_cpu_seconds"] = round(state["cpu"], 3)
    report.done("ballots", f"{ballots} ballots verified")
    report.done("spoiled", f"{spoiled_count} audited ballots verified, none counted")
    return BallotSums(
        counted=store.counted_per_unit(),
        sums={u: _decode(s) for u, s in state["sums"].items()},
    )


CHECKPOINT_SECONDS = 5.0
"""How often the ballot pass saves its progress for a resume (with ``--state``)."""


def _chunks(
    source: EntrySource, store: Store, start: int, offset: int, size: int
) -> Iterator[tuple[Chunk, int, int]]:
    """Chunks of ballot tasks from leaf ``start`` on: (tasks, next leaf, its byte offset)."""
    casting = store.casting_from(start)
    pending = next(casting, None)
    chunk: Chunk = []
    leaf = start
    for leaf, data in source.entries(start, offset):
        offset += len(data) + 1
        if pending is None or pending[0] != leaf:
            continue
        _, kind, unit, counted, hashed = pending
        if leaf_hash(data) != hashed:
            raise UnstableSource(
                f"{source.description} gave leaf {leaf} different bytes when the ballots were "
                "checked than when the entries were hashed: the entry source is not stable "
                "(a changing file, or a server showing the verifier two logs); nothing "
                "it gives can be relied on"
            )
        chunk.append(_Task(leaf, data, kind, unit, counted))
        pending = next(casting, None)
        if len(chunk) >= size:
            yield chunk, leaf + 1, offset
            chunk = []
    if chunk:
        yield chunk, leaf + 1, offset


class UnstableSource(UnusableRecord):
    """The entry source gave a ballot's leaf other bytes on the second pass than on the first."""


class _Contents:
    """Every content key seen so far (in the store) and its first leaf: a second one fails."""

    def __init__(self, report: Report, entries: Entries, reported: set[tuple[int, int]]) -> None:
        self.report, self.entries = report, entries
        self.reported = reported

    def add(self, leaf: int, keys: tuple[bytes, ...]) -> None:
        if len(set(keys)) != len(keys):
            self._fail(leaf, leaf)
        for key in keys:
            other = self.entries.store.first_holder(key, leaf)
            if other != leaf:
                self._fail(min(other, leaf), max(other, leaf))

    def _fail(self, a: int, b: int) -> None:
        if (a, b) not in self.reported:
            self.reported.add((a, b))
            self.report.fail("ballots", self._message(a, b), (a, b))

    def _message(self, a: int, b: int) -> str:
        if a == b:
            return f"leaf {a} holds the same ciphertext twice"
        kinds = [str((self.entries.records[i] or {}).get("type")) for i in (a, b)]
        return (
            f"leaves {a} ({kinds[0]}) and {b} ({kinds[1]}) hold the same ballot content: "
            "a ballot was replayed, or an audited ballot was cast, or a cast ballot audited "
            "(each ciphertext may be on the log once)"
        )


def _revote(report: Report, entries: Entries, facts: ElectionFacts) -> None:
    """Mark the counted ballot of each credential under the policy (log order decides)."""
    store = entries.store
    store.mark_counted(facts.revote_policy)
    if facts.confirmed is not None:  # return codes: an unconfirmed ballot is not counted
        store.uncount_except(facts.confirmed)
    superseded = 0
    for credential, leaves in store.repeated():
        superseded += len(leaves) - 1
        if facts.revote_policy == "first-counts":
            report.fail(
                "revote-policy",
                f"credential {credential[:16]}… cast {len(leaves)} ballots under first-counts: "
                "only the first may be on the log",
                leaves,
            )
    counted, _ = store.counted_stats()
    report.done(
        "revote-policy",
        f"{facts.revote_policy}: {counted} ballots counted, {superseded} superseded",
    )


def verify_chunk(context: _Context, chunk: list[_Task]) -> _ChunkResult:
    """Worker: verify a chunk of ballots and audits (pure; runs in a child process)."""
    election = ElectionContext(
        context.vote_day, context.manifest_hash, Point.from_bytes(context.public_key)
    )
    result = _ChunkResult()
    started = time.process_time()
    for task in chunk:
        check = "ballots" if task.kind == "ballot" else "spoiled"
        ballot: Ballot | None
        try:
            ballot = _verify_one(task, context, election)
        except _Refused as exc:
            result.failures.append((exc.check or check, str(exc), task.index))
            ballot = exc.ballot
        if ballot is not None:
            digests = tuple(bytes.fromhex(key)[:16] for key in content_keys(ballot))
            result.keys.append((task.index, digests))
        if ballot is not None and task.counted and task.unit is not None:
            _accumulate(result.sums.setdefault(task.unit, {}), ballot)
        result.checked += 1
    result.cpu_seconds = time.process_time() - started
    return result


class _Refused(Exception):
    def __init__(
        self, message: str, ballot: Ballot | None = None, check: str | None = None
    ) -> None:
        super().__init__(message)
        self.ballot = ballot
        self.check = check


def _verify_one(task: _Task, context: _Context, election: ElectionContext) -> Ballot:
    record = json.loads(task.data)
    if canonical_json(record) != task.data:
        raise _Refused("entry is not in canonical JSON form (RFC 8785)", check="entries")
    expected = {"type", "ballot"} if task.kind == "ballot" else {"type", "ballot", "secrets"}
    if set(record) != expected:
        raise _Refused(f"a {task.kind} record has exactly the keys {sorted(expected)}")
    try:
        ballot = Ballot.from_json(record["ballot"])
    except CryptoError as exc:
        raise _Refused(f"malformed ballot: {exc}") from exc
    if task.unit is None:
        raise _Refused("the ballot's credential is not registered for this vote day", ballot)
    specs = [QuestionSpec(*spec) for spec in context.questions.get(task.unit, ())]
    purpose = "cast" if task.kind == "ballot" else "audit"
    try:
        verify_ballot(ballot, questions=specs, election=election, purpose=purpose)
        if task.kind == "spoiled":
            verify_audit(ballot, BallotSecrets.from_json(record["secrets"]), election=election)
    except CryptoError as exc:
        raise _Refused(f"ballot of a voter of {task.unit}: {exc}", ballot) from exc
    return ballot


def _accumulate(sums: dict[str, list[bytes]], ballot: Ballot) -> None:
    for answer in ballot.answers:
        current = sums.get(answer.question_id)
        if current is None:
            sums[answer.question_id] = [ct.to_bytes() for ct in answer.ciphertexts]
            continue
        if len(current) != len(answer.ciphertexts):
            continue  # a malformed ballot, already reported
        sums[answer.question_id] = [
            (_ct(a) + b).to_bytes() for a, b in zip(current, answer.ciphertexts, strict=True)
        ]


def _ct(data: bytes) -> Ciphertext:
    return Ciphertext(pad=Point(data[:32]), data=Point(data[32:]))


def _add_sums(total: Sums, part: Sums) -> None:
    for unit, questions in part.items():
        into = total.setdefault(unit, {})
        for qid, cts in questions.items():
            if qid not in into:
                into[qid] = cts
            elif len(into[qid]) == len(cts):
                into[qid] = [
                    (_ct(a) + _ct(b)).to_bytes() for a, b in zip(into[qid], cts, strict=True)
                ]


def _decode(sums: dict[str, list[bytes]]) -> dict[str, list[Ciphertext]]:
    return {qid: [_ct(b) for b in cts] for qid, cts in sums.items()}
