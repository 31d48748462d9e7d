"""The demo vote day, ready to vote in: for ``flask --app app demo`` only.

After :func:`voting.rehearsal.demo.load_demo` has loaded the Swiss demo tree and the
demo vote day (questions of the nation, the canton of Zurich and the city of
Winterthur), this plays the trustees' key ceremony and the registrar locally
(:mod:`voting.rehearsal.simulation`), registers a handful of demo voting codes, opens
the vote day and returns the codes to print. Idempotent: run again, it picks
up where it stopped and prints the same codes.

The demo's secrets live in the instance folder, ``demo/`` (mode 0600):
``voting-codes.json`` (the codes, so that they can be printed again) and
``trustee-key-shares.json`` (every trustee's key share, so that the demo's
trustees can tally: :mod:`voting.services.demo_parties`), ``witness-keys.json``
(the two demo witnesses' keys, so that they cosign the final checkpoint and the
record verifies with the verifier's defaults) and ``official.json`` (the demo
official's login, printed every run). A real vote day has none of these:
trustees keep their shares on their own machines, witnesses run elsewhere, the
registrar prints codes offline and officials choose their own passwords. The
demo refuses to run on anything but SQLite outside tests, so a production
database never gets demo codes or the demo official.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from nacl.signing import SigningKey

from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.witness import WitnessSecretKey
from crypto.witness import prove_possession
from crypto.witness import witness_verifier_key
from crypto.witness.requests import registration_message
from crypto.witness.requests import sign_request
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.log import witnesses
from voting.log.keys import LogSigning
from voting.models.credentials import Credential
from voting.models.jurisdictions import Jurisdiction
from voting.models.officials import Official
from voting.rehearsal.demo_returncodes import card_lines
from voting.rehearsal.demo_returncodes import demo_cards
from voting.rehearsal.demo_returncodes import set_up_demo_return_codes
from voting.rehearsal.simulation import run_local_ceremony
from voting.services import officials
from voting.services import return_code_setup
from voting.services import witness_roster
from voting.services.credentials import store_credential_list
from voting.services.demo_parties import KEY_SHARES
from voting.services.demo_parties import WITNESS_KEYS
from voting.services.demo_parties import DemoWitness
from voting.services.lifecycle import open_vote_day
from voting.services.votedays import get_vote_day

DEMO_VOTE_DAY = "2026-06-14-ch"
TRUSTEES = ("alice", "bob", "carol")
THRESHOLD = 2
DEMO_OFFICIAL = "demo-official"
"""The demo's returning officer for the nation (the demo vote day's tier); never in production."""
DEMO_WITNESSES = ("demo-witness-1", "demo-witness-2")
ROSTER = "witnesses.txt"
"""The demo witnesses' verifier keys, one a line: the verifier's ``--roster`` file."""
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
    """``<instance>/demo``: the demo's codes, its official's login, its trustees' key shares and
    its witnesses' keys (``URNA_DEMO_FOLDER``)."""
    return Path(app.config["URNA_DEMO_FOLDER"])


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


