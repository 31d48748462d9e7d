"""The demo vote day, ready to vote in: for ``flask --app app demo`` only.

After :func:`voting.rehearsal.demo.load_demo` has loaded the Swiss demo tree and the
demo vote day (questions of the nation, the canton of Zurich and the city of
Winterthur), this plays the trustees' key ceremony and the registrar locally
(:mod:`voting.rehearsal.simulation`), registers a handful of demo voting codes, opens
the vote day and returns the codes to print. Idempotent: run again, it picks
up where it stopped and prints the same codes.

The demo's secrets live in the instance folder, ``demo/`` (mode 0600):
``voting-codes.json`` (the codes, so that they can be printed again) and
``trustee-key-shares.json`` (every trustee's key share, so that the demo can
be tallied later). A real vote day never has either: trustees keep their
shares on their own machines and the registrar prints codes offline. The demo
refuses to run on anything but SQLite outside tests, so a production
database never gets demo codes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.models.credentials import Credential
from voting.models.jurisdictions import Jurisdiction
from voting.rehearsal.simulation import run_local_ceremony
from voting.services.credentials import store_credential_list
from voting.services.lifecycle import open_vote_day
from voting.services.votedays import get_vote_day

DEMO_VOTE_DAY = "2026-06-14-ch"
TRUSTEES = ("alice", "bob", "carol")
THRESHOLD = 2
DEMO_VOTERS = (("quarter:10230", 3), ("quarter:20230", 2), ("municipality:219", 1))
"""Demo voting codes per leaf unit: Winterthur's quarters vote on three tiers, Elsau on two."""


class DemoRefused(VotingError):
    """The demo would touch a database that may be a real one."""

    code = "demo_refused"
    status = 409


@dataclass(frozen=True)
class DemoCode:
    """One demo voting code and the unit its voter lives in."""

    unit: str
    name: str
    code: str


def demo_folder(app: Flask) -> Path:
    """``<instance>/demo``: the demo's codes and trustee key shares."""
    instance = app.config.get("URNA_INSTANCE") or os.environ.get("URNA_INSTANCE")
    return Path(instance or app.instance_path) / "demo"


def check_demo_allowed(app: Flask) -> None:
    """Refuse anything but SQLite (except in tests, which may run on PostgreSQL).

    Raises:
        DemoRefused: the configured database is not SQLite.
    """
    url = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    if not url.startswith("sqlite") and not app.testing:
        raise DemoRefused(
            "the demo creates voting codes and runs only on the default SQLite database; "
            "unset DATABASE_URL to try it"
        )


def _write_private(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=1)
        fh.write("\n")


def _unit_name(ref: str) -> str:
    level, code = ref.split(":")
    unit = db.session.scalars(
        sa.select(Jurisdiction).where(Jurisdiction.level == level, Jurisdiction.code == code)
    ).one()
    return unit.name("de")


def _codes(folder: Path, vote_day: str) -> list[DemoCode]:
    """The demo codes of the folder, made (and saved) the first time."""
    path = folder / "voting-codes.json"
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        return [DemoCode(**entry) for entry in saved["codes"]]
    codes = [
        DemoCode(ref, _unit_name(ref), generate_code())
        for ref, count in DEMO_VOTERS
        for _ in range(count)
    ]
    _write_private(path, {"vote_day": vote_day, "codes": [vars(c) for c in codes]})
    return codes


def _register(vote_day: str, codes: list[DemoCode]) -> None:
    registered = db.session.scalar(
        sa.select(sa.func.count()).select_from(Credential).where(Credential.vote_day_id == vote_day)
    )
    if registered:
        return
    units: dict[str, list[str]] = {}
    for entry in codes:
        key = derive_credential(entry.code, vote_day).public_key.hex()
        units.setdefault(entry.unit, []).append(key)
    sorted_units = {unit: sorted(keys) for unit, keys in units.items()}  # the list's order
    store_credential_list(db.session, {"vote_day": vote_day, "units": sorted_units})


def open_demo_vote_day(app: Flask, vote_day: str = DEMO_VOTE_DAY) -> Iterator[str | DemoCode]:
    """Bring the demo vote day to ``open``; yield progress lines, then the demo codes.

    Raises:
        DemoRefused: see :func:`check_demo_allowed`.
    """
    check_demo_allowed(app)
    folder = demo_folder(app)
    signing = log_signing(app)
    day = get_vote_day(db.session, vote_day)
    if day.status == "draft":  # (1) the trustees' key ceremony, played locally
        trustees = run_local_ceremony(
            db.session, vote_day, trustees=TRUSTEES, threshold=THRESHOLD, signing=signing
        )
        _write_private(
            folder / "trustee-key-shares.json",
            {
                "vote_day": vote_day,
                "threshold": THRESHOLD,
                "key_shares": [share.to_json() for share in trustees.key_shares],
            },
        )
        yield f"Key ceremony of {len(TRUSTEES)} demo trustees done ({THRESHOLD} of them can tally)."
        yield f"Their key shares are in {folder / 'trustee-key-shares.json'}."
    codes = _codes(folder, vote_day)
    if get_vote_day(db.session, vote_day).status == "credentials":  # (2) register and open
        _register(vote_day, codes)
        open_vote_day(db.session, vote_day, signing=signing)
        yield f"Demo vote day {vote_day} is open with {len(codes)} demo voting codes."
    else:
        yield f"Demo vote day {vote_day} is {get_vote_day(db.session, vote_day).status}."
    yield from codes


def demo_lines(app: Flask, *, base_url: str) -> Iterator[str]:
    """What ``flask --app app demo`` prints: progress, then the codes and their QR links."""
    heading = False
    for item in open_demo_vote_day(app):
        if isinstance(item, str):
            yield item
            continue
        if not heading:
            yield "Demo voting codes (demo only; open a link, or type the code on the vote page):"
            heading = True
        yield f"  {item.code}  {item.name:<26} {voting_link(base_url, item.code)}"


def voting_link(base_url: str, code: str, vote_day: str = DEMO_VOTE_DAY) -> str:
    """The link a voting card's QR code opens: the code travels in the fragment only."""
    return f"{base_url.rstrip('/')}/vote/{vote_day}#code={code}"
