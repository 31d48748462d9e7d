"""Forged DKG complaints: a malicious server tries to interpolate the election secret.

Attacker: the server operator (docs/threat-model.md, "Key ceremony, decryption
and channel counts"). Capability: it runs the API and writes the log, so it
can log any record "from" any trustee and serve the trustee tools whatever
ceremony it likes; it holds no trustee's signing key or box key.

The attack (issue 13, finding 2): log a complaint "from" every other trustee
against each dealer. Before complaints were signed, each honest trustee tool
answered every complaint against it by revealing f_i(j), so the server got
n − 1 ≥ t points of every dealer's polynomial and interpolated
x = Σ_i f_i(0). Now the honest tools refuse (the complaints carry no
signature of their named author), reveal nothing, and the verifier fails the
record. A second attack drops shares so that honest trustees complain for
real: each tool then reveals at most t − 1 points of its polynomial.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from nacl.signing import SigningKey

from crypto.encoding import canonical_json
from crypto.group import Point
from crypto.group import Scalar
from crypto.merkle import leaf_hash
from crypto.testing import deterministic_rng
from crypto.trustees import Ceremony
from crypto.trustees import Complaint
from crypto.trustees import commit
from crypto.trustees import deal_shares
from crypto.trustees import lagrange_coefficient
from crypto.trustees import new_trustee
from crypto.trustees import reveal_share
from crypto.trustees import sign
from crypto.trustees._signing import sign_message
from tests.fixtures_casting import DEMO_VOTE_DAY
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.rehearsal.demo import load_demo
from voting.services import ceremony as ceremony_service
from voting.services.lifecycle import begin_key_ceremony
from voting.tools.trustee.public import ServerMisbehaves
from voting.tools.trustee.public import parse_ceremony
from voting.tools.trustee.steps import CeremonyRun
from voting.tools.trustee.vault import KDF_LEVELS
from voting.tools.trustee.vault import Vault
from voting.tools.trustee.vault import VaultContents
from voting.tools.verify.ceremony_checks import check_ceremony
from voting.tools.verify.report import Report
from voting.tools.verify.structure import parse_entries

NAMES = ("alice", "bob", "carol")
THRESHOLD = 2
PASSPHRASE = "correct horse battery"


@dataclass
class MaliciousServer:
    """The log and API of a server that lies: it logs whatever it likes."""

    records: list[dict[str, Any]] = field(default_factory=list)
    posted: list[tuple[str, str, Any]] = field(default_factory=list)
    """(trustee, route, body) of every post an honest tool made"""
    spoil_shares: bool = False
    """replace every boxed share by random bytes (the honest recipients then complain)"""

    def __post_init__(self) -> None:
        roster = [{"index": j, "name": name} for j, name in enumerate(NAMES, 1)]
        self.records.append({"type": "key-ceremony", "threshold": THRESHOLD, "trustees": roster})

    @property
    def ceremony(self) -> Ceremony:
        return Ceremony(
            ceremony_id=leaf_hash(canonical_json(self.records[0])),
            threshold=THRESHOLD,
            trustees=NAMES,
        )

    def leaves(self) -> list[bytes]:
        return [canonical_json(r) for r in self.records]

    def body(self) -> dict[str, Any]:
        """``GET ceremony`` as this server serves it (from its log)."""
        of = {kind: [r for r in self.records if r["type"] == kind] for kind in _KINDS}
        shares = [s for r in of["trustee-shares"] for s in r["shares"]]
        readiness = [r["ready"] for r in of["trustee-ready"]]
        return {
            "status": "key-ceremony",
            "ceremony": self.ceremony.to_json(),
            "commitments": [r["commitment"] for r in of["trustee-commitment"]],
            "shares": shares,
            "complaints": [r["complaint"] for r in of["trustee-complaint"]],
            "reveals": [r["revealed"] for r in of["trustee-reveal"]],
            "ready": [r["index"] for r in readiness],
            "readiness": readiness,
            "election_key": None,
        }

    def accept(self, trustee: str, route: str, body: Any) -> None:
        """What an honest trustee posts: kept, and logged as the real server would."""
        self.posted.append((trustee, route, body))
        if route == "commitment":
            self.records.append({"type": "trustee-commitment", "commitment": body})
        elif route == "shares":
            index = NAMES.index(trustee) + 1
            shares = body["shares"]
            if self.spoil_shares:
                shares = [{**s, "ciphertext": os.urandom(144).hex()} for s in shares]
            self.records.append({"type": "trustee-shares", "index": index, "shares": shares})
        elif route == "complaints":
            self.records.append({"type": "trustee-complaint", "complaint": body})
        elif route == "reveals":
            self.records.append({"type": "trustee-reveal", "revealed": body})
        elif route == "ready":
            self.records.append({"type": "trustee-ready", "index": body["index"], "ready": body})

    def forge_complaints(self, *, signer: SigningKey | None = None) -> None:
        """Log a complaint "from" every other trustee against each dealer."""
        for i, accused in enumerate(NAMES, 1):
            for j, accuser in enumerate(NAMES, 1):
                if i == j:
                    continue
                complaint = Complaint(
                    accuser=accuser,
                    accuser_index=j,
                    accused=accused,
                    accused_index=i,
                    reason="undecryptable",
                )
                body = complaint.body_json()
                signature = (
                    sign_message("complaint", self.ceremony.digest(), body, signer)
                    if signer is not None
                    else bytes(64)
                )
                forged = {**body, "signature": signature.hex()}
                self.records.append({"type": "trustee-complaint", "complaint": forged})

    def revealed_points(self) -> dict[int, dict[int, Scalar]]:
        """f_i(j) by dealer i and recipient j, from every reveal an honest tool sent."""
        points: dict[int, dict[int, Scalar]] = {}
        for _, route, body in self.posted:
            if route == "reveals":
                points.setdefault(body["sender_index"], {})[body["recipient_index"]] = (
                    Scalar.from_hex(body["share"])
                )
        return points

    def interpolate_secret(self, points: dict[int, dict[int, Scalar]]) -> Scalar | None:
        """x = Σ_i f_i(0) by Lagrange interpolation, or None without t points of each f_i."""
        total = Scalar(0)
        for i in range(1, len(NAMES) + 1):
            known = points.get(i, {})
            if len(known) < THRESHOLD:
                return None
            xs = sorted(known)[:THRESHOLD]
            for j in xs:
                total = total + known[j] * lagrange_coefficient(j, xs)
        return total


_KINDS = ("trustee-commitment", "trustee-shares", "trustee-complaint", "trustee-reveal")
_KINDS += ("trustee-ready",)


class _Remote:
    """The trustee tool's view of the server: reads and posts go to the malicious server."""

    def __init__(self, server: MaliciousServer, trustee: str) -> None:
        self.server, self.trustee = server, trustee

    def ceremony(self) -> dict[str, Any]:
        return self.server.body()

    def post(self, what: str, body: Any) -> dict[str, Any]:
        self.server.accept(self.trustee, what, body)
        return {"accepted": what}


