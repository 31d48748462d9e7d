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

Ballots are verified in chunks by ``jobs`` worker processes; each chunk
returns its failures and its partial sums, so nothing large travels back.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

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
from voting.tools.verify.manifest_checks import ElectionFacts
from voting.tools.verify.manifest_checks import SpecTuple
from voting.tools.verify.report import Report
from voting.tools.verify.structure import Entries

__all__ = ["BallotSums", "check_ballots"]

CHUNK = 25
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
    keys: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    """(leaf, content keys) of every record whose ballot parsed"""
    sums: Sums = field(default_factory=dict)
    checked: int = 0
    cpu_seconds: float = 0.0


@dataclass
class BallotSums:
    """The counted ballots per unit and their homomorphic sums."""

    counted: dict[str, int]
    sums: dict[str, dict[str, list[Ciphertext]]]


def check_ballots(
    report: Report,
    entries: Entries,
    raw: tuple[bytes, ...],
    facts: ElectionFacts,
    *,
    jobs: int,
    progress: Callable[[int], None],
) -> BallotSums:
    """Verify every ballot and audit; return the counted ballots' sums."""
    counted_leaves = _revote(report, entries, facts)
    tasks = list(_tasks(entries, raw, facts, counted_leaves))
    for unit in {t.unit for t in tasks if t.unit is not None}:
        facts.questions_of(unit)
    context = _Context(facts.vote_day, facts.manifest_hash, facts.public_key, facts.unit_questions)
    chunks = [tasks[i : i + CHUNK] for i in range(0, len(tasks), CHUNK)]
    total = _ChunkResult()
    seen = _Contents(report, entries)
    for result in _run(context, chunks, jobs):
        for check, message, index in result.failures:
            report.fail(check, message, [index])
        for leaf, keys in result.keys:
            seen.add(leaf, keys)
        _add_sums(total.sums, result.sums)
        total.checked += result.checked
        total.cpu_seconds += result.cpu_seconds
        progress(result.checked)
    counted: dict[str, int] = {}
    for leaf in counted_leaves:
        home = facts.credentials.get(_credential(entries, leaf) or "")
        if home is not None:
            counted[home] = counted.get(home, 0) + 1
    ballots, spoiled = len(entries.of("ballot")), len(entries.of("spoiled"))
    report.facts["ballots"] = {"cast": ballots, "counted": len(counted_leaves), "audited": spoiled}
    report.facts["ballot_cpu_seconds"] = round(total.cpu_seconds, 3)
    report.done("ballots", f"{ballots} ballots verified")
    report.done("spoiled", f"{spoiled} audited ballots verified, none counted")
    return BallotSums(counted=counted, sums={u: _decode(s) for u, s in total.sums.items()})


class _Contents:
    """Every content key seen so far and its first leaf: a second appearance fails."""

    def __init__(self, report: Report, entries: Entries) -> None:
        self.report, self.entries = report, entries
        self.first: dict[str, int] = {}
        self.reported: set[tuple[int, int]] = set()

    def add(self, leaf: int, keys: tuple[str, ...]) -> None:
        if len(set(keys)) != len(keys):
            self._fail(leaf, leaf)
        for key in keys:
            other = self.first.setdefault(key, leaf)
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


def _credential(entries: Entries, leaf: int) -> str | None:
    record = entries.records[leaf] or {}
    ballot = record.get("ballot")
    credential = ballot.get("credential") if isinstance(ballot, dict) else None
    return credential if isinstance(credential, str) else None


def _revote(report: Report, entries: Entries, facts: ElectionFacts) -> set[int]:
    """The counted ballot of each credential under the policy (log order decides)."""
    chosen: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for leaf in entries.of("ballot"):
        credential = _credential(entries, leaf)
        if credential is None:
            continue
        repeated.setdefault(credential, []).append(leaf)
        if facts.revote_policy == "last-counts" or credential not in chosen:
            chosen[credential] = leaf
    again = {c: leaves for c, leaves in repeated.items() if len(leaves) > 1}
    if facts.revote_policy == "first-counts":
        for credential, leaves in again.items():
            report.fail(
                "revote-policy",
                f"credential {credential[:16]}… cast {len(leaves)} ballots under first-counts: "
                "only the first may be on the log",
                leaves,
            )
    superseded = sum(len(v) - 1 for v in again.values())
    report.done(
        "revote-policy",
        f"{facts.revote_policy}: {len(chosen)} ballots counted, {superseded} superseded",
    )
    return set(chosen.values())


def _tasks(
    entries: Entries, raw: tuple[bytes, ...], facts: ElectionFacts, counted: set[int]
) -> Iterator[_Task]:
    for kind in ("ballot", "spoiled"):
        for leaf in entries.of(kind):
            record = entries.records[leaf] or {}
            ballot = record.get("ballot")
            credential = ballot.get("credential") if isinstance(ballot, dict) else None
            unit = facts.credentials.get(credential) if isinstance(credential, str) else None
            yield _Task(leaf, raw[leaf], kind, unit, leaf in counted)


def _run(context: _Context, chunks: list[list[_Task]], jobs: int) -> Iterator[_ChunkResult]:
    if jobs <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield _verify_chunk(context, chunk)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(min(jobs, len(chunks))) as pool:
        yield from pool.imap_unordered(_verify_chunk_star, [(context, c) for c in chunks])


def _verify_chunk_star(args: tuple[_Context, list[_Task]]) -> _ChunkResult:
    return _verify_chunk(*args)


def _verify_chunk(context: _Context, chunk: list[_Task]) -> _ChunkResult:
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
            result.keys.append((task.index, content_keys(ballot)))
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
