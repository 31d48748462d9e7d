"""The trustee tool (``python -m voting.trustee``) against the app over real HTTP.

Three trustee officials each run the tool on 'their own machine' (a state
folder each) through the whole key ceremony; the vote day opens, voters cast
ballots with the voting client, the tally starts, and two of the three
trustees decrypt: the counts come out right. Adversarial: a bad share is
named in a public complaint, and its dealer is disqualified when it stays
silent or cleared when it reveals; a wrong passphrase; the vault never holds
a secret in clear.
"""

from __future__ import annotations

import ast
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from nacl.public import Box
from nacl.public import PublicKey

from crypto.group import Point
from crypto.trustees import deal_shares
from crypto.trustees import declare_ready
from tests.fixtures_casting import DEMO_VOTE_DAY
from tests.fixtures_casting import register_codes
from tests.voting.trustee_tool_helpers import PASSPHRASE
from tests.voting.trustee_tool_helpers import STILL_RUNNING
from tests.voting.trustee_tool_helpers import TRUSTEES
from tests.voting.trustee_tool_helpers import Trustee
from tests.voting.trustee_tool_helpers import create_officials
from tests.voting.trustee_tool_helpers import logged_in
from tests.voting.trustee_tool_helpers import make_trustee
from tests.voting.trustee_tool_helpers import run_until_ready
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.models.tally import TallyUnit
from voting.rehearsal.demo import load_demo
from voting.services import trustee_roster
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import open_vote_day
from voting.tools.client import VotingClient
from voting.tools.official_http import Refused
from voting.tools.trustee.cli import cli
from voting.tools.trustee.public import parse_ceremony
from voting.tools.trustee.remote import TrusteeServer

API = f"/api/vote-days/{DEMO_VOTE_DAY}"
WINTERTHUR = "municipality:230"
ELSAU = "municipality:219"


@pytest.fixture()
def trustees(app: Flask, live_server: str, tmp_path: Path) -> Iterator[list[Trustee]]:
    """The demo vote day in its key ceremony; three trustees with state folders."""
    list(load_demo())
    create_officials()
    trustee_roster.begin_ceremony(
        db.session, DEMO_VOTE_DAY, trustees=TRUSTEES, threshold=2, signing=log_signing(app)
    )
    yield [make_trustee(tmp_path, name, live_server, DEMO_VOTE_DAY) for name in TRUSTEES]


def _complete(server: str, **body: bool) -> dict:
    reply = logged_in(server, "ada").post_json(f"{API}/ceremony/complete", body)
    db.session.commit()  # see the server's writes
    return reply


def _public(server: str) -> dict:
    return logged_in(server, "ada").get_json(f"{API}/ceremony")


def test_three_trustees_run_the_ceremony_and_two_decrypt(
    app: Flask, live_server: str, trustees: list[Trustee]
) -> None:
    run_until_ready(trustees)
    key = _complete(live_server)
    for trustee in trustees:
        done = trustee.ceremony()
        assert done.exit_code == 0, done.output
        assert "key share derived" in done.output and "complete" in done.output
        _, contents = trustee.open_vault()
        assert contents.key_share is not None
        index = TRUSTEES.index(trustee.name)
        expected = key["trustees"][index]["verification_key"]
        assert Point.base_times(contents.key_share.secret).hex() == expected
    again = trustees[0].ceremony()
    assert again.exit_code == 0 and "derived" not in again.output  # idempotent

    signing = log_signing(app)
    codes = register_codes(DEMO_VOTE_DAY, {WINTERTHUR: 2, ELSAU: 1}, b"codes")
    open_vote_day(db.session, DEMO_VOTE_DAY, signing=signing)
    voter = VotingClient(live_server)
    voter.vote(DEMO_VOTE_DAY, codes[WINTERTHUR][0], {"bike-paths": ["yes"]})
    voter.vote(DEMO_VOTE_DAY, codes[WINTERTHUR][1], {"bike-paths": ["no"]})
    voter.vote(DEMO_VOTE_DAY, codes[ELSAU][0], {"bike-paths": ["yes"]})
    db.session.commit()
    close_vote_day(db.session, DEMO_VOTE_DAY, signing=signing)

    early = trustees[0].run("decrypt")
    assert early.exit_code == 1 and "no encrypted totals" in early.output
    started = logged_in(live_server, "ada").post_json(f"{API}/tally", {})
    assert started["ballots"] == 3
    first = trustees[0].run("decrypt")
    assert first.exit_code == 0, first.output
    assert "tally is complete" not in first.output
    repeat = trustees[0].run("decrypt")  # nothing left for alice: no request, no refusal
    assert repeat.exit_code == 0 and "shared 0 units" in repeat.output
    last = trustees[2].run("decrypt")
    assert last.exit_code == 0, last.output
    assert "the tally is complete" in last.output

    db.session.commit()
    counts = {}
    for row in db.session.scalars(
        sa.select(TallyUnit).where(TallyUnit.vote_day_id == DEMO_VOTE_DAY)
    ):
        record = bulletin.get_entry(db.session, DEMO_VOTE_DAY, row.counts_index).record
        assert record["shares"]  # the leaves of the two trustees' shares
        counts[row.unit] = record["questions"]["bike-paths"]
    # 3 ballots, fewer than the demo vote day's minimum of 10: counted together at
    # the canton, the deepest unit the double majority needs (docs/record.md)
    assert counts == {"canton:ZH": [2, 1]}


