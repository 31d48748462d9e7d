"""The streaming verifier on a big record: peak memory, ballots per core, and a Dask cluster.

    python benchmarks/verify_bench.py [--ballots 100000] [--jobs N] [--no-dask] [--json]

The record: a rehearsed vote day (the whole HTTP path, 4 voters, 1 witness)
cut at its close record (the tally's records dropped: the verifier then
reports the results as skipped, as for any record published at closing),
to which ``--ballots`` new voters are added. Each new voter has a fresh
Ed25519 credential, added to its unit's credential list before the vote
day opened, and casts one real ballot: random valid selections for every
question of its unit, encrypted to the election key with every proof, and
signed (``crypto.ballot.encrypt_ballot``), made by ``--jobs`` processes.
The log is then resealed as the insider the rehearsal's keys make us: a
checkpoint of the new tree signed with the log's key and cosigned by the
witness, so the verifier must find the record VALID.

Then ``python -m voting.verify --json`` runs on it in a child process:

- ``processes``: ``--jobs N`` worker processes on this machine;
- ``dask``: ``--scheduler`` the address of a ``distributed.LocalCluster`` of
  N single-threaded worker processes.

Figures: ``peak_rss_mb`` (the verifier's main process, ``ru_maxrss``),
``peak_worker_rss_mb`` (the largest worker process), ``ballots_per_core_s``
(ballots over the CPU seconds the workers spent on them: per core, load
independent), ``ballots_per_s`` (wall clock, says the load),
``coordinator_cpu_ms_per_ballot`` (the CPU time of the verifier's main
process: both passes' hashing, parsing, SQLite and the ordered checks, per
ballot: what more workers cannot shorten), and whether the two backends'
reports are identical (timing facts aside). The load
(``os.getloadavg``) is printed with the figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nacl.signing import SigningKey  # noqa: E402

from benchmarks._common import emit  # noqa: E402
from crypto import merkle  # noqa: E402
from crypto.ballot import ElectionContext  # noqa: E402
from crypto.ballot import QuestionSpec  # noqa: E402
from crypto.ballot import encrypt_ballot  # noqa: E402
from crypto.credentials import Credential  # noqa: E402
from crypto.encoding import canonical_json  # noqa: E402
from crypto.group import Point  # noqa: E402
from crypto.note import Checkpoint  # noqa: E402
from crypto.note import NoteSigner  # noqa: E402
from crypto.note import add_signatures  # noqa: E402
from crypto.note import parse_note  # noqa: E402
from crypto.note import sign_checkpoint  # noqa: E402
from crypto.witness import WitnessSecretKey  # noqa: E402
from crypto.witness import aggregate_cosignatures  # noqa: E402
from crypto.witness import sign_checkpoint as cosign  # noqa: E402
from voting.tools.verify.ceremony_checks import check_ceremony  # noqa: E402
from voting.tools.verify.log_checks import parse_log_key  # noqa: E402
from voting.tools.verify.manifest_checks import ElectionFacts  # noqa: E402
from voting.tools.verify.manifest_checks import check_manifest  # noqa: E402
from voting.tools.verify.report import Report  # noqa: E402
from voting.tools.verify.structure import TALLY_TYPES  # noqa: E402
from voting.tools.verify.structure import check_sequence  # noqa: E402
from voting.tools.verify.structure import parse_entries  # noqa: E402

DROPPED = TALLY_TYPES | {"tallied", "published"}
TIMINGS = ("ballot_seconds", "ballot_cpu_seconds", "seconds")


def _rehearsed(workdir: Path) -> tuple[Path, bytes, str, list[bytes], str]:
    from voting.rehearsal.rehearse import rehearse

    summary = rehearse(
        voters=4,
        record=workdir / "record",
        workdir=workdir / "instance",
        seed=b"vbench",
        witnesses=1,
        jobs=1,
    )
    assert summary.log_key_path is not None
    seed = bytes.fromhex(summary.log_key_path.read_text().strip())
    origin = f"urna.local/log/{summary.vote_day}"
    return summary.record, seed, origin, list(summary.witness_secrets), origin + "/witnesses"


def _facts(lines: list[bytes]) -> ElectionFacts:
    report = Report()
    entries = parse_entries(report, lines)
    check_sequence(report, entries, (entries.records[0] or {}).get("vote_day"))
    leaf0 = merkle.leaf_hash(lines[0])
    ceremony = check_ceremony(report, entries, [leaf0])
    record_dir = Path(os.environ["URNA_BENCH_RECORD"])
    key = parse_log_key((record_dir / "log-key.txt").read_text().strip())
    facts = check_manifest(report, entries, ceremony, key)
    assert facts is not None, report.to_json()
    return facts


_JOB: dict[str, Any] = {}


def _init(
    context: tuple[str, bytes, bytes], specs: dict[str, list[tuple[str, int, int, int]]]
) -> None:
    vote_day, manifest_hash, public_key = context
    _JOB["election"] = ElectionContext(vote_day, manifest_hash, Point.from_bytes(public_key))
    _JOB["specs"] = {u: [QuestionSpec(*s) for s in v] for u, v in specs.items()}


def _make(args: tuple[int, str]) -> tuple[str, str, bytes]:
    """One voter: a fresh credential and its ballot record (canonical JSON)."""
    number, unit = args
    rng = random.Random(number)
    key = SigningKey(os.urandom(32))
    credential = Credential(key, bytes(key.verify_key))
    specs = _JOB["specs"][unit]
    selections = {}
    for spec in specs:
        count = rng.randint(spec.min_selections, spec.max_selections)
        chosen = set(rng.sample(range(spec.options), count))
        selections[spec.question_id] = [1 if i in chosen else 0 for i in range(spec.options)]
    ballot, _ = encrypt_ballot(
        selections, questions=specs, election=_JOB["election"], credential=credential
    )
    record = canonical_json({"type": "ballot", "ballot": ballot.to_json()})
    return unit, credential.public_key.hex(), record


def build(workdir: Path, ballots: int, jobs: int) -> tuple[Path, float]:
    """The record of ``ballots`` new voters; returns (record directory, seconds to make it)."""
    started = time.perf_counter()
    record, seed, origin, witnesses, roster = _rehearsed(workdir)
    os.environ["URNA_BENCH_RECORD"] = str(record)
    lines = (record / "entries.jsonl").read_bytes()[:-1].split(b"\n")
    records = [json.loads(line) for line in lines]
    close = next(i for i, r in enumerate(records) if r["type"] == "close")
    facts = _facts(lines)
    units = sorted({r["unit"] for r in records if r["type"] == "credentials"})
    specs = {u: list(facts.questions_of(u)) for u in units}
    units = [u for u in units if specs[u]]
    context = (facts.vote_day, facts.manifest_hash, facts.public_key)
    tasks = [(n, units[n % len(units)]) for n in range(ballots)]
    made: list[tuple[str, str, bytes]] = []
    with multiprocessing.get_context("fork").Pool(jobs, _init, (context, specs)) as pool:
        for item in pool.imap(_make, tasks, chunksize=64):
            made.append(item)
    new_keys: dict[str, list[str]] = {}
    for unit, key, _ in made:
        new_keys.setdefault(unit, []).append(key)
    last_part: dict[str, int] = {}
    for index, item in enumerate(records):
        if item["type"] == "credentials":
            last_part[item["unit"]] = index
    for unit, index in last_part.items():
        item = records[index]
        item["keys"] = sorted(item["keys"] + new_keys.get(unit, []))
        lines[index] = canonical_json(item)
    kept = [line for line, item in zip(lines[:close], records[:close], strict=True)]
    after = [
        line
        for line, item in zip(lines[close:], records[close:], strict=True)
        if item["type"] not in DROPPED
    ]
    entries = kept + [ballot for _, _, ballot in made] + after
    with open(record / "entries.jsonl", "wb") as out:
        for line in entries:
            out.write(line + b"\n")
    root = merkle.root_hash([merkle.leaf_hash(e) for e in entries])
    note = sign_checkpoint(Checkpoint(origin, len(entries), root), NoteSigner(origin, seed))
    text = parse_note(note).text
    signatures = {
        i: cosign(WitnessSecretKey.from_bytes(secret), text) for i, secret in enumerate(witnesses)
    }
    note = add_signatures(note, [aggregate_cosignatures(signatures).line(roster)])
    (record / "checkpoint.txt").write_text(note)
    meta = json.loads((record / "record.json").read_text())
    if isinstance(meta.get("log"), dict):
        meta["log"]["size"] = len(entries)
    (record / "record.json").write_text(json.dumps(meta))
    return record, time.perf_counter() - started


_PROBE = (
    "import json, resource, sys; from voting.tools.verify.__main__ import main; "
    "code = main(sys.argv[1:]); "
    "print(json.dumps({'code': code, "
    "'self_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
    "'self_cpu_s': resource.getrusage(resource.RUSAGE_SELF).ru_utime "
    "+ resource.getrusage(resource.RUSAGE_SELF).ru_stime, "
    "'children_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)"
)


def run_verifier(record: Path, *extra: str) -> dict[str, Any]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(record), "--json", "--no-progress", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"the verifier failed: {result.stderr}")
    usage = json.loads(result.stderr.strip().splitlines()[-1])
    report = json.loads(result.stdout)
    return {"report": report, "seconds": seconds, **usage}


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    facts = {k: v for k, v in report["facts"].items() if k not in TIMINGS}
    return {**report, "facts": facts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, Any] = {"ballots": args.ballots, "jobs": args.jobs}
    with tempfile.TemporaryDirectory(prefix="urna-verify-bench-") as scratch:
        record, made_s = build(Path(scratch), args.ballots, args.jobs)
        size = (record / "entries.jsonl").stat().st_size
        figures["generate_s"] = round(made_s, 1)
        figures["record_mb"] = round(size / 1e6, 1)
        figures["load_before"] = [round(x, 2) for x in os.getloadavg()]
        local = run_verifier(record, "--jobs", str(args.jobs))
        figures.update(_figures("processes", local, args.ballots))
        figures["valid"] = local["report"]["valid"]
        if not args.no_dask:
            from distributed import LocalCluster

            with LocalCluster(
                n_workers=args.jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster:
                remote = run_verifier(record, "--scheduler", cluster.scheduler_address)
            figures.update(_figures("dask", remote, args.ballots))
            figures["dask_same_report"] = _comparable(remote["report"]) == _comparable(
                local["report"]
            )
        figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    emit(
        figures, as_json=args.json, title=f"verify_bench: {args.ballots} ballots, {args.jobs} jobs"
    )


def _figures(name: str, run: dict[str, Any], ballots: int) -> dict[str, Any]:
    facts = run["report"]["facts"]
    cpu = facts.get("ballot_cpu_seconds") or 0.0
    out = {
        f"{name}_seconds": round(run["seconds"], 1),
        f"{name}_ballots_per_s": round(ballots / run["seconds"], 1),
        f"{name}_peak_rss_mb": round(run["self_kb"] / 1024, 1),
        f"{name}_coordinator_cpu_ms_per_ballot": round(1000 * run["self_cpu_s"] / ballots, 3),
    }
    if name == "processes":
        out["ballots_per_core_s"] = round(ballots / cpu, 1) if cpu else None
        out["peak_worker_rss_mb"] = round(run["children_kb"] / 1024, 1)
    return out


if __name__ == "__main__":
    main()
