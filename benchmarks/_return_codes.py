"""``cast_bench.py --return-codes``: cast throughput with return codes, against without.

The reference ballot's vote day set up with four return-code authorities (the
demo's setup, :func:`voting.rehearsal.demo_returncodes.set_up_demo_return_codes`:
the real tool's ``init`` and ``setup``), each then served by its own
``python -m voting.returncodes serve`` process on loopback, as four
organisations would run it (here on the same two cores as the server: the
wall-clock figures are pessimistic, the CPU figures say what each party
spends). Ballots with their partial codes, and the confirmations (pBCK with
its proof, the card's casting key), are prepared before anything is timed.
Two timed phases under gunicorn: the casts (each answered with its choice
codes, the authorities asked at once), then the confirmations (each answered
with the vote cast code). The same run without return codes comes first, so
that ``ratio`` compares like with like on the machine as it is.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks import _cpu
from benchmarks._vote_day import UNIT
from benchmarks._vote_day import prepare
from benchmarks.cast_bench import _free_port
from benchmarks.cast_bench import _post_all
from benchmarks.cast_bench import _reset_postgres
from benchmarks.cast_bench import _start_gunicorn
from benchmarks.cast_bench import run as run_plain
from crypto import returncodes as rc
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.group import Point
from voting.app import create_app
from voting.app.extensions import db
from voting.rehearsal.demo_returncodes import DEMO_AUTHORITIES
from voting.rehearsal.demo_returncodes import authority_folder
from voting.rehearsal.demo_returncodes import demo_cards
from voting.rehearsal.demo_returncodes import set_up_demo_return_codes
from voting.rehearsal.demo_returncodes import store_authority_urls

ROOT = Path(__file__).resolve().parent.parent


def make_coded_ballot(
    args: tuple[dict[str, Any], tuple[tuple[str, int, int, int], ...], str],
) -> bytes:
    """One ballot with its partial codes, ``{"ballot", "return_codes"}`` (a worker process)."""
    election, questions, code = args
    context = ElectionContext(
        election["vote_day"],
        bytes.fromhex(election["manifest_hash"]),
        Point.from_hex(election["public_key"]),
    )
    specs = [QuestionSpec(*q) for q in questions]
    ballot, secrets = encrypt_ballot(
        {q.question_id: [1, 0] for q in specs},
        questions=specs,
        election=context,
        credential=derive_credential(code, election["vote_day"]),
    )
    x = rc.derive_voter_secret(code, election["vote_day"])
    codes = [
        rc.prove_partial_code(ballot, secrets, q, election=context, voter_secret=x).to_json()
        for q in rc.return_code_questions(specs)
    ]
    return json.dumps({"ballot": ballot.to_json(), "return_codes": codes}).encode()


def make_confirmation(args: tuple[str, str, str]) -> bytes:
    """The confirmation with the card's casting key (a worker process)."""
    vote_day, code, bck = args
    credential = derive_credential(code, vote_day).public_key
    pbck, proof = rc.prove_confirmation(
        rc.derive_voter_secret(code, vote_day), bck, vote_day_id=vote_day, credential=credential
    )
    return json.dumps(
        {"credential": credential.hex(), "pbck": pbck.hex(), "proof": proof.to_json()}
    ).encode()


def _write(path: Path, document: object) -> None:
    path.write_text(json.dumps(document))