def _deal_a_bad_share(server: str, dealer: Trustee, victim: str) -> None:
    """What a cheating dealer does: box a wrong f_i(j) for ``victim`` (the others are right)."""
    _, contents = dealer.open_vault()
    public = parse_ceremony(TrusteeServer(logged_in(server, dealer.name), DEMO_VOTE_DAY).ceremony())
    secrets = contents.secrets
    assert secrets is not None
    shares = [
        s.to_json()
        for s in deal_shares(public.ceremony, secrets, list(public.commitments.values()))
    ]
    j = public.ceremony.index_of(victim)
    wrong = secrets.evaluate(j) + secrets.evaluate(1)  # not f_i(j)
    header = public.ceremony.digest() + secrets.index.to_bytes(4, "big") + j.to_bytes(4, "big")
    box = Box(secrets.box_key, PublicKey(public.commitments[j].box_public))
    bad = next(s for s in shares if s["recipient"] == victim)
    bad["ciphertext"] = bytes(box.encrypt(header + wrong.to_bytes())).hex()
    logged_in(server, dealer.name).post_json(f"{API}/ceremony/shares", {"shares": shares})


@pytest.mark.parametrize("answers", [False, True], ids=["silent", "reveals"])
def test_a_bad_share_is_named_and_its_dealer_judged(
    live_server: str, trustees: list[Trustee], answers: bool
) -> None:
    alice, bob, carol = trustees
    for trustee in trustees:  # everybody commits; carol, last, deals at once
        assert trustee.ceremony().exit_code == STILL_RUNNING
    _deal_a_bad_share(live_server, alice, "bob")
    said = bob.ceremony()
    assert "complained publicly about 'alice' (wrong-share)" in said.output
    assert "declared ready" in said.output
    assert "declared ready" in carol.ceremony().output
    complaint = _public(live_server)["complaints"]
    assert [{k: v for k, v in c.items() if k != "signature"} for c in complaint] == [
        {"accuser": "bob", "accuser_index": 2, "accused": "alice", "accused_index": 1,
         "reason": "wrong-share"}
    ]  # fmt: skip
    assert len(bytes.fromhex(complaint[0]["signature"])) == 64  # signed by bob
    if answers:
        reply = alice.ceremony()
        assert (
            "answered the complaint of 'bob'" in reply.output and "declared ready" in reply.output
        )
        key = _complete(live_server)
        assert "alice" in [t["trustee"] for t in key["trustees"]]
        assert _public(live_server)["election_key"]["disqualified"] == []
    else:
        _, contents = alice.open_vault()  # alice declares herself ready and stays silent
        assert contents.secrets is not None
        public = parse_ceremony(_public(live_server))
        ready = declare_ready(public.ceremony, contents.secrets).to_json()
        logged_in(live_server, "alice").post_json(f"{API}/ceremony/ready", ready)
        with pytest.raises(Refused, match="unanswered") as refused:
            _complete(live_server)
        assert refused.value.code == "ceremony_refused"
        _complete(live_server, unanswered=True)
        assert _public(live_server)["election_key"]["disqualified"] == ["alice"]
        out = alice.ceremony()
        assert out.exit_code == 1 and "'alice' was disqualified" in out.output
    for trustee in (bob, carol):  # the key shares match the logged verification keys
        done = trustee.ceremony()
        assert done.exit_code == 0, done.output


