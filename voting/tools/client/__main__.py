"""Vote, audit and check receipts from the command line, as a citizen's browser does.

The voting code never leaves this computer: the ballot is encrypted, proved and
signed here, then cast (or audited). Exit status: 0 on success, 1 when the server
refuses or a check fails, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import requests

from crypto.credentials import derive_credential
from crypto.errors import CryptoError
from crypto.receipt import Receipt
from voting.tools.client import ClientError
from voting.tools.client import VotingClient
from voting.tools.client.questions import format_questions
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
    answers = _answers(args.answer)
    ballot, secrets = client.prepare(args.vote_day, args.code, answers, purpose=purpose)
    unanswered = [a.question_id for a in ballot.answers if a.question_id not in answers]
    if unanswered:
        print(
            f"note: not answered, so left blank: {', '.join(unanswered)} "
            "(QUESTION=blank says so; the questions command lists them)",
            file=sys.stderr,
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


def _questions(args: argparse.Namespace) -> int:
    client = VotingClient(args.site)
    manifest = client.manifest(args.vote_day)
    only = None
    if args.code:
        form = client.ballot_form(args.vote_day, derive_credential(args.code, args.vote_day))
        only = [q.question_id for q in form.questions]
    print(format_questions(manifest, args.lang, only))
    return 0


EXAMPLES = """\
Examples (the demo: flask --app app demo, then a code it printed):
  python -m voting.client questions http://127.0.0.1:5000 2026-06-14-ch --lang de
  python -m voting.client vote --server http://127.0.0.1:5000 --vote-day 2026-06-14-ch \\
      --code CODE --answer bike-paths=yes --answer housing=no \\
      --answer housing-counter=yes --answer housing-tiebreak=counter \\
      --receipt-out receipt.json
  python -m voting.client check --server http://127.0.0.1:5000 --receipt receipt.json
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m voting.client",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    questions = sub.add_parser(
        "questions",
        help="list a vote day's questions and options (what --answer takes)",
        description="List the questions of an open vote day and their options, in your "
        "language when the vote day has it.",
        epilog="Example:\n  python -m voting.client questions http://127.0.0.1:5000 "
        "2026-06-14-ch --lang fr",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    questions.add_argument("site", help="the voting site, e.g. https://vote.example.ch")
    questions.add_argument("vote_day", metavar="vote-day", help="the vote day id")
    questions.add_argument(
        "--lang",
        default="en",
        choices=("de", "fr", "it", "rm", "en", "ko"),
        help="the language of the titles (default en; others shown where it is missing)",
    )
    questions.add_argument(
        "--code", help="your voting code: list only the questions on your ballot"
    )
    questions.set_defaults(run=_questions)
    vote = sub.add_parser(
        "vote",
        help="encrypt, sign and cast (or audit) a ballot",
        description="Encrypt, prove and sign your answers here, then cast the ballot "
        "(or, with --audit, have it opened and spoiled to check the encryption).",
        epilog="Example:\n  python -m voting.client vote --server http://127.0.0.1:5000 "
        "--vote-day 2026-06-14-ch --code CODE --answer bike-paths=yes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    vote.add_argument(
        "--server", required=True, help="the voting site, e.g. https://vote.example.ch"
    )
    vote.add_argument("--vote-day", required=True, help="the vote day id, e.g. 2026-06-14-ch")
    vote.add_argument("--code", required=True, help="the code on the voting card")
    vote.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="QUESTION=OPTION",
        help="one answer (repeat it for each question; QUESTION=blank for none; a question "
        "not answered is left blank); the ids are listed by the questions command",
    )
    vote.add_argument("--receipt-out", help="write the receipt to this file")
    vote.add_argument("--audit", action="store_true", help="audit (spoil) instead of casting")
    vote.set_defaults(run=_vote)
    check = sub.add_parser(
        "check",
        help="check a receipt against the log",
        description="Check that the ballot of a receipt is in the log, with a proof that the "
        "log only grew since, and whether it counts.",
        epilog="Example:\n  python -m voting.client check --server http://127.0.0.1:5000 "
        "--receipt receipt.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "--server", required=True, help="the voting site, e.g. https://vote.example.ch"
    )
    check.add_argument("--receipt", required=True, help="the receipt file that vote wrote")
    check.add_argument("--log-key", help="the log's verifier key, from a source you trust")
    check.set_defaults(run=_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
