"""The tally, channel-counts and results API, and the clerk's command-line tool."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from crypto.clerk_signature import verify_counts
from crypto.testing import deterministic_rng
from tests.fixtures_casting import OpenVoteDay
from tests.official_actions import PASSWORD
from tests.official_actions import OfficialActions
from tests.voting.tally_helpers import ELSAU
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import vote
from tests.voting.test_channels import counts
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.services.decryption import decrypt_totals
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import open_vote_day
from voting.services.tally_log import read_manifest
from voting.services.tally_log import read_threshold_key
from voting.tools.clerk import cli as clerk_cli


@pytest.fixture()
def closed(app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    prepared = prepare_vote_day()
    vote(app, prepared, WINTERTHUR, 0, {"bike-paths": ["yes"], "winterthur-square": ["toess"]})
    vote(app, prepared, ELSAU, 0, {"bike-paths": ["no"]})
    close_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    return prepared


def _switch(actions: OfficialActions, grant: str, username: str) -> None:
    actions.log_out()
    actions.log_in_as(grant, username=username)


def _submission(prepared: OpenVoteDay, trustee: str, totals: list[dict]) -> dict:
    """What the trustee tool does with the downloaded totals."""
    share = next(s for s in prepared.trustees.key_shares if s.trustee == trustee)
    return decrypt_totals(
        share,
        read_threshold_key(db.session, prepared.vote_day),
        totals,
        manifest_hash=read_manifest(db.session, prepared.vote_day).digest,
        rng=deterministic_rng(trustee.encode()),
    )


def test_tally_decryption_counts_and_results_over_http(
    closed: OpenVoteDay, official_actions: OfficialActions
) -> None:
    api = f"/api/vote-days/{closed.vote_day}"
    client = official_actions.client
    assert client.post(f"{api}/tally").status_code in (400, 401)  # no session (CSRF or login)
    official_actions.log_in_as("clerk:municipality:219", username="clara")
    assert official_actions.post_json(f"{api}/tally", {}).status_code == 403
    _switch(official_actions, "administrator", "ada")
    started = official_actions.post_json(f"{api}/tally", {})
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["units"] == 2
    assert official_actions.post_json(f"{api}/tally", {}).get_json()["error"] == "tally_refused"
    totals = client.get(f"{api}/encrypted-totals").get_json()["totals"]
    assert [t["unit"] for t in totals] == [ELSAU, WINTERTHUR]
    only = client.get(f"{api}/encrypted-totals?unit={ELSAU}").get_json()["totals"]
    assert [t["unit"] for t in only] == [ELSAU]

    _switch(official_actions, "trustee", "mallory")
    refused = official_actions.post_json(
        f"{api}/decryption-shares", _submission(closed, "alice", totals)
    )
    assert (refused.status_code, refused.get_json()["error"]) == (403, "not_a_trustee")
    _switch(official_actions, "trustee", "alice")
    accepted = official_actions.post_json(
        f"{api}/decryption-shares", _submission(closed, "alice", totals)
    )
    assert accepted.status_code == 201
    assert accepted.get_json() == {"accepted": 2, "remaining_units": 2, "tallied": False}
    _switch(official_actions, "trustee", "bob")
    bad = copy.deepcopy(_submission(closed, "bob", totals))
    bad["shares"][1]["share"]["shares"][0] = bad["shares"][1]["share"]["shares"][1]
    size = bulletin.log_size(db.session, closed.vote_day)
    refused = official_actions.post_json(f"{api}/decryption-shares", bad)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "decryption_share_refused"
    assert (refused.get_json()["trustee"], refused.get_json()["unit"]) == ("bob", WINTERTHUR)
    assert bulletin.log_size(db.session, closed.vote_day) == size
    done = official_actions.post_json(
        f"{api}/decryption-shares", _submission(closed, "bob", totals)
    )
    assert done.get_json()["tallied"] is True

    _switch(official_actions, "clerk:municipality:219", "clara2")
    served = client.get(f"{api}/results").get_json()
    assert served["published"] is False
    one = client.get(f"{api}/results/bike-paths").get_json()
    assert one["units"][0]["total"]["options"] == [1, 1]
    assert client.get(f"{api}/results/nope").status_code == 404
    bfs = client.get(f"{api}/results.bfs.json").get_json()
    assert bfs["schweiz"]["vorlagen"][0]["resultat"]["jaStimmenAbsolut"] == 1
    assert official_actions.post_json(f"{api}/publish", {}).status_code == 403
    _switch(official_actions, "administrator", "ada2")
    published = official_actions.post_json(f"{api}/publish", {})
    assert published.status_code == 201
    assert client.get(f"{api}/results").get_json()["published"] is True


def test_clerk_tool_signs_registers_and_uploads(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    official_actions: OfficialActions,
    live_server: str,
    tmp_path: Path,
) -> None:
    closed = prepare_vote_day(open_it=False)  # clerks' keys are registered before opening
    official_actions.create("clara", "clerk:municipality:219")
    runner = CliRunner()
    key = tmp_path / "clerk.key"
    made = runner.invoke(clerk_cli, ["keygen", "--out", str(key)])
    assert made.exit_code == 0, made.output
    assert (key.stat().st_mode & 0o777) == 0o600
    assert runner.invoke(clerk_cli, ["keygen", "--out", str(key)]).exit_code == 2
    public = runner.invoke(clerk_cli, ["public-key", "--key", str(key)]).output.strip()
    assert public == made.output.strip()
    unsigned = counts(closed.vote_day)
    del unsigned["type"], unsigned["replaces"]  # the tool fills them in
    counts_file = tmp_path / "counts.json"
    counts_file.write_text(json.dumps(unsigned))
    signed_file = tmp_path / "signed.json"
    signed = runner.invoke(
        clerk_cli, ["sign", str(counts_file), "--key", str(key), "--out", str(signed_file)]
    )
    assert signed.exit_code == 0, signed.output
    record = json.loads(signed_file.read_text())
    verify_counts(record, bytes.fromhex(public))
    assert record["type"] == "channel-counts" and record["replaces"] is None

    env = {"URNA_PASSWORD": PASSWORD}
    registered = runner.invoke(
        clerk_cli,
        [
            "register-key",
            "--server",
            live_server,
            "--vote-day",
            closed.vote_day,
            "--unit",
            ELSAU,
            "--key",
            str(key),
            "--username",
            "clara",
        ],
        env=env,
    )
    assert registered.exit_code == 0, registered.output
    db.session.commit()  # see the server's writes
    open_vote_day(db.session, closed.vote_day, signing=log_signing(app))
    close_vote_day(db.session, closed.vote_day, signing=log_signing(app))
    late = runner.invoke(clerk_cli, ["register-key", "--server", live_server, "--vote-day",
                                     closed.vote_day, "--unit", ELSAU, "--key", str(key),
                                     "--username", "clara"], env=env)  # fmt: skip
    assert late.exit_code == 1 and "clerks' keys are taken while" in late.output
    uploaded = runner.invoke(
        clerk_cli,
        ["upload", str(signed_file), "--server", live_server, "--username", "clara"],
        env=env,
    )
    assert uploaded.exit_code == 0, uploaded.output
    index = json.loads(uploaded.output)["index"]
    db.session.commit()  # see the server's writes
    assert bulletin.get_entry(db.session, closed.vote_day, index).record == record
    again = runner.invoke(
        clerk_cli,
        ["upload", str(signed_file), "--server", live_server, "--username", "clara"],
        env=env,
    )
    assert again.exit_code == 1 and "replaces" in again.output