def test_a_forged_complaint_stops_the_tool_with_exit_status_1(
    app: Flask, live_server: str, trustees: list[Trustee]
) -> None:
    """The server operator logs a complaint "from" bob against alice (tests/adversary/
    test_forged_complaints.py plays the interpolation): alice's tool answers nothing and
    stops loudly, and so does bob's, in whose name the complaint was made."""
    alice, bob, _ = trustees
    for trustee in trustees:  # everybody commits; carol, last, deals at once
        assert trustee.ceremony().exit_code == STILL_RUNNING
    for trustee in trustees[:2]:
        assert trustee.ceremony().exit_code == STILL_RUNNING  # dealt (and checked)
    db.session.commit()
    forged = {"accuser": "bob", "accuser_index": 2, "accused": "alice", "accused_index": 1,
              "reason": "missing", "signature": "00" * 64}  # fmt: skip
    with bulletin.locked_log(db.session, DEMO_VOTE_DAY, signing=log_signing(app)) as log:
        log.append({"type": "trustee-complaint", "complaint": forged})  # bypasses every check
    size = bulletin.log_size(db.session, DEMO_VOTE_DAY)
    for trustee in (alice, bob):
        out = trustee.ceremony()
        assert out.exit_code == 1, out.output
        assert "in the name of 'bob'" in out.output and "not made by that trustee" in out.output
    db.session.commit()
    assert bulletin.log_size(db.session, DEMO_VOTE_DAY) == size  # no reveal was posted


def test_init_wrong_passphrase_and_no_secret_in_clear(
    live_server: str, trustees: list[Trustee], tmp_path: Path
) -> None:
    state = tmp_path / "dave-state"
    passphrase = tmp_path / "dave-passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    args = ["init", "--state", str(state), "--server", live_server, "--vote-day", DEMO_VOTE_DAY]
    made = CliRunner().invoke(
        cli,
        [
            *args,
            "--name",
            "dave",
            "--passphrase-file",
            str(passphrase),
            "--kdf-level",
            "interactive",
        ],
    )
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "secrets.vault").stat().st_mode) == 0o600
    envelope = json.loads((state / "secrets.vault").read_text())
    assert envelope["kdf"]["memlimit"] == 64 * 1024 * 1024 and len(envelope["kdf"]["salt"]) == 32
    twice = CliRunner().invoke(cli, [*args, "--name", "dave", "--passphrase-file", str(passphrase)])
    assert twice.exit_code == 2 and "already holds" in twice.output

    run_until_ready(trustees)
    _complete(live_server)
    alice = trustees[0]
    assert alice.ceremony().exit_code == 0
    _, contents = alice.open_vault()
    assert contents.secrets is not None and contents.key_share is not None
    secrets = [a.to_bytes() for a in contents.secrets.coefficients]
    secrets += [bytes(contents.secrets.box_key), contents.key_share.secret.to_bytes()]
    secrets += [s.to_bytes() for s in contents.received.values()]
    for path in alice.state.iterdir():
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data and secret.hex().encode() not in data, path.name

    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all\n")
    refused = CliRunner().invoke(
        cli,
        ["ceremony", "--state", str(alice.state), "--passphrase-file", str(wrong),
         "--password-file", str(alice.password_file)],
    )  # fmt: skip
    assert refused.exit_code == 2 and "wrong passphrase" in refused.output
    alice.state.chmod(0o755)
    opened_up = alice.run("status")
    assert opened_up.exit_code == 2 and "chmod 700" in opened_up.output
    alice.state.chmod(0o700)
    status = alice.run("status")
    assert status.exit_code == 0 and "election key: logged" in status.output


def test_the_tool_imports_no_server_code() -> None:
    """It runs on the trustee's machine: no web framework, database or server module."""
    forbidden = (
        "flask",
        "sqlalchemy",
        "werkzeug",
        "voting.services",
        "voting.models",
        "voting.views",
    )
    root = Path(__file__).resolve().parents[2]
    for path in [
        *sorted((root / "voting" / "tools" / "trustee").glob("*.py")),
        root / "voting" / "tools" / "official_http.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"
