"""A return-code authority: checks each ballot's partial codes itself and answers
each voter's choice codes once and at most 5 confirmations (docs/return-codes.md).

init makes the authority's secret and signing key, setup answers the
registrar's encrypted setup request, serve answers the server over HTTP,
status prints how many credentials were answered and refused and the answer
log's head.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from crypto.group import Point
from voting.tools.returncodes.core import Authority
from voting.tools.returncodes.server import make_server
from voting.tools.returncodes.setup import SetupRefused
from voting.tools.returncodes.setup import run_setup
from voting.tools.returncodes.state import AuthorityState
from voting.tools.returncodes.state import StateError
from voting.tools.returncodes.state import create
from voting.tools.returncodes.state import load_keys
from voting.tools.returncodes.state import locked

EXAMPLES = """\
Example (the manifest hash and election key as the vote day's log publishes them):
  python -m voting.returncodes init --state rca1/ --name rca-1
  python -m voting.returncodes setup --state rca1/ --request setup-request.jsonl \\
      --answer rca-1-answer.jsonl --manifest-hash "$MANIFEST_HASH" --election-key "$KEY"
  python -m voting.returncodes serve --state rca1/ --port 8601
  python -m voting.returncodes status --state rca1/
"""

EXIT_ERROR = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m voting.returncodes",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create the authority's secret and signing key")
    init.add_argument("--state", required=True, help="the authority's directory (created)")
    init.add_argument("--name", required=True, help="the authority's name, e.g. rca-1")
    setup = commands.add_parser("setup", help="answer the registrar's setup request")
    setup.add_argument("--state", required=True, help="the authority's directory (from init)")
    setup.add_argument("--request", required=True, help="the registrar's request (JSON Lines)")
    setup.add_argument("--answer", required=True, help="where to write the signed answer")
    setup.add_argument(
        "--manifest-hash", required=True, help="the vote day's manifest hash, from its log"
    )
    setup.add_argument(
        "--election-key", required=True, help="the vote day's election key, from its log"
    )
    serve = commands.add_parser("serve", help="answer choice-code and confirmation requests")
    serve.add_argument("--state", required=True, help="the authority's directory (after setup)")
    serve.add_argument("--port", type=int, required=True, help="the TCP port to listen on")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    status = commands.add_parser("status", help="print counts of answers and refusals")
    status.add_argument("--state", required=True, help="the authority's directory")
    return parser


def _name(text: str) -> str:
    if not 1 <= len(text) <= 64 or not text.isascii() or not text.isprintable() or " " in text:
        raise InvalidEncoding("an authority's name is 1 to 64 printable ASCII characters, no space")
    return text


def _run(args: argparse.Namespace) -> int:
    directory = Path(args.state)
    if args.command == "init":
        keys = create(directory, _name(args.name), random=secrets.token_bytes(64))
        print(json.dumps(keys.identity(), indent=1))
        return 0
    if args.command == "status":
        state = AuthorityState(directory, readonly=True)
        print(json.dumps({**load_keys(directory).identity(), **state.status()}, indent=1))
        return 0
    keys = load_keys(directory)
    with locked(directory):
        state = AuthorityState(directory)
        if args.command == "setup":
            count = run_setup(
                keys,
                state,
                Path(args.request),
                Path(args.answer),
                manifest_hash=unhex(args.manifest_hash, 32, what="--manifest-hash"),
                election_key=Point.from_hex(args.election_key),
            )
            print(f"{keys.name}: answered the setup of {count} voters into {args.answer}")
            return 0
        restored = state.recover()
        if restored:
            print(f"{keys.name}: restored {restored} logged answers after a crash", flush=True)
        server = make_server(Authority(keys, state), args.host, args.port)
        print(f"authority {keys.name} listening on {args.host}:{args.port}", flush=True)
        server.serve_forever()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (1 = refused, with the reason on stderr)."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (StateError, SetupRefused, InvalidEncoding, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
