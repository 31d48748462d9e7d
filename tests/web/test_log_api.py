"""The log's JSON API (docs/api.md, "Log") and the receipt-checking CLI against a live server."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from crypto import merkle
from crypto.note import VerifierKey
from crypto.note import verify_checkpoint
from crypto.receipt import tracking_code
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.tools.receipt import check_receipt
from voting.tools.receipt import cli

NAME = "2026-09-27-ch"
BASE = f"/api/logs/{NAME}"


@pytest.fixture()
def log(app: Flask) -> list[bytes]:
    """A log of 20 entries; returns their leaf hashes."""
    bulletin.create_log(db.session, NAME, origin=log_signing(app).origin_for(NAME))
    records = [{"type": "ballot", "n": i} for i in range(20)]
    return [a.leaf_hash for a in bulletin.append_many(db.session, NAME, records)]


def _key(client: FlaskClient) -> VerifierKey:
    return VerifierKey.parse(client.get(f"{BASE}/key").get_json()["verifier_key"])


def test_checkpoint_and_key(client: FlaskClient, log: list[bytes]) -> None:
    response = client.get(f"{BASE}/checkpoint")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    key = _key(client)
    assert key.name == f"urna.local/log/{NAME}"
    checkpoint = verify_checkpoint(response.get_data(as_text=True), key)
    assert (checkpoint.size, checkpoint.root_hash) == (20, merkle.root_hash(log))


def test_entries(client: FlaskClient, log: list[bytes]) -> None:
    page = client.get(f"{BASE}/entries?start=5&end=8").get_json()
    assert [e["index"] for e in page["entries"]] == [5, 6, 7]
    entry = page["entries"][0]
    assert entry["leaf_hash"] == log[5].hex()
    assert merkle.leaf_hash(entry["data"].encode()) == log[5]
    assert json.loads(entry["data"]) == {"n": 5, "type": "ballot"}
    assert len(client.get(f"{BASE}/entries?start=15").get_json()["entries"]) == 5
    one = client.get(f"{BASE}/entries/19").get_json()
    assert (one["index"], one["leaf_hash"]) == (19, log[19].hex())


def test_inclusion_proofs_by_index_and_by_leaf_hash(client: FlaskClient, log: list[bytes]) -> None:
    client.get(f"{BASE}/checkpoint")  # the default size is the latest checkpoint's
    by_index = client.get(f"{BASE}/proof/inclusion?index=3&size=11").get_json()
    proof = [bytes.fromhex(h) for h in by_index["proof"]]
    merkle.verify_inclusion(log[3], 3, 11, proof, merkle.root_hash(log[:11]))
    assert by_index["root_hash"] == merkle.root_hash(log[:11]).hex()
    by_hash = client.get(f"{BASE}/proof/inclusion?leaf_hash={log[3].hex()}").get_json()
    assert (by_hash["index"], by_hash["size"]) == (3, 20)
    proof = [bytes.fromhex(h) for h in by_hash["proof"]]
    merkle.verify_inclusion(log[3], 3, 20, proof, merkle.root_hash(log))


def test_consistency_proof(client: FlaskClient, log: list[bytes]) -> None:
    body = client.get(f"{BASE}/proof/consistency?old=7&new=20").get_json()
    proof = [bytes.fromhex(h) for h in body["proof"]]
    merkle.verify_consistency(7, 20, proof, merkle.root_hash(log[:7]), merkle.root_hash(log))
    assert body["old_root_hash"] == merkle.root_hash(log[:7]).hex()


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("entries?start=5&end=21", 400, "beyond the log's size 20"),
        ("entries?start=9&end=3", 400, "start <= end"),
        ("entries?start=-1&end=3", 400, "non-negative decimal"),
        ("entries?end=3", 400, "'start' is required"),
        ("entries?start=0&end=" + "9" * 30, 400, "non-negative decimal"),
        ("entries/20", 404, "no entry 20"),
        ("entries/-1", 400, "non-negative decimal"),
        ("entries/x1", 400, "non-negative decimal"),
        ("proof/inclusion?index=3&size=21", 400, "beyond the log's size"),
        ("proof/inclusion?index=3&size=-2", 400, "non-negative decimal"),
        ("proof/inclusion?index=3&size=3", 400, "not below size"),
        ("proof/inclusion?size=3", 400, "'index' is required"),
        ("proof/inclusion?leaf_hash=abc&size=3", 400, "64 hex digits"),
        ("proof/inclusion?leaf_hash=" + "AB" * 32 + "&size=3", 400, "lowercase"),
        ("proof/inclusion?leaf_hash=" + "00" * 32 + "&size=3", 404, "no entry with leaf hash"),
        ("proof/inclusion?leaf_hash=" + "00" * 32 + "&index=1", 400, "not both"),
        ("proof/consistency?old=8&new=5", 400, "larger than new size"),
        ("proof/consistency?old=8&new=21", 400, "beyond"),
        ("proof/consistency?old=1.5&new=2", 400, "non-negative decimal"),
    ],
)
def test_bad_input_is_a_json_4xx(
    client: FlaskClient, log: list[bytes], path: str, status: int, message: str
) -> None:
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == status
    assert message in response.get_json()["message"]


def test_page_size_is_bounded(client: FlaskClient, log: list[bytes]) -> None:
    bulletin.append_many(db.session, NAME, [{"type": "x"}] * (bulletin.MAX_PAGE + 5))
    response = client.get(f"{BASE}/entries?start=0&end={bulletin.MAX_PAGE + 1}")
    assert response.status_code == 400
    assert f"at most {bulletin.MAX_PAGE}" in response.get_json()["message"]
    page = client.get(f"{BASE}/entries?start=2").get_json()
    assert page["end"] == 2 + bulletin.MAX_PAGE


@pytest.mark.parametrize(
    "path",
    ["checkpoint", "key", "entries?start=0", "entries/0", "proof/inclusion?index=0&size=1"],
)
def test_unknown_log_is_a_json_404(client: FlaskClient, path: str) -> None:
    response = client.get(f"/api/logs/nope/{path}")
    assert response.status_code == 404
    assert "nope" in response.get_json()["message"]


def test_proof_defaults_need_a_checkpoint(client: FlaskClient, log: list[bytes]) -> None:
    response = client.get(f"{BASE}/proof/consistency?old=3")
    assert response.status_code == 404
    assert "no checkpoint" in response.get_json()["message"]


# --- the receipt CLI against a live server --------------------------------------


@pytest.fixture()
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def _receipt_file(tmp_path: Path, receipt: dict) -> Path:
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    return path


def test_cli_checks_a_receipt_against_a_later_checkpoint(
    app: Flask, client: FlaskClient, log: list[bytes], live_server: str, tmp_path: Path
) -> None:
    client.get(f"{BASE}/checkpoint")  # checkpoint at 20
    receipt = bulletin.receipt_for(db.session, NAME, 12).to_json()
    bulletin.append_many(db.session, NAME, [{"type": "ballot", "n": i} for i in range(20, 33)])
    bulletin.issue_checkpoint(db.session, NAME, log_signing(app), interval=dt.timedelta(0))
    key = str(_key(client))
    path = _receipt_file(tmp_path, receipt)
    result = CliRunner().invoke(cli, ["check", str(path), "--server", live_server, "--key", key])
    assert result.exit_code == 0, result.output
    assert "OK: entry 12" in result.output and "log of 33 entries" in result.output
    assert receipt["tracking_code"] in result.output


def test_cli_rejects_a_receipt_the_log_does_not_hold(
    client: FlaskClient, log: list[bytes], live_server: str, tmp_path: Path
) -> None:
    client.get(f"{BASE}/checkpoint")
    receipt = bulletin.receipt_for(db.session, NAME, 12).to_json()
    forged = merkle.leaf_hash(b'{"type":"ballot","n":"forged"}')
    receipt["leaf_hash"] = forged.hex()
    receipt["tracking_code"] = tracking_code(forged)
    path = _receipt_file(tmp_path, receipt)
    result = CliRunner().invoke(cli, ["check", str(path), "--server", live_server])
    assert result.exit_code == 1
    assert "DOES NOT CHECK OUT" in result.output


def test_receipt_without_checkpoint_is_checked_by_inclusion(
    app: Flask, client: FlaskClient, log: list[bytes], live_server: str
) -> None:
    receipt = bulletin.receipt_for(db.session, NAME, 4).to_json()
    assert receipt["checkpoint"] is None
    result = check_receipt(receipt, live_server)
    assert result.checkpoint.size == 20 and result.key_from_server


def test_cli_reports_an_unreachable_server(tmp_path: Path, log: list[bytes]) -> None:
    receipt = bulletin.receipt_for(db.session, NAME, 4).to_json()
    path = _receipt_file(tmp_path, receipt)
    result = CliRunner().invoke(cli, ["check", str(path), "--server", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "cannot check" in result.output
