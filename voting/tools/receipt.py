"""Check a ballot receipt against a server's latest checkpoint.

    python -m voting.receipt check RECEIPT.json --server https://urna.example [--key VKEY]

The receipt (see :mod:`crypto.receipt`) is checked against the log's latest
signed checkpoint: the leaf's inclusion in the receipt's own checkpoint, then
a consistency proof from that checkpoint to the latest. Give the log's
verifier key with ``--key`` as published independently of the server (for
example in the official vote-day publication); without it the key is fetched
from the same server, which proves much less, and the command says so.

It then says whether the ballot is the one counted for its voting code, or
that the tracking code belongs to an audited ballot, which is never counted
(as the server's index says; ``python -m voting.verify`` proves it from the
record).

Exit status: 0 the receipt checks out, 1 it does not, 2 the server could
not be asked.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import requests

from crypto.errors import CryptoError
from crypto.note import Checkpoint
from crypto.note import VerifierKey
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.receipt import Receipt
from crypto.receipt import tracking_code
from crypto.receipt import verify_receipt

TIMEOUT_S = 20


class ServerError(Exception):
    """The server could not be reached or answered something unusable."""


@dataclass(frozen=True)
class CheckResult:
    receipt: Receipt
    checkpoint: Checkpoint
    key: VerifierKey
    key_from_server: bool
    standing: dict[str, Any] | None = None
    """the server's ``ballot`` field: cast or audited, counted or not (None: not a ballot)"""


class LogClient:
    """The read-only log API of one server (docs/api.md, "Log")."""

    def __init__(self, server: str, log: str, http: Any = requests) -> None:
        self.base = f"{server.rstrip('/')}/api/logs/{quote(log, safe='')}"
        self.http = http

    def _get(self, path: str, params: dict[str, int] | None = None) -> requests.Response:
        try:
            response = self.http.get(f"{self.base}/{path}", params=params, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise ServerError(f"cannot reach {self.base}: {exc}") from exc
        if response.status_code != 200:
            raise ServerError(f"{path}: HTTP {response.status_code}: {response.text[:300]}")
        return response

    def _json(self, path: str, params: dict[str, int] | None = None) -> dict[str, Any]:
        try:
            body = self._get(path, params).json()
        except ValueError as exc:
            raise ServerError(f"{path}: the answer is not JSON") from exc
        if not isinstance(body, dict):
            raise ServerError(f"{path}: the answer is not a JSON object")
        return body

    def verifier_key(self) -> str:
        return str(self._json("key").get("verifier_key"))

    def standing(self, server: str, receipt: Receipt) -> dict[str, Any] | None:
        """The casting API's word on the receipt's ballot (docs/api.md, "Receipts")."""
        url = (
            f"{server.rstrip('/')}/api/vote-days/{quote(receipt.log, safe='')}"
            f"/receipts/{receipt.leaf_hash.hex()}"
        )
        try:
            response = self.http.get(url, timeout=TIMEOUT_S)
            body = response.json() if response.status_code == 200 else {}
        except (requests.RequestException, ValueError) as exc:
            raise ServerError(f"cannot ask {url}: {exc}") from exc
        standing = body.get("ballot") if isinstance(body, dict) else None
        return standing if isinstance(standing, dict) else None

    def checkpoint(self) -> str:
        return self._get("checkpoint").text

    def proof(self, path: str, params: dict[str, int]) -> list[bytes]:
        proof = self._json(path, params).get("proof")
        try:
            return [bytes.fromhex(item) for item in proof]  # type: ignore[union-attr]
        except (TypeError, ValueError) as exc:
            raise ServerError(f"{path}: the proof is not a list of hex hashes") from exc


def _size_of(note: str) -> int:
    return parse_checkpoint(parse_note(note).text).size


def check_receipt(
    receipt_json: dict[str, Any], server: str, *, key: str | None = None, http: Any = requests
) -> CheckResult:
    """Check a receipt against the server's latest checkpoint.

    Raises:
        CryptoError: the receipt does not check out (malformed, not in the
            log, or the log forked).
        ServerError: the server could not be asked.
    """
    receipt = Receipt.from_json(receipt_json)
    client = LogClient(server, receipt.log, http)
    verifier = VerifierKey.parse(key if key is not None else client.verifier_key())
    latest = client.checkpoint()
    new_size = _size_of(latest)
    if receipt.checkpoint is None:
        params = {"index": receipt.index, "size": new_size}
        checkpoint = verify_receipt(
            receipt, latest, verifier, inclusion_proof=client.proof("proof/inclusion", params)
        )
    else:
        old_size = _size_of(receipt.checkpoint)
        consistency: list[bytes] = []
        if new_size > old_size:
            params = {"old": old_size, "new": new_size}
            consistency = client.proof("proof/consistency", params)
        checkpoint = verify_receipt(receipt, latest, verifier, consistency_proof=consistency)
    standing = client.standing(server, receipt)
    return CheckResult(receipt, checkpoint, verifier, key is None, standing)


def standing_text(standing: dict[str, Any] | None) -> str:
    """What the receipt's ballot is for its voter, in one plain sentence."""
    if standing is None:
        return "this entry is not a ballot"
    if standing.get("kind") == "spoiled":
        return (
            "this tracking code belongs to an AUDITED ballot: it was opened for checking and "
            "is NOT counted; the ballot you cast afterwards is the one that counts"
        )
    policy = standing.get("revote_policy")
    if standing.get("counted"):
        return f"this is the ballot counted for its voting code (re-vote rule: {policy})"
    return (
        f"this ballot is NOT the one counted for its voting code: entry "
        f"{standing.get('counted_index')} is (re-vote rule: {policy})"
    )


@click.group()
def cli() -> None:
    """Urna ballot receipts: check that your ballot is in the log and counts.

    A receipt (the JSON file the voting page or python -m voting.client vote
    wrote) names your ballot's entry in the vote day's log. check fetches the
    latest signed checkpoint and proves that the entry is in it and that the log
    only grew since your receipt; pass the log's key as the authority published
    it, otherwise the server's own is used (and you are warned).

    \b
    Example:
      python -m voting.receipt check receipt.json --server http://127.0.0.1:5000 \\
          --key "$LOG_KEY"
    """


@cli.command("check")
@click.argument("receipt_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--server", required=True, help="Base URL of the Urna server.")
@click.option("--key", default=None, help="The log's verifier key, as published.")
def check_command(receipt_file: Path, server: str, key: str | None) -> None:
    """Check RECEIPT_FILE against the server's latest checkpoint."""
    try:
        receipt_json = json.loads(receipt_file.read_text())
        result = check_receipt(receipt_json, server, key=key)
    except ServerError as exc:
        click.echo(f"cannot check: {exc}", err=True)
        sys.exit(2)
    except (CryptoError, ValueError) as exc:
        click.echo(f"RECEIPT DOES NOT CHECK OUT: {exc}", err=True)
        sys.exit(1)
    receipt = result.receipt
    click.echo(f"OK: entry {receipt.index} of log {receipt.log!r}")
    click.echo(f"tracking code {tracking_code(receipt.leaf_hash)}")
    click.echo(f"is in the log of {result.checkpoint.size} entries signed by {result.key}")
    click.echo(standing_text(result.standing))
    if result.key_from_server:
        click.echo(
            "warning: the key was fetched from the same server; "
            "compare it with the officially published key or pass --key",
            err=True,
        )


if __name__ == "__main__":
    cli()
