"""The log pushes add-checkpoint to a C2SP witness written from the spec, over real HTTP.

The witness (tests/interop/c2sp_witness.py, no Urna code) runs behind a real
HTTP server (tests/interop/spec_server.py). Urna's log pushes each new
checkpoint to it (:func:`voting.log.cosigners.push`, urllib), keeps its
``cosignature/v1`` line and serves it on the checkpoint; the verifier's
witness check counts it only with its vkey pinned in the observer's roster.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crypto.note import VerifierKey
from crypto.note import parse_note
from crypto.witness import parse_pinned_roster
from crypto.witness.cosignature import CosignerKey
from crypto.witness.cosignature import verify_cosignature_v1
from tests.interop.c2sp_witness import SpecWitness
from tests.interop.spec_server import WitnessServer
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log import cosigners
from voting.services import record_export
from voting.tools.verify.log_checks import check_witnesses
from voting.tools.verify.record import RecordFiles
from voting.tools.verify.report import Report

NAME = "2026-11-29-push"
BASE = f"/api/logs/{NAME}"


def grow(app: Flask, size: int) -> None:
    start = bulletin.log_size(db.session, NAME)
    bulletin.append_many(db.session, NAME, [{"type": "ballot", "n": i} for i in range(start, size)])
    bulletin.issue_checkpoint(db.session, NAME, log_signing(app), interval=dt.timedelta(0))


@pytest.fixture()
def log_vkey(app: Flask) -> str:
    signing = log_signing(app)
    bulletin.create_log(db.session, NAME, origin=signing.origin_for(NAME))
    return str(signing.verifier_key(signing.origin_for(NAME)))


def spec_witness(log_vkey: str, name: str = "witness.example/w1", seed: int = 7) -> SpecWitness:
    return SpecWitness(name, bytes([seed]) * 32, log_vkey)


@pytest.fixture()
def server(log_vkey: str) -> Iterator[WitnessServer]:
    with WitnessServer(spec_witness(log_vkey)).running() as running:
        yield running


def listed(app: Flask, server: WitnessServer) -> None:
    cosigners.add_cosigner(
        db.session,
        NAME,
        server.witness.vkey(),
        server.url,
        approved_by="admin",
        signing=log_signing(app),
    )


def witness_check(
    client: FlaskClient, log_vkey: str, roster: str | None, required: int = 1
) -> tuple[str, str, dict[str, object]]:
    """The verifier's witness check on the served checkpoint: (status, message, facts)."""
    note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    files = RecordFiles({}, (), note, log_vkey, record_export._roster(db.session, NAME))
    report = Report()
    pinned = parse_pinned_roster(roster) if roster is not None else None
    check_witnesses(
        report,
        files,
        VerifierKey.parse(log_vkey),
        required,
        True,
        pinned.bls if pinned else None,
        pinned.cosigners if pinned else (),
    )
    result = report.checks["witnesses"]
    message = result.failures[0].message if result.failures else result.detail
    return result.status, message, report.facts