def open_demo_vote_day(
    app: Flask, vote_day: str = DEMO_VOTE_DAY, *, return_codes: bool = True
) -> Iterator[str | DemoCode]:
    """Bring the demo vote day to ``open``; yield progress lines, then the demo codes.

    With ``return_codes`` (the demo's default) the vote day has return codes, set up
    with four demo authorities (:mod:`voting.rehearsal.demo_returncodes`) before opening.

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
            folder / KEY_SHARES,
            {
                "vote_day": vote_day,
                "threshold": THRESHOLD,
                "key_shares": [share.to_json() for share in trustees.key_shares],
            },
        )
        yield f"Key ceremony of {len(TRUSTEES)} demo trustees done ({THRESHOLD} of them can tally)."
        yield f"Their key shares are in {folder / KEY_SHARES}."
    codes = _codes(folder, vote_day)
    if get_vote_day(db.session, vote_day).status == "credentials":  # (2) register and open
        _register(vote_day, codes)
        if return_codes and return_code_setup.pinned_manifest_hash(db.session, vote_day) is None:
            pairs = [(c.unit, c.code) for c in codes]  # (2b) return codes, 4 demo authorities
            yield from set_up_demo_return_codes(app, vote_day, pairs, folder, _write_private)
        open_vote_day(db.session, vote_day, signing=signing)
        yield f"Demo vote day {vote_day} is open with {len(codes)} demo voting codes."
    else:
        yield f"Demo vote day {vote_day} is {get_vote_day(db.session, vote_day).status}."
    if not (folder / WITNESS_KEYS).exists():
        _register_witnesses(folder, vote_day, signing)
        yield f"{len(DEMO_WITNESSES)} demo witnesses joined the log's roster; they cosign its end."
    if get_vote_day(db.session, vote_day).status == "open":
        yield from codes


def demo_official(app: Flask) -> tuple[str, str]:
    """The demo official's user name and password, the account made (and saved) the first time.

    A returning officer for the nation: it closes, tallies and publishes the demo vote day.
    """
    path = demo_folder(app) / "official.json"
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        return saved["username"], saved["password"]
    password = secrets.token_urlsafe(12)
    account = _account(DEMO_OFFICIAL, password, "Demo returning officer")
    _grant(account, "returning_officer", "nation:CH")
    _write_private(path, {"username": DEMO_OFFICIAL, "password": password})
    return DEMO_OFFICIAL, password


def _account(username: str, password: str, display_name: str) -> Official:
    existing = db.session.scalar(sa.select(Official).where(Official.username == username))
    if existing is not None:  # a demo folder lost: a new password for the same account
        officials.set_password(db.session, existing, password)
        return existing
    return officials.create_official(db.session, username, password, display_name=display_name)


def _grant(account: Official, role: str, unit: str | None) -> None:
    if role not in {grant.role for grant in account.grants}:
        officials.grant_role(db.session, account, role, unit)


def _register_witnesses(folder: Path, vote_day: str, signing: LogSigning) -> None:
    """The demo witnesses ask to join the roster (signed requests); the demo's administrator
    approves them, as an administrator does on the officials' pages."""
    admin = _account("demo-administrator", secrets.token_urlsafe(24), "Demo administrator")
    _grant(admin, witness_roster.APPROVER_ROLE, None)
    made = [
        DemoWitness(name, WitnessSecretKey.generate(), SigningKey.generate())
        for name in DEMO_WITNESSES
    ]
    for witness in made:
        public, proof = witness.secret.public_key().data, prove_possession(witness.secret)
        cosigner_key = bytes(witness.cosigner.verify_key)
        message = registration_message(vote_day, witness.name, public, proof, cosigner_key)
        pending = witnesses.request_witness(
            db.session,
            vote_day,
            name=witness.name,
            public_key=public.hex(),
            proof=proof.hex(),
            cosigner_key=cosigner_key.hex(),
            signature=sign_request(witness.cosigner, message).hex(),
        )
        witness_roster.approve(db.session, vote_day, pending.id, admin, signing=signing)
    _write_private(folder / WITNESS_KEYS, {"witnesses": [w.to_json() for w in made]})
    keys = [witness_verifier_key(w.name, w.secret.public_key()) for w in made]
    (folder / ROSTER).write_text("".join(f"{key}\n" for key in keys), encoding="utf-8")


def demo_lines(app: Flask, *, base_url: str) -> Iterator[str]:
    """What ``flask --app app demo`` prints: progress, the codes and their QR links (while the
    vote day is open), then where officials and observers go."""
    heading = False
    base = base_url.rstrip("/")
    cards: dict[str, dict[str, object]] = {}
    labels: dict[str, tuple[str, list[str]]] = {}
    for item in open_demo_vote_day(app):
        if not cards and isinstance(item, DemoCode):
            cards = demo_cards(demo_folder(app))
            day = get_vote_day(db.session, DEMO_VOTE_DAY)
            labels = {q.key: (q.key, [str(o["id"]) for o in q.options]) for q in day.questions}
            if cards:
                yield "Each card's return codes follow its code (compare them on the vote page):"

        if isinstance(item, str):
            yield item
            continue
        if not heading:
            yield "Citizens — demo voting codes (demo only; open a link, or type the code on "
            yield f"the vote page {base}/vote/{DEMO_VOTE_DAY}):"
            heading = True
        yield f"  {item.code}  {item.name:<26} {voting_link(base, item.code)}"
        card = cards.get(item.code)
        if card is not None:  # the card's return codes, to compare after casting
            yield from card_lines(card, labels)
    username, password = demo_official(app)
    yield f"Officials — log in at {base}/officials/ as {username}, password {password}"
    yield "  (demo only): close the vote day, start the tally, let the demo trustees decrypt,"
    yield "  publish. Or in one command: flask --app app demo tally"
    yield f"Observers — the public record and the results: {base}/observe/{DEMO_VOTE_DAY}/"


def voting_link(base_url: str, code: str, vote_day: str = DEMO_VOTE_DAY) -> str:
    """The link a voting card's QR code opens: the code travels in the fragment only."""
    return f"{base_url.rstrip('/')}/vote/{vote_day}#code={code}"