@pytest.fixture()
def tools(tmp_path: Path) -> Iterator[tuple[MaliciousServer, list[CeremonyRun]]]:
    """Three honest trustee tools (real vaults) talking to one malicious server."""
    server = MaliciousServer()
    runs = []
    for name in NAMES:
        contents = VaultContents(vote_day="vd", trustee=name)
        vault = Vault.create(
            tmp_path / f"{name}.vault", PASSPHRASE, contents, cost=KDF_LEVELS["interactive"]
        )
        runs.append(CeremonyRun(_Remote(server, name), vault, contents))  # type: ignore[arg-type]
    yield server, runs


def _commit_and_deal(runs: list[CeremonyRun]) -> None:
    for run in runs:
        assert run.step() is not None  # commit
    for run in runs:
        assert run.step() is not None  # deal


def _election_key(server: MaliciousServer) -> Point:
    public = parse_ceremony(server.body())
    total = Point.identity()
    for commitment in public.commitments.values():
        total = total + commitment.coefficients[0]
    return total


def _verify(server: MaliciousServer) -> Report:
    report = Report()
    leaves = server.leaves()
    entries = parse_entries(report, leaves)
    check_ceremony(report, entries, [leaf_hash(leaf) for leaf in leaves])
    return report


@pytest.mark.parametrize("forged_with", ["no key", "the server's own key"])
def test_forged_complaints_are_refused_and_the_secret_stays_secret(
    tools: tuple[MaliciousServer, list[CeremonyRun]], forged_with: str
) -> None:
    server, runs = tools
    _commit_and_deal(runs)
    h = _election_key(server)
    server.forge_complaints(signer=SigningKey.generate() if forged_with != "no key" else None)
    # (1) every honest tool refuses the forged ceremony and reveals nothing
    for run in runs:
        with pytest.raises(ServerMisbehaves, match="not made by that trustee"):
            run.step()
    assert [route for _, route, _ in server.posted if route == "reveals"] == []
    # (2) what the server collected does not interpolate to the election secret
    guess = server.interpolate_secret(server.revealed_points())
    assert guess is None or Point.base_times(guess) != h
    # (3) the verifier fails the record and names each forged complaint's leaf
    report = _verify(server)
    assert report.failed("ceremony")
    forged = [i for i, r in enumerate(server.records) if r["type"] == "trustee-complaint"]
    named = {leaf for f in report.checks["ceremony"].failures for leaf in f.leaves}
    assert set(forged) <= named


def test_the_interpolation_works_when_tools_answer_every_complaint(
    tools: tuple[MaliciousServer, list[CeremonyRun]],
) -> None:
    """The control: what the tools did before complaints were signed gives the server x."""
    server, runs = tools
    _commit_and_deal(runs)
    h = _election_key(server)
    server.forge_complaints()
    for run in runs:  # the old tool: reveal_share for every complaint against it
        public = parse_ceremony({**server.body(), "complaints": [], "reveals": []})
        secrets = run.contents.secrets
        assert secrets is not None
        for record in server.records:
            if record["type"] == "trustee-complaint":
                complaint = Complaint.from_json(record["complaint"])
                if complaint.accused_index == secrets.index:
                    answer = reveal_share(public.ceremony, secrets, complaint)
                    server.posted.append((run.name, "reveals", answer.to_json()))
    guess = server.interpolate_secret(server.revealed_points())
    assert guess is not None and Point.base_times(guess) == h