def test_the_log_pushes_a_growing_log_and_the_verifier_counts_the_pinned_witness(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    listed(app, server)
    vkey = server.witness.vkey()
    for size in [1, 5, 8, 21, 22]:
        grow(app, size)
        [outcome] = cosigners.push(db.session, NAME, timeout=5)
        assert outcome.cosigned, outcome.error
        assert server.witness.size == size  # the spec witness verified each consistency proof
        note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
        assert parse_note(note).signatures[-1].name == server.witness.name
        verify_cosignature_v1(note, CosignerKey.from_vkey(vkey))
    assert [r.split("\n", 1)[0] for r in server.requests] == [
        "old 0",
        "old 1",
        "old 5",
        "old 8",
        "old 21",
    ]
    # pushing again sends nothing: the latest checkpoint is cosigned
    assert cosigners.push(db.session, NAME, timeout=5) == []
    status, message, facts = witness_check(client, log_vkey, f"# mine\n{vkey}\n")
    assert status == "passed", message
    assert "cosignature/v1: witness.example/w1" in message
    assert facts["witnesses_counted"] == {"bls": [], "cosignature/v1": ["witness.example/w1"]}


def test_a_witness_not_on_the_pinned_roster_is_not_counted(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    listed(app, server)
    grow(app, 3)
    assert cosigners.push(db.session, NAME, timeout=5)[0].cosigned
    stranger = spec_witness(log_vkey, "other.example/w9", seed=9).vkey()
    status, message, facts = witness_check(client, log_vkey, stranger)
    assert status == "failed"
    assert "0 of the 1 witnesses in your roster" in message
    assert "witness.example/w1, not in your roster" in message
    assert facts["witnesses_not_in_your_roster"] == ["witness.example/w1"]
    # without a roster file, the record's own roster: counted but not independently checked
    status, message, _ = witness_check(client, log_vkey, None)
    assert status == "unpinned"
    assert "1 of 1 C2SP witnesses of the record's own roster" in message


def test_a_409_with_the_witness_size_is_retried_with_the_right_proof(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    listed(app, server)
    grow(app, 4)
    # someone else (another log instance, a previous database) already brought
    # the witness to size 4; the log believes it cosigned nothing yet
    note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    assert server.witness.add_checkpoint(f"old 0\n\n{note}", 1)[0] == 200
    grow(app, 9)
    [outcome] = cosigners.push(db.session, NAME, timeout=5)
    assert outcome.cosigned and outcome.attempts == 2, outcome
    assert [r.split("\n", 1)[0] for r in server.requests] == ["old 0", "old 4"]
    assert server.witness.size == 9


def test_a_dead_or_slow_witness_is_reported_and_the_others_still_cosign(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    listed(app, server)
    with WitnessServer(spec_witness(log_vkey, "slow.example/w2", seed=3)).running() as slow:
        slow.delay = 6.0
        listed(app, slow)
        cosigners.add_cosigner(
            db.session,
            NAME,
            spec_witness(log_vkey, "dead.example/w3", seed=4).vkey(),
            "http://127.0.0.1:9",
            approved_by="admin",
            signing=log_signing(app),
        )
        grow(app, 2)
        outcomes = {o.witness: o for o in cosigners.push(db.session, NAME, timeout=2.0)}
    assert outcomes["witness.example/w1"].cosigned
    assert not outcomes["slow.example/w2"].cosigned
    assert "too slow" in (outcomes["slow.example/w2"].error or "")
    assert not outcomes["dead.example/w3"].cosigned
    assert "unreachable" in (outcomes["dead.example/w3"].error or "")
    rows = {
        c.name: c
        for c in cosigners.list_cosigners(db.session, cosigners._get_log(db.session, NAME))
    }
    assert rows["dead.example/w3"].last_error and rows["witness.example/w1"].last_error is None
    note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    assert [s.name for s in parse_note(note).signatures][1:] == ["witness.example/w1"]


def _sign_as(witness: SpecWitness, text: str, when: int) -> str:
    """``witness``'s cosignature/v1 line over ``text`` (a checkpoint body), dated ``when``.

    Written from c2sp.org/tlog-cosignature with hashlib and PyNaCl only.
    """
    public = bytes(witness.key.verify_key)
    key_id = hashlib.sha256(witness.name.encode() + b"\n\x04" + public).digest()[:4]
    signature = witness.key.sign(f"cosignature/v1\ntime {when}\n{text}".encode()).signature
    payload = key_id + when.to_bytes(8, "big") + signature
    return f"— {witness.name} {base64.b64encode(payload).decode()}\n"


REPLAYS = {
    # a line the witness really signed, but over another checkpoint of the same log
    "other checkpoint": lambda w, text, now: _sign_as(
        w, text.replace(text.split("\n")[2], base64.b64encode(bytes(32)).decode()), now
    ),
    # a line the witness really signed over the same size and root of another log
    "other origin": lambda w, text, now: _sign_as(
        w, "other.example/log" + text[text.index("\n") :], now
    ),
    # a line the witness really signed over this checkpoint, an hour before the push
    "old timestamp": lambda w, text, now: _sign_as(w, text, now - 3600),
}


@pytest.mark.parametrize("replay", list(REPLAYS))
def test_a_forged_or_replayed_cosignature_is_refused_and_not_served(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer, replay: str
) -> None:
    listed(app, server)
    grow(app, 6)
    honest = server.answer

    def replaying(body: str, now: int) -> tuple[int, str]:
        honest(body, now)  # the witness does cosign; the answer is swapped on the way back
        note = body.split("\n\n", 1)[1]
        text = parse_note(note).text
        return 200, REPLAYS[replay](server.witness, text, now)

    server.answer = replaying
    [outcome] = cosigners.push(db.session, NAME, timeout=5)
    assert not outcome.cosigned
    assert "refused its answer" in (outcome.error or "")
    if replay == "old timestamp":
        assert "replayed" in (outcome.error or "")
    note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    assert len(parse_note(note).signatures) == 1  # only the log's own
    # the honest answer is stored once the witness answers honestly again
    server.answer = lambda body, now: (
        (409, f"{server.witness.size}\n")
        if not body.startswith(f"old {server.witness.size}\n")
        else honest(body, now)
    )
    assert cosigners.push(db.session, NAME, timeout=5)[0].cosigned


def test_a_409_beyond_the_logs_checkpoint_is_reported_not_retried(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    listed(app, server)
    grow(app, 3)
    server.answer = lambda body, now: (409, "1000\n")
    [outcome] = cosigners.push(db.session, NAME, timeout=5)
    assert not outcome.cosigned and "beyond this log's latest checkpoint" in (outcome.error or "")
    assert len(server.requests) == 1
    server.answer = lambda body, now: (409, "007\n")  # not a size: no retry either
    [outcome] = cosigners.push(db.session, NAME, timeout=5)
    assert "409 without a size" in (outcome.error or "")


def test_flask_witness_push_signs_the_grown_log_and_pushes_it(
    app: Flask, log_vkey: str, server: WitnessServer
) -> None:
    from tests.witness_helpers import administrator

    official = administrator(db.session).username
    runner = app.test_cli_runner()
    added = runner.invoke(
        args=[
            "witness",
            "add-c2sp",
            NAME,
            server.witness.vkey(),
            "--url",
            server.url + "/",
            "--by",
            official,
        ]
    )
    assert added.exit_code == 0, added.output
    bulletin.append_many(db.session, NAME, [{"type": "ballot", "n": i} for i in range(4)])
    pushed = runner.invoke(args=["witness", "push", NAME, "--timeout", "5"])
    assert pushed.exit_code == 0, pushed.output
    assert "witness.example/w1: cosigned size 5" in pushed.output  # + the cosigner record
    assert server.witness.size == 5
    refused = runner.invoke(
        args=[
            "witness",
            "add-c2sp",
            NAME,
            server.witness.vkey(),
            "--url",
            "file:///etc",
            "--by",
            official,
        ]
    )
    assert refused.exit_code != 0 and "http:// or https://" in refused.output


def test_each_scheduler_pass_pushes_and_a_witnessless_log_is_left_alone(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    signing = log_signing(app)
    bulletin.create_log(db.session, "no-witness", origin=signing.origin_for("no-witness"))
    listed(app, server)
    bulletin.append_many(db.session, NAME, [{"type": "ballot", "n": i} for i in range(3)])
    ran = app.test_cli_runner().invoke(args=["schedule", "run"])
    assert ran.exit_code == 0, ran.output
    assert f"witness witness.example/w1 of {NAME}, size " in ran.output
    assert "no-witness" not in ran.output
    assert server.witness.size == bulletin.get_checkpoint(db.session, NAME).size
    again = app.test_cli_runner().invoke(args=["schedule", "run"])
    assert "witness.example/w1" not in again.output  # the latest is cosigned: nothing to ask
    assert len(server.requests) == 1


def test_the_roster_api_and_the_explorer_show_the_c2sp_witness(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    from voting.log import explorer

    listed(app, server)
    grow(app, 2)
    assert cosigners.push(db.session, NAME, timeout=5)[0].cosigned
    roster = client.get(f"{BASE}/witnesses").get_json()
    [entry] = roster["cosigners"]
    assert entry["vkey"] == server.witness.vkey() and entry["url"] == server.url
    assert entry["cosigned_size"] == 2 and roster["witnesses"] == []
    [latest, *_] = explorer.checkpoints(db.session, NAME)
    assert latest.size == 2
    assert server.witness.name in latest.note
    assert "witness.example/w1" in str(latest)


def test_go_sumdb_note_reads_the_served_checkpoint_and_ignores_the_cosignature_line(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer, urnacheck: Path
) -> None:
    """A client that does not know the witness's key (Go's sumdb/note) still verifies the note."""
    listed(app, server)
    grow(app, 9)
    assert cosigners.push(db.session, NAME, timeout=5)[0].cosigned
    note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    assert [s.name for s in parse_note(note).signatures][-1] == server.witness.name
    entries = client.get(f"{BASE}/entries?start=0&end=9").get_json()["entries"]
    document = {
        "verifier_key": log_vkey,
        "checkpoint": note,
        "entries": [e["data"] for e in entries],
        "inclusion": [],
        "consistency": [],
    }
    result = subprocess.run(
        [str(urnacheck)], input=json.dumps(document), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["size"] == 9


def test_a_witness_dripping_its_answer_is_abandoned_after_twice_the_timeout(
    app: Flask, log_vkey: str, server: WitnessServer
) -> None:
    """Each byte comes within the socket timeout; the whole answer (~100 bytes) would take 20 s."""
    listed(app, server)
    grow(app, 2)
    server.drip = 0.2  # each byte well within the 1 s socket timeout
    [outcome] = cosigners.push(db.session, NAME, timeout=1.0)
    # without the deadline the whole answer would arrive (after ~20 s) and be stored
    assert not outcome.cosigned and "no whole answer" in (outcome.error or "")


def test_a_redirect_is_the_witness_answer_not_a_place_to_post_to(
    app: Flask, log_vkey: str, server: WitnessServer
) -> None:
    listed(app, server)
    grow(app, 2)
    server.answer = lambda body, now: (302, "")  # with Location: /elsewhere
    [outcome] = cosigners.push(db.session, NAME, timeout=5)
    assert not outcome.cosigned and (outcome.error or "").startswith("answered 302")
    assert len(server.requests) == 1  # urllib's default would have fetched /elsewhere


def test_the_verifier_counts_bls_and_c2sp_witnesses_together_and_names_them(
    app: Flask, client: FlaskClient, log_vkey: str, server: WitnessServer
) -> None:
    from crypto.witness import witness_verifier_key
    from tests.witness_helpers import LocalWitness
    from tests.witness_helpers import register_and_approve

    bls = LocalWitness.make("bern.example/w", 21)
    register_and_approve(app, client, db.session, NAME, bls)
    listed(app, server)
    grow(app, 6)
    assert cosigners.push(db.session, NAME, timeout=5)[0].cosigned
    note = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    posted = client.post(f"{BASE}/cosignatures", json=bls.submission(NAME, note))
    assert posted.status_code == 201, posted.get_json()
    served = client.get(f"{BASE}/checkpoint").get_data(as_text=True)
    names = [s.name for s in parse_note(served).signatures]
    assert names[1:] == [f"{names[0]}/witnesses", "witness.example/w1"]  # aggregate, then C2SP
    roster = f"{witness_verifier_key(bls.name, bls.bls.public_key())}\n{server.witness.vkey()}\n"
    status, message, facts = witness_check(client, log_vkey, roster, required=2)
    assert status == "passed", message
    assert message == (
        "2 of the 2 witnesses in your roster cosigned the final checkpoint "
        "(BLS: bern.example/w; cosignature/v1: witness.example/w1)"
    )
    assert facts["witnesses_counted"] == {
        "bls": ["bern.example/w"], "cosignature/v1": ["witness.example/w1"]
    }  # fmt: skip
    status, message, _ = witness_check(client, log_vkey, roster, required=3)
    assert status == "failed" and "2 of the 2 witnesses" in message and "3 required" in message
