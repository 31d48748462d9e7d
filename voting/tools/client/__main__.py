"""``python -m voting.client``: vote, audit and check receipts from the command line.

    python -m voting.client vote --server URL --vote-day ID --code CODE \\
        --answer federal-1=yes --answer canton-zh-1=no --receipt-out receipt.json
    python -m voting.client check --server URL --receipt receipt.json [--log-key KEY]

Exit status: 0 on success, 1 when the server refuses or a check fails, 2 on
unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import requests

from crypto.errors import CryptoError
from crypto.receipt import Receipt
from voting.tools.client import ClientError
from voting.tools.client import VotingClient
from voting.tools.receipt import standing_text


def _answers(items: Sequence[str]) -> dict[str, list[str]]:
    """``q=opt`` pairs (``q=blank`` or ``q=`` for none; repeat ``q`` for several)."""
    answers: dict[str, list[str]] = {}
    for item in items:
        question, sep, option = item.partition("=")
        if not sep or not question:
            raise ValueError(f"an answer is QUESTION=OPTION, got {item!r}")
        chosen = answers.setdefault(question, [])
        if option not in ("", "blank"):
            chosen.append(option)
    return answers


def _vote(args: argparse.Namespace) -> int:
    client = VotingClient(args.server)
    purpose = "audit" if args.audit else "cast"  # signed only for what the voter chose
    ballot, secrets = client.prepare(
        args.vote_day, args.code, _answers(args.answer), purpose=purpose
    )
    if args.audit:
        receipt = client.audit(args.vote_day, ballot, secrets)
        print(f"audited and spoiled: tracking code {receipt.to_json()['tracking_code']}")
        return 0
    receipt = client.cast(args.vote_day, ballot)
    data = receipt.to_json()
    if args.receipt_out:
        Path(args.receipt_out).write_text(json.dumps(data, indent=2) + "\n")
    print(f"cast: tracking code {data['tracking_code']} (leaf {data['index']})")
    return 0


def _check(args: argparse.Namespace) -> int:
    client = VotingClient(args.server)
    receipt = Receipt.from_json(json.loads(Path(args.receipt).read_text()))
    if receipt.checkpoint is None:
        receipt = client.latest_receipt(receipt)
    checkpoint = client.check_receipt(receipt, verifier_key=args.log_key)
    print(f"ok: leaf {receipt.index} is in the log of size {checkpoint.size}")
    print(standing_text(client.ballot_standing(receipt)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voting.client", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    vote = sub.add_parser("vote", help="encrypt, sign and cast a ballot")
    vote.add_argument("--server", required=True)
    vote.add_argument("--vote-day", required=True)
    vote.add_argument("--code", required=True, help="the code on the voting card")
    vote.add_argument("--answer", action="append", default=[], metavar="QUESTION=OPTION")
    vote.add_argument("--receipt-out", help="write the receipt to this file")
    vote.add_argument("--audit", action="store_true", help="audit (spoil) instead of casting")
    vote.set_defaults(run=_vote)
    check = sub.add_parser("check", help="check a receipt against the log")
    check.add_argument("--server", required=True)
    check.add_argument("--receipt", required=True)
    check.add_argument("--log-key", help="the log's verifier key, from a source you trust")
    check.set_defaults(run=_check)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ClientError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except CryptoError as exc:
        print(f"check failed: {exc}", file=sys.stderr)
        return 1
    except (ValueError, OSError, requests.RequestException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