def _start_authorities(folder: Path) -> tuple[list[subprocess.Popen[bytes]], dict[str, str]]:
    processes, urls = [], {}
    for name in DEMO_AUTHORITIES:
        port = _free_port()
        command = [sys.executable, "-m", "voting.returncodes", "serve", "--state"]
        command += [str(authority_folder(folder, name)), "--host", "127.0.0.1", "--port", str(port)]
        processes.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL))
        urls[name] = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    for url in urls.values():
        while True:
            try:
                requests.get(f"{url}/v1/identity", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the authority at {url} did not start") from None
                time.sleep(0.2)
    return processes, urls


def _latency(
    latencies: list[float], statuses: dict[int, int], elapsed: float, ok: int
) -> dict[str, Any]:
    ordered = sorted(latencies)
    done = statuses.get(ok, 0)
    return {
        "sent": len(latencies),
        "accepted": done,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "elapsed_s": round(elapsed, 3),
        "per_s": round(done / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)
        if ordered
        else None,
    }


def run_coded(
    workers: int, clients: int, ballots: int, database_url: str | None, max_seconds: float
) -> dict[str, Any]:
    """The two timed phases with return codes (casts, then confirmations)."""
    with tempfile.TemporaryDirectory(prefix="urna-cast-rc-bench-") as tmp:
        url = database_url or f"sqlite:///{tmp}/urna.sqlite"
        if url.startswith("postgresql"):
            _reset_postgres(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "URNA_INSTANCE": tmp})
        folder = Path(tmp) / "return-codes"
        folder.mkdir()
        unit = f"{UNIT[0]}:{UNIT[1]}"

        def set_up(vote_day: str, codes: tuple[str, ...]) -> None:
            list(
                set_up_demo_return_codes(app, vote_day, [(unit, c) for c in codes], folder, _write)
            )

        start = time.perf_counter()
        prepared = prepare(app, ballots, before_open=set_up)
        setup_s = time.perf_counter() - start
        cards = demo_cards(folder)
        jobs = [(prepared.election, prepared.questions, code) for code in prepared.codes]
        confirm_jobs = [(prepared.vote_day, code, cards[code]["bck"]) for code in prepared.codes]
        start = time.perf_counter()
        with multiprocessing.Pool(os.cpu_count() or 2) as pool:
            bodies = pool.map(make_coded_ballot, jobs, chunksize=16)
            confirmations = pool.map(make_confirmation, confirm_jobs, chunksize=16)
        prepare_s = time.perf_counter() - start
        authorities, urls = _start_authorities(folder)
        with app.app_context():
            store_authority_urls(prepared.vote_day, urls)
            db.session.remove()
            db.engine.dispose()
        env = {**os.environ, "DATABASE_URL": url, "URNA_INSTANCE": tmp}
        port = _free_port()
        server = _start_gunicorn(port, workers, env)
        base = f"http://127.0.0.1:{port}/api/vote-days/{prepared.vote_day}"
        try:
            worker_pids = _cpu.children(server.pid)
            parties = {
                "server_workers": worker_pids,
                "authorities": [p.pid for p in authorities],
            }
            phases = {}
            for phase, endpoint, payload, ok in (
                ("cast", f"{base}/ballots", bodies, 201),
                ("confirm", f"{base}/confirmations", confirmations, 200),
            ):
                backends = _cpu.postgres_backends(url)
                before = _cpu.cpu_of([*worker_pids, *parties["authorities"], *backends])
                client_before = time.process_time()
                load_before = os.getloadavg()[0]
                latencies, statuses, elapsed = _post_all(endpoint, payload, clients, max_seconds)
                after = _cpu.cpu_of(
                    [*worker_pids, *parties["authorities"], *_cpu.postgres_backends(url)]
                )
                figures = _latency(latencies, statuses, elapsed, ok)
                done = figures["accepted"] or 1
                spent = {
                    name: sum(after.get(p, 0.0) - before.get(p, 0.0) for p in pids)
                    for name, pids in parties.items()
                }
                spent["database"] = sum(
                    v - before.get(p, 0.0)
                    for p, v in after.items()
                    if p not in worker_pids and p not in parties["authorities"]
                )
                spent["clients"] = time.process_time() - client_before
                figures["cpu_ms_per_request"] = {
                    k: round(1000 * v / done, 2) for k, v in spent.items()
                }
                figures["cpu_ms_per_request_each_authority"] = {
                    name: round(1000 * (after.get(p.pid, 0.0) - before.get(p.pid, 0.0)) / done, 2)
                    for name, p in zip(DEMO_AUTHORITIES, authorities, strict=True)
                }
                figures["load_average_1min_before"] = round(load_before, 2)
                phases[phase] = figures
        finally:
            server.terminate()
            server.wait(timeout=30)
            for process in authorities:
                process.terminate()
                process.wait(timeout=30)
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "authorities": len(DEMO_AUTHORITIES),
        "setup_s": round(setup_s, 1),
        "prepare_requests_s": round(prepare_s, 1),
        **phases,
    }


def run_with_return_codes(
    workers: int, clients: int, ballots: int, database_url: str | None, max_seconds: float
) -> dict[str, Any]:
    """Without return codes, then with; ``ratio`` is with over without (the aim: >= 0.5)."""
    plain = run_plain(workers, clients, ballots, database_url, max_seconds)
    coded = run_coded(workers, clients, ballots, database_url, max_seconds)
    cast, confirm = coded["cast"], coded["confirm"]
    both = (
        1 / (1 / cast["per_s"] + 1 / confirm["per_s"])
        if cast["per_s"] and confirm["per_s"]
        else 0.0
    )
    plain_cpu = plain["cpu_ms_per_ballot"]["server_workers"]
    coded_cpu = (
        cast["cpu_ms_per_request"]["server_workers"]
        + confirm["cpu_ms_per_request"]["server_workers"]
    )
    each = {
        name: round(
            cast["cpu_ms_per_request_each_authority"][name]
            + confirm["cpu_ms_per_request_each_authority"][name],
            2,
        )
        for name in cast["cpu_ms_per_request_each_authority"]
    }
    return {
        "without_return_codes": plain,
        "with_return_codes": coded,
        "ratio": {
            "casts_per_s": round(cast["per_s"] / plain["ballots_per_s"], 2)
            if plain["ballots_per_s"]
            else None,
            "cast_and_confirm_per_s": round(both / plain["ballots_per_s"], 2)
            if plain["ballots_per_s"]
            else None,
            "p99_cast_ms": [plain["p99_ms"], cast["p99_ms"]],
            "server_cpu_ms_per_vote": [plain_cpu, round(coded_cpu, 2)],
            "server_cpu_ratio": round(coded_cpu / plain_cpu, 2) if plain_cpu else None,
            # each authority's CPU per vote (its cast answer and its confirmation answer)
            "authority_cpu_ms_per_vote": each,
            "load_average_1min_before": [
                plain["machine"]["load_average_1min_before"],
                cast["load_average_1min_before"],
                confirm["load_average_1min_before"],
            ],
        },
    }
