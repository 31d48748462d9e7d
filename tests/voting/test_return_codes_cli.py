"""The registrar's return-code setup through the command line, with the authority tool's
own command line (``python -m voting.returncodes setup``) in between, up to opening."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
from flask import Flask
from flask.testing import FlaskCliRunner

from crypto.credentials import derive_credential
from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import reads
from voting.models.votedays import VoteDay
from voting.services import votedays
from voting.services.lifecycle import open_vote_day
from voting.tools.returncodes.__main__ import main as returncodes_main
from voting.tools.returncodes.state import load_keys

WINTERTHUR = "municipality:230"


def test_request_authorities_finish_upload_and_open(
    app: Flask,
    runner: FlaskCliRunner,
    prepare_vote_day: Callable[..., OpenVoteDay],
    tmp_path: Path,
) -> None:
    opened = prepare_vote_day(open_it=False, voters={WINTERTHUR: 2})
    day = opened.vote_day
    names = [f"rca-{n}" for n in (1, 2, 3, 4)]
    for name in names:
        assert returncodes_main(["init", "--state", str(tmp_path / name), "--name", name]) == 0
    keys = {name: load_keys(tmp_path / name).public_key.hex() for name in names}
    entries = [
        {"name": n, "key": keys[n], "url": f"http://127.0.0.1:{8600 + i}"}
        for i, n in enumerate(names)
    ]
    vote_day = db.session.get_one(VoteDay, day)
    vote_day.return_codes = {"authorities": votedays.check_authorities(entries)}
    db.session.commit()
    codes = tmp_path / "codes.json"
    cards = [{"unit": WINTERTHUR, "code": c} for c in opened.codes[WINTERTHUR]]
    codes.write_text(json.dumps({"vote_day": day, "cards": cards}))
    out = tmp_path / "rc"
    requested = runner.invoke(
        args=["credentials", "return-codes-request", "--vote-day", day, "--codes", str(codes),
              "--out", str(out)]
    )  # fmt: skip
    assert requested.exit_code == 0, requested.output
    printed = dict(line.split(": ", 1) for line in requested.output.splitlines() if ": " in line)
    request = out / f"rc-request-{day}.jsonl"
    assert (out / f"rc-pending-{day}.json").stat().st_mode & 0o777 == 0o600
    answers = []
    for name in names:
        answer = tmp_path / f"{name}.jsonl"
        argv = ["setup", "--state", str(tmp_path / name), "--request", str(request),
                "--answer", str(answer), "--manifest-hash", printed["manifest hash"],
                "--election-key", printed["election key"]]  # fmt: skip
        assert returncodes_main(argv) == 0
        answers += ["--answer", f"{name}={answer}"]
    finished = runner.invoke(
        args=["credentials", "return-codes-finish", "--vote-day", day, "--pending",
              str(out / f"rc-pending-{day}.json"), *answers, "--out", str(out),
              "--base-url", "https://vote.example"]
    )  # fmt: skip
    assert finished.exit_code == 0, finished.output
    pdf = pdfium.PdfDocument(str(out / f"cards-with-codes-{day}.pdf"))
    try:
        assert len(pdf) >= 4  # two cards, each with its back
        assert opened.codes[WINTERTHUR][0] in pdf[0].get_textpage().get_text_range()
        assert pdf.get_metadata_dict()["Author"] == "Urna registrar"
    finally:
        pdf.close()
    plain = out / f"cards-with-codes-{day}.txt"  # the accessible alternative, as secret
    assert plain.stat().st_mode & 0o777 == 0o600
    cards = plain.read_text(encoding="utf-8").split("\f\n")
    assert [c.split("\n")[4].rsplit(" ", 1)[-1] for c in cards] == opened.codes[WINTERTHUR]
    document = out / f"return-codes-{day}.json"
    uploaded = runner.invoke(
        args=["credentials", "return-codes-upload", "--vote-day", day, str(document)]
    )
    assert uploaded.exit_code == 0, uploaded.output
    again = runner.invoke(
        args=["credentials", "return-codes-upload", "--vote-day", day, str(document)]
    )
    assert again.exit_code != 0 and "nothing stored" in again.output
    open_vote_day(db.session, day, signing=log_signing(app))
    size = reads.log_size(db.session, day)
    records = [e.record for e in reads.get_entries(db.session, day, 0, size)]
    logged = [v for r in records if r["type"] == "return-code-keys" for v in r["voters"]]
    registered = {derive_credential(c, day).public_key.hex() for c in opened.codes[WINTERTHUR]}
    assert {v["credential"] for v in logged} == registered
    assert sum(r["type"] == "return-code-lookup" for r in records) == 1


def test_an_upload_that_is_not_json_stores_nothing(
    app: Flask,
    runner: FlaskCliRunner,
    prepare_vote_day: Callable[..., OpenVoteDay],
    tmp_path: Path,
) -> None:
    opened = prepare_vote_day(open_it=False, voters={WINTERTHUR: 1})
    broken = tmp_path / "return-codes.json"
    broken.write_text("{not json")
    args = ["credentials", "return-codes-upload", "--vote-day", opened.vote_day, str(broken)]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "nothing stored" in result.output
