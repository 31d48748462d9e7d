"""Casting under a flood of invalid witness submissions (issue 14, "Hostile clients").

The vote day, the server (gunicorn as shipped, gunicorn.conf.py) and the
casting clients are those of :mod:`benchmarks.cast_bench`. One real witness
is registered through the approval path (an official approves its signed
request), then the same server takes two casting runs of ``--ballots``
ballots each: alone, then while ``--attackers`` connections (keep-alive, in a
separate process, loopback only) send invalid witness submissions for the
duration of the casting run, bounded by ``--attack-max-requests`` and
``--max-seconds``. The submissions, made before anything is timed, rotate
through what a stranger can send without a witness's keys:

- ``unregistered``: a cosignature of the log's real checkpoint by a witness
  name not on the roster (the attacker's own BLS and Ed25519 keys);
- ``forged_auth``: the registered witness's name, a well-formed BLS
  cosignature by the attacker's key and an ``auth`` signed by the
  attacker's Ed25519 key, not the witness's;
- ``tampered_checkpoint``: the registered witness's name with a checkpoint
  whose text was altered (the log's signature no longer holds);
- ``registration``: a request to join the roster whose Ed25519 request
  signature is not the one of the submitted key (the per-address limit
  answers 429 after a few).

The figures: cast p50/p99 and ballots/s of both runs, the p50 ratio (the
acceptance bar is 2x), the attack's requests, rate and status codes, and
the load average before and after each run, the CPU the server (gunicorn
workers, PostgreSQL backends) spent in each run and so per attacking request.
Every ballot is cast once: each run casts its own ballots, after ``--warmup``
ballots cast untimed (the workers' first requests). The run alone comes
first (``--attack-first`` swaps them, to see what the order weighs).

    python benchmarks/witness_attack_bench.py [--ballots 300] [--attackers 8]
        [--clients 16] [--workers 2] [--attack-first] [--database-url URL] [--json]

PostgreSQL by default (``--database-url``, default the local scratch
database ``urna_bench``; its schema is rebuilt: use a scratch database);
``--database-url sqlite`` runs on SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _cpu  # noqa: E402
from benchmarks._casting import load_average  # noqa: E402
from benchmarks._casting import served_vote_day  # noqa: E402
from benchmarks._common import emit  # noqa: E402
from benchmarks._vote_day import PreparedVoteDay  # noqa: E402
from crypto.note import parse_note  # noqa: E402
from crypto.witness import WitnessSecretKey  # noqa: E402
from crypto.witness import prove_possession  # noqa: E402
from crypto.witness import sign_checkpoint  # noqa: E402
from crypto.witness.requests import registration_message  # noqa: E402
from crypto.witness.requests import sign_request  # noqa: E402
from crypto.witness.requests import submission_message  # noqa: E402
from voting.app.extensions import db  # noqa: E402
from voting.app.log_signing import log_signing  # noqa: E402
from voting.rehearsal.steps import register_witnesses  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/urna_bench"
WITNESS = "rehearsal-witness-1"
"""The name :func:`register_witnesses` gives the one real witness."""


@dataclass(frozen=True)
class Attack:
    """What the attacking process sends: (kind, path, JSON body) in rotation."""

    host: str
    port: int
    requests: tuple[tuple[str, str, bytes], ...]


def _attack_requests(log: str, note: str) -> tuple[tuple[str, str, bytes], ...]:
    """The invalid submissions, signed with the attacker's own keys (none of the witness's)."""
    bls = WitnessSecretKey.generate()
    ed25519 = SigningKey.generate()
    text = parse_note(note).text
    signature = sign_checkpoint(bls, text)

    def cosignature(witness: str, checkpoint: str) -> bytes:
        signed = parse_note(checkpoint).text if checkpoint != note else text
        auth = sign_request(ed25519, submission_message(log, witness, signed, signature))
        body = {
            "witness": witness,
            "checkpoint": checkpoint,
            "signature": signature.hex(),
            "auth": auth.hex(),
        }
        return json.dumps(body).encode()

    # The tree size is the second line of the checkpoint text: one more is a
    # size the log signed differently (or never), with the log's signature kept.
    lines = note.split("\n")
    lines[1] = str(int(lines[1]) + 1)
    tampered = "\n".join(lines)
    public, proof = bls.public_key().data, prove_possession(bls)
    cosigner = bytes(ed25519.verify_key)
    # Signed by another key than the cosigner key the request names.
    other = SigningKey.generate()
    message = registration_message(log, "intruder", public, proof, cosigner)
    registration = {
        "name": "intruder",
        "public_key": public.hex(),
        "proof_of_possession": proof.hex(),
        "cosigner_key": cosigner.hex(),
        "signature": sign_request(other, message).hex(),
    }
    cosign_path = f"/api/logs/{log}/cosignatures"
    return (
        ("unregistered", cosign_path, cosignature("not-on-the-roster", note)),
        ("forged_auth", cosign_path, cosignature(WITNESS, note)),
        ("tampered_checkpoint", cosign_path, cosignature(WITNESS, tampered)),
        ("registration", f"/api/logs/{log}/witnesses", json.dumps(registration).encode()),
    )


def _attacker(
    attack: Attack, connections: int, max_requests: int, stop: Event, results: Any
) -> None:
    """``connections`` keep-alive connections sending the attack until ``stop`` or the cap."""
    lock = threading.Lock()
    sent = [0]
    statuses: dict[str, dict[str, int]] = {}

    def connection(offset: int) -> None:
        client = http.client.HTTPConnection(attack.host, attack.port, timeout=60)
        i = offset
        while not stop.is_set():
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            kind, path, body = attack.requests[i % len(attack.requests)]
            i += 1
            try:
                client.request("POST", path, body, {"Content-Type": "application/json"})
                response = client.getresponse()
                response.read()
                status = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    client.close()
            except (OSError, http.client.HTTPException):
                status = "connection-error"
                client.close()
            with lock:
                per_kind = statuses.setdefault(kind, {})
                per_kind[status] = per_kind.get(status, 0) + 1
        client.close()

    threads = [threading.Thread(target=connection, args=(n,)) for n in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put({"sent": sent[0], "elapsed_s": time.perf_counter() - start, "statuses": statuses})


def _server_cpu(server: int, url: str) -> dict[int, float]:
    """CPU seconds so far of the gunicorn workers and the PostgreSQL backends, by PID."""
    return _cpu.cpu_of([*_cpu.children(server), *_cpu.postgres_backends(url)])


def _after(
    load_before: list[float], cpu_before: dict[int, float], server: int, url: str
) -> dict[str, Any]:
    """The machine's load around a run and the CPU the server (workers, PostgreSQL) spent."""
    now = _server_cpu(server, url)
    return {
        "server_cpu_s": round(sum(v - cpu_before.get(p, 0.0) for p, v in now.items()), 2),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def run(
    *,
    ballots: int,
    attackers: int,
    clients: int,
    workers: int,
    database_url: str,
    max_seconds: float,
    attack_max_requests: int,
    attack_first: bool = False,
    warmup: int = 30,
) -> dict[str, Any]:
    def one_witness(app: Flask, prepared: PreparedVoteDay) -> None:
        with app.app_context():  # one real witness, approved by an official
            register_witnesses(db.session, prepared.vote_day, 1, b"bench", log_signing(app))
            db.session.remove()
            db.engine.dispose()

    with served_vote_day(
        ballots=2 * ballots + warmup,
        database_url=database_url,
        workers=workers,
        prefix="urna-witness-attack-",
        setup=one_witness,
    ) as served:
        server, url, log = served.server, served.database_url, served.vote_day
        roster = requests.get(f"{served.base}/api/logs/{log}/witnesses", timeout=30).json()
        if [w["name"] for w in roster["witnesses"]] != [WITNESS]:
            raise RuntimeError(f"the roster should hold {WITNESS!r} only: {roster}")
        note = requests.get(f"{served.base}/api/logs/{log}/checkpoint", timeout=30).text
        attack = Attack("127.0.0.1", served.port, _attack_requests(log, note))
        bodies = served.bodies

        def cast_alone(bodies: list[bytes]) -> dict[str, Any]:
            before, cpu = load_average(), _server_cpu(server.pid, url)
            figures = served.cast(bodies, clients, max_seconds)
            return {**figures, **_after(before, cpu, server.pid, url)}

        def cast_attacked(bodies: list[bytes]) -> dict[str, Any]:
            context = multiprocessing.get_context("fork")
            stop, results = context.Event(), context.Queue()
            process = context.Process(
                target=_attacker, args=(attack, attackers, attack_max_requests, stop, results)
            )
            before, cpu = load_average(), _server_cpu(server.pid, url)
            process.start()
            time.sleep(1.0)  # the attack is under way before the first ballot
            try:
                figures = served.cast(bodies, clients, max_seconds)
            finally:
                stop.set()
            reports.append(results.get(timeout=120))
            process.join(timeout=30)
            return {**figures, **_after(before, cpu, server.pid, url)}

        # Untimed: the workers' first requests (imports, connections, caches).
        served.cast(bodies[2 * ballots :], clients, max_seconds)
        reports: list[dict[str, Any]] = []
        if attack_first:
            attacked = cast_attacked(bodies[:ballots])
            alone = cast_alone(bodies[ballots : 2 * ballots])
        else:
            alone = cast_alone(bodies[:ballots])
            attacked = cast_attacked(bodies[ballots : 2 * ballots])
        report = reports[0]
    by_status: dict[str, int] = {}
    for per_kind in report["statuses"].values():
        for status, n in per_kind.items():
            by_status[status] = by_status.get(status, 0) + n
    ratio = (
        round(attacked["p50_ms"] / alone["p50_ms"], 2)
        if alone["p50_ms"] and attacked["p50_ms"]
        else None
    )
    return {
        "setup": {
            "database": served.database,
            "workers": workers,
            "cast_clients": clients,
            "ballots_per_run": ballots,
            "warmup_ballots": warmup,
            "attack_connections": attackers,
            "order": "attack first" if attack_first else "alone first",
            "cpus": os.cpu_count() or 1,
        },
        "cast_alone": alone,
        "cast_under_attack": attacked,
        "comparison": {
            "p50_ratio_attack_over_alone": ratio,
            "p99_ratio_attack_over_alone": round(attacked["p99_ms"] / alone["p99_ms"], 2)
            if alone["p99_ms"] and attacked["p99_ms"]
            else None,
            "within_2x": ratio is not None and ratio <= 2.0,
            # Both runs cast as many ballots: the difference is the attack's cost.
            "server_cpu_ms_per_attack_request": round(
                1000 * (attacked["server_cpu_s"] - alone["server_cpu_s"]) / report["sent"], 2
            )
            if report["sent"]
            else None,
        },
        "attack": {
            "requests": report["sent"],
            "elapsed_s": round(report["elapsed_s"], 3),
            "requests_per_s": round(report["sent"] / report["elapsed_s"], 1)
            if report["elapsed_s"]
            else 0.0,
            "statuses": dict(sorted(by_status.items())),
            "statuses_by_kind": {k: dict(sorted(v.items())) for k, v in report["statuses"].items()},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=300, help="ballots per casting run")
    parser.add_argument("--attackers", type=int, default=8, help="attacking connections")
    parser.add_argument("--clients", type=int, default=16, help="concurrent casting clients")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=120.0, help="per casting run")
    parser.add_argument("--attack-max-requests", type=int, default=200_000)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE,
        help="PostgreSQL scratch database (schema is rebuilt), or 'sqlite' for a temporary file",
    )
    parser.add_argument(
        "--warmup", type=int, default=30, help="ballots cast, untimed, before both runs"
    )
    parser.add_argument(
        "--attack-first", action="store_true", help="the attacked run first, then the run alone"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(
        ballots=args.ballots,
        attackers=args.attackers,
        clients=args.clients,
        workers=args.workers,
        database_url=args.database_url,
        max_seconds=args.max_seconds,
        attack_max_requests=args.attack_max_requests,
        attack_first=args.attack_first,
        warmup=args.warmup,
    )
    emit(figures, as_json=args.json, title="Urna casting under invalid witness submissions")


if __name__ == "__main__":
    main()
