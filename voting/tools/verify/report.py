"""The verifier's report: one result per named check, the failures with their leaf indexes.

A check is ``passed``, ``failed``, ``skipped`` (it does not apply to this
record, e.g. no results on a record that ends at closing) or ``unpinned``: it
held, but only against a trust root the record itself ships (the witness
roster without ``--roster``, the log key without ``--log-key``), so it proves
nothing against the operator who made the record. Every failure
names the entries involved by leaf index. The check names are stable: they
are listed, with what each one means, in docs/verifier.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

__all__ = ["CHECKS", "CheckResult", "Failure", "Report"]

CHECKS: dict[str, str] = {
    "entries": "every entry is canonical JSON (RFC 8785) with a known type",
    "merkle-root": "the entries hash to the final checkpoint's size and root (RFC 9162)",
    "checkpoint-signature": "the final checkpoint is signed by the log's key",
    "witnesses": "the witnesses' aggregate cosignature on the final checkpoint",
    "sequence": "the lifecycle records come once each, in order, for this vote day",
    "ceremony": "trustee commitments and their proofs, shares, complaints",
    "election-key": "the election key and verification keys derive from the qualified trustees",
    "manifest": "the manifest's hash, election key, trustees and log key",
    "schedule": "the vote day opened and closed no earlier than the manifest's schedule",
    "credentials": "the credential lists: complete parts, sorted, each key in one unit",
    "ballots": "every ballot: registered credential, its unit's questions, signature, proofs",
    "revote-policy": "the ballots counted under the vote day's re-vote policy",
    "return-codes": "return codes: every authority's answer against your keys, every "
    "confirmation against the lookup tree committed at opening; only confirmed ballots count",
    "spoiled": "every audited ballot verifies and its revealed votes match; none is counted",
    "after-close": "no ballot after the close record",
    "encrypted-totals": "each unit's encrypted totals equal the sum of its counted ballots",
    "publication-minimum": "no unit's electronic counts cover fewer ballots than the "
    "manifest's minimum: smaller units are merged into an ancestor, as the rule says",
    "decryption-shares": "every trustee's partial decryption proof",
    "electronic-counts": "each unit's counts recombine from t valid decryption shares",
    "channel-counts": "clerks' keys and signatures on postal and polling-station counts, "
    "the corrections chain",
    "results": "the sums up the tree, turnout and every outcome, recomputed",
    "receipt": "the voter's receipt is in the record",
}

MAX_LISTED = 50
"""Failures listed per check; the rest are counted."""


@dataclass(frozen=True)
class Failure:
    """One thing that is wrong, with the leaf indexes of the entries involved."""

    message: str
    leaves: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "leaves": list(self.leaves)}


@dataclass
class CheckResult:
    """The outcome of one named check."""

    name: str
    status: str = "passed"
    detail: str = ""
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "title": CHECKS[self.name],
            "status": self.status,
            "detail": self.detail,
            "failure_count": self.failure_count,
            "failures": [f.to_json() for f in self.failures],
        }


@dataclass
class Report:
    """Every check's result and the facts the verifier established."""

    checks: dict[str, CheckResult] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def _get(self, name: str) -> CheckResult:
        if name not in CHECKS:
            raise KeyError(f"unknown check {name!r}")
        return self.checks.setdefault(name, CheckResult(name))

    def fail(self, name: str, message: str, leaves: Iterable[int] = ()) -> None:
        """Record a failure of check ``name``."""
        result = self._get(name)
        result.status = "failed"
        result.failure_count += 1
        if len(result.failures) < MAX_LISTED:
            result.failures.append(Failure(message, tuple(sorted(set(leaves)))))

    def done(self, name: str, detail: str) -> None:
        """Mark check ``name`` as run (passed unless a failure was recorded)."""
        self._get(name).detail = detail

    def unpinned(self, name: str, detail: str) -> None:
        """Mark check ``name`` as held only against the record's own trust root."""
        result = self._get(name)
        if result.status != "failed":
            result.status = "unpinned"
        result.detail = detail

    def skip(self, name: str, reason: str) -> None:
        result = self._get(name)
        if result.status != "failed":
            result.status = "skipped"
        result.detail = reason

    def failed(self, name: str) -> bool:
        return name in self.checks and self.checks[name].status == "failed"

    @property
    def valid(self) -> bool:
        return not any(c.status == "failed" for c in self.checks.values())

    def ordered(self) -> list[CheckResult]:
        return [self.checks[name] for name in CHECKS if name in self.checks]

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "facts": self.facts,
            "checks": [c.to_json() for c in self.ordered()],
            "failed": [c.name for c in self.ordered() if c.status == "failed"],
        }

    def _fact_lines(self) -> list[str]:
        return _facts_text(self.facts)

    def to_text(self) -> str:
        """The readable report."""
        lines = self._fact_lines()
        for result in self.ordered():
            mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip", "unpinned": "????"}[
                result.status
            ]
            lines.append(f"[{mark}] {result.name:20} {result.detail or CHECKS[result.name]}")
            for failure in result.failures:
                where = _leaves_text(failure.leaves)
                lines.append(f"         - {failure.message}{where}")
            hidden = result.failure_count - len(result.failures)
            if hidden > 0:
                lines.append(f"         - ... and {hidden} more")
        verdict = "VALID" if self.valid else "NOT VALID"
        failed = [c.name for c in self.ordered() if c.status == "failed"]
        lines.append("")
        lines.append(
            f"The record is {verdict}" + (f": failed {', '.join(failed)}" if failed else ".")
        )
        return "\n".join(lines) + "\n"


def _facts_text(facts: dict[str, Any]) -> list[str]:
    lines = []
    if "vote_day" in facts:
        lines.append(f"Vote day {facts['vote_day']}: {facts.get('entries', '?')} log entries")
    ballots = facts.get("ballots")
    if ballots:
        lines.append(
            f"Ballots: {ballots['cast']} cast, {ballots['counted']} counted, "
            f"{ballots['audited']} audited (not counted)"
        )
    for question, outcome in (facts.get("outcomes") or {}).items():
        lines.append(f"  {question}: {outcome}")
    return [*lines, ""] if lines else []


def _leaves_text(leaves: tuple[int, ...]) -> str:
    if not leaves:
        return ""
    shown = ", ".join(str(i) for i in leaves[:10])
    more = f", … ({len(leaves)} in all)" if len(leaves) > 10 else ""
    return f" [leaf {shown}{more}]" if len(leaves) == 1 else f" [leaves {shown}{more}]"
