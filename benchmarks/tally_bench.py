"""Tally timings: encrypted totals from N logged ballots, decryption shares, combination.

The demo vote day (six questions on three tiers) with N voters spread over
the demo tree's leaf units. To time the tally and not the casting, ballots
are written straight onto the log (with their ``cast_ballots`` rows) holding
real encryptions of 0/1 but no proofs or signatures — the tally reads only
the ciphertexts; casting has its own benchmark. Then, timed: the encrypted
totals (``start_tally``), one trustee's shares of every unit, their
verification and logging, the combination of two trustees' shares (the
discrete logarithms included), the results and their publication.

    python benchmarks/tally_bench.py [--ballots 1000] [--database-url URL] [--json]

SQLite in a temporary folder by default; ``--database-url`` points at
PostgreSQL (its schema is rebuilt: use a scratch database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import emit  # noqa: E402
from crypto.elgamal import encrypt  # noqa: E402
from crypto.group import Point  # noqa: E402
from crypto.trustees import DecryptionShare  # noqa: E402
from crypto.trustees import combine_decryption_shares  # noqa: E402
from voting.app import create_app  # noqa: E402
from voting.app.extensions import db  # noqa: E402
from voting.app.log_signing import log_signing  # noqa: E402
from voting.log import bulletin  # noqa: E402
from voting.models.credentials import Credential  # noqa: E402
from voting.models.elections import CastBallot  # noqa: E402
from voting.models.elections import Election  # noqa: E402
from voting.models.jurisdictions import Jurisdiction  # noqa: E402
from voting.rehearsal.demo import load_demo  # noqa: E402
from voting.rehearsal.simulation import run_local_ceremony  # noqa: E402
from voting.services import decryption  # noqa: E402
from voting.services import results  # noqa: E402
from voting.services.lifecycle import close_vote_day  # noqa: E402
from voting.services.lifecycle import open_vote_day  # noqa: E402
from voting.services.tally import encrypted_totals  # noqa: E402
from voting.services.tally import start_tally  # noqa: E402
from voting.services.tally_log import read_manifest  # noqa: E402
from voting.services.tally_log import read_threshold_key  # noqa: E402
from voting.services.tally_log import totals_ciphertexts  # noqa: E402

VOTE_DAY = "2026-06-14-ch"
PAGE = 500


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _prepare(app: Any, voters: int) -> Any:
    from flask_migrate import upgrade

    upgrade()
    list(load_demo())
    signing = log_signing(app)
    trustees = run_local_ceremony(
        db.session, VOTE_DAY, trustees=("alice", "bob", "carol"), threshold=2, signing=signing
    )
    leaves = db.session.scalars(
        sa.select(Jurisdiction).where(Jurisdiction.electorate.is_not(None))
    ).all()
    rng = random.Random(7)
    homes = {}
    for _ in range(voters):
        key = rng.randbytes(32).hex()
        homes[key] = leaves[rng.randrange(len(leaves))]
    db.session.execute(
        sa.insert(Credential),
        [
            {"vote_day_id": VOTE_DAY, "public_key": k, "jurisdiction_id": u.id}
            for k, u in homes.items()
        ],
    )
    db.session.commit()
    open_vote_day(db.session, VOTE_DAY, signing=signing)
    return trustees, homes


def _write_ballots(homes: dict[str, Jurisdiction]) -> None:
    """Ballot records with real ciphertexts (no proofs: the tally does not read them)."""
    manifest = read_manifest(db.session, VOTE_DAY)
    public = Point.from_hex(db.session.get_one(Election, VOTE_DAY).public_key or "")
    items = list(homes.items())
    for start in range(0, len(items), PAGE):
        with bulletin.locked_log(db.session, VOTE_DAY) as log:
            for credential, unit in items[start : start + PAGE]:
                answers = []
                for q in manifest.questions_for(unit.ref):
                    chosen = random.randrange(len(q["options"]) + 1)
                    cts = [encrypt(int(i == chosen), public)[0] for i in range(len(q["options"]))]
                    answers.append(
                        {
                            "question": q["id"],
                            "ciphertexts": [ct.to_json() for ct in cts],
                            "proofs": [],
                            "sum_proof": {},
                        }
                    )
                ballot = {
                    "vote_day": VOTE_DAY,
                    "credential": credential,
                    "answers": answers,
                    "signature": "00" * 64,
                }
                appended = log.append({"type": "ballot", "ballot": ballot})
                db.session.add(
                    CastBallot(
                        vote_day_id=VOTE_DAY,
                        credential=credential,
                        leaf_index=appended.index,
                        leaf_hash=appended.leaf_hash.hex(),
                        cast_at=dt.datetime.now(dt.UTC),
                    )
                )


def run(voters: int, database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "URNA_INSTANCE": tmp,
                "URNA_LOG_KEY_PATH": str(Path(tmp) / "log.key"),
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            if database_url:
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            trustees, homes = _prepare(app, voters)
            _, write_s = _timed(lambda: _write_ballots(homes))
            signing = log_signing(app)
            close_vote_day(db.session, VOTE_DAY, signing=signing)
            summary, tally_s = _timed(lambda: start_tally(db.session, VOTE_DAY, signing=signing))
            alice, bob = trustees.key_shares[0], trustees.key_shares[1]
            mine, decrypt_s = _timed(lambda: decryption.trustee_shares(db.session, VOTE_DAY, alice))
            theirs = decryption.trustee_shares(db.session, VOTE_DAY, bob)
            _, combine_s = _timed(lambda: _combine(mine, theirs))
            _, submit_s = _timed(
                lambda: decryption.submit_decryption_shares(
                    db.session, VOTE_DAY, "alice", mine, signing=signing
                )
            )
            _, finish_s = _timed(
                lambda: decryption.submit_decryption_shares(
                    db.session, VOTE_DAY, "bob", theirs, signing=signing
                )
            )
            _, results_s = _timed(lambda: results.results(db.session, VOTE_DAY))
            records, publish_s = _timed(
                lambda: results.publish_results(db.session, VOTE_DAY, signing=signing)
            )
            db.engine.dispose()
    return {
        "setup": {"ballots": summary.ballots, "units": summary.units, "write_s": write_s},
        "tally": {
            "encrypted_totals_s": tally_s,
            "tally_ballots_per_s": summary.ballots / tally_s,
            "trustee_decrypt_s": decrypt_s,
            "verify_and_log_one_trustee_s": submit_s,
            "combine_two_trustees_s": combine_s,
            "verify_log_combine_tallied_s": finish_s,
            "results_s": results_s,
            "publish_s": publish_s,
            "result_records": records,
        },
    }


def _combine(first: dict[str, Any], second: dict[str, Any]) -> None:
    key = read_threshold_key(db.session, VOTE_DAY)
    digest = read_manifest(db.session, VOTE_DAY).digest
    totals = {r["unit"]: r for r in encrypted_totals(db.session, VOTE_DAY)}
    for a, b in zip(first["shares"], second["shares"], strict=True):
        record = totals[a["unit"]]
        combine_decryption_shares(
            key,
            totals_ciphertexts(record),
            [DecryptionShare.from_json(a["share"]), DecryptionShare.from_json(b["share"])],
            manifest_hash=digest,
            bound=record["ballots"],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.ballots, args.database_url)
    emit(figures, as_json=args.json, title=f"Tally of {args.ballots} ballots")


if __name__ == "__main__":
    main()