def test_a_complaint_in_a_trustees_own_name_stops_its_tool(
    tools: tuple[MaliciousServer, list[CeremonyRun]],
) -> None:
    """Even correctly signed (a stolen key): alice's tool did not make it and stops."""
    server, runs = tools
    _commit_and_deal(runs)
    alice = runs[0].contents.secrets
    assert alice is not None
    complaint = Complaint(
        accuser="alice", accuser_index=1, accused="bob", accused_index=2, reason="wrong-share"
    )
    signature = sign_message(
        "complaint", server.ceremony.digest(), complaint.body_json(), alice.signing_key
    )
    server.records.append(
        {
            "type": "trustee-complaint",
            "complaint": {**complaint.to_json(), "signature": signature.hex()},
        }
    )
    with pytest.raises(ServerMisbehaves, match="in the name of 'alice' \\(this trustee\\)"):
        runs[0].step()
    runs[1].step()  # bob answers: the complaint carries alice's (stolen) signature
    reveals = [b for _, route, b in server.posted if route == "reveals"]
    assert len(reveals) <= THRESHOLD - 1


def test_spoiled_shares_make_honest_complaints_but_at_most_t_minus_1_points_are_revealed(
    tools: tuple[MaliciousServer, list[CeremonyRun]],
) -> None:
    """The server spoils every share: every trustee complains (signed, for real) about
    every other; each tool reveals at most t − 1 points of its polynomial."""
    server, runs = tools
    server.spoil_shares = True
    _commit_and_deal(runs)
    h = _election_key(server)
    said: list[str] = []
    for _ in range(6):  # a few rounds: complain, answer, refuse, ready
        for run in runs:
            for _ in range(10):
                done = run.step()
                if done is None:
                    break
                said.append(f"{run.name}: {done}")
    assert any("did NOT answer the complaint" in line for line in said), said
    points = server.revealed_points()
    assert all(len(p) <= THRESHOLD - 1 for p in points.values()), points
    guess = server.interpolate_secret(points)
    assert guess is None or Point.base_times(guess) != h


def test_the_server_refuses_messages_their_author_did_not_sign(app: Flask) -> None:
    """The official's session is not proof of authorship: a complaint, reveal or readiness
    posted "as" a trustee without that trustee's signature is refused (400) and nothing is
    logged. (A stranger or insider with a trustee's session, but not its key.)"""
    list(load_demo())
    cs, db_, VD = ceremony_service, db.session, DEMO_VOTE_DAY  # noqa: N806
    signing = log_signing(app)
    begin_key_ceremony(db_, VD, trustees=NAMES, threshold=THRESHOLD, signing=signing)
    ceremony = cs.ceremony_state(db_, VD).ceremony
    secrets = [new_trustee(ceremony, name, rng=deterministic_rng(name.encode())) for name in NAMES]
    for s in secrets:
        cs.submit_commitment(db_, VD, s.trustee, commit(ceremony, s).to_json(), signing=signing)
    commitments = list(cs.ceremony_state(db_, VD).commitments.values())
    for s in secrets:
        shares = [sh.to_json() for sh in deal_shares(ceremony, s, commitments)]
        cs.submit_shares(db_, VD, s.trustee, shares, signing=signing)
    alice, bob = secrets[0], secrets[1]
    complaint = Complaint(
        accuser="bob", accuser_index=2, accused="alice", accused_index=1, reason="missing"
    )
    by_alice = sign_message(
        "complaint", ceremony.digest(), complaint.body_json(), alice.signing_key
    )
    forged = [
        ("complaint", {**complaint.body_json(), "signature": "00" * 64}),
        ("complaint", {**complaint.body_json(), "signature": by_alice.hex()}),  # wrong signer
        ("ready", {"trustee": "bob", "index": 2, "signature": "11" * 64}),
    ]
    size = bulletin.log_size(db_, VD)
    for kind, body in forged:
        submit = cs.submit_complaint if kind == "complaint" else cs.submit_ready
        with pytest.raises(cs.InvalidTrusteeMessage, match="not made by that trustee"):
            submit(db_, VD, "bob", body, signing=signing)
        assert bulletin.log_size(db_, VD) == size
    # bob's own signed complaint is logged; a reveal "by alice" signed by bob is refused
    real = sign(ceremony, bob, complaint)
    cs.submit_complaint(db_, VD, "bob", real.to_json(), signing=signing)
    answer = reveal_share(ceremony, alice, real)
    wrong = sign_message("reveal", ceremony.digest(), answer.body_json(), bob.signing_key)
    with pytest.raises(cs.InvalidTrusteeMessage, match="not made by that trustee"):
        cs.submit_reveal(
            db_,
            VD,
            "alice",
            {**answer.body_json(), "signature": wrong.hex()},
            signing=signing,
        )
    cs.submit_reveal(db_, VD, "alice", answer.to_json(), signing=signing)
