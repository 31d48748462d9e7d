"""A separate process that appends to a log, for the concurrency and crash tests.

    python -m tests.voting._log_worker URL LOG WORKER MODE COUNT

MODE ``single`` appends COUNT records one transaction each; ``batches``
appends COUNT batches of 1 to 40 records, each followed by a checkpoint, and
is meant to be killed (SIGKILL) while it runs.
"""

from __future__ import annotations

import datetime as dt
import random
import sys

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.log import bulletin
from voting.log.keys import LogSigning

SIGNING = LogSigning(bytes(range(32)))


def main(url: str, name: str, worker: str, mode: str, count: int) -> None:
    engine = sa.create_engine(url)
    rng = random.Random(worker)
    with so.Session(engine) as session:
        for n in range(count):
            if mode == "single":
                bulletin.append(session, name, {"type": "test", "worker": worker, "n": n})
                continue
            records = [
                {"type": "test", "worker": worker, "n": n, "k": k}
                for k in range(rng.randint(1, 40))
            ]
            bulletin.append_many(session, name, records)
            bulletin.issue_checkpoint(session, name, SIGNING, interval=dt.timedelta(0))
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
