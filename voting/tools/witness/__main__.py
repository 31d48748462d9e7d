"""An Urna witness: watches a vote day's log and cosigns each checkpoint only if the log
grew append-only since the last one it saw (docs/witnesses.md).

init makes the witness's keys, register asks the log to put it on its roster (an
administrator approves), follow polls the log and cosigns, serve answers C2SP
tlog-witness add-checkpoint requests. Exit status 3 when the log showed a
rollback or a fork (the evidence is kept in the state directory).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from crypto.errors import InvalidEncoding
from crypto.note import VerifierKey
from crypto.witness import check_key_name
from voting.tools.witness.core import Misbehaviour
from voting.tools.witness.core import Refusal
from voting.tools.witness.core import Witness
from voting.tools.witness.follow import FollowError
from voting.tools.witness.follow import LogClient
from voting.tools.witness.follow import RequestsTransport
from voting.tools.witness.follow import Transport
from voting.tools.witness.follow import follow
from voting.tools.witness.follow import follow_once
from voting.tools.witness.server import make_server
from voting.tools.witness.state import StateError
from voting.tools.witness.state import WitnessDirectory
from voting.tools.witness.tiles import TiledLogClient

EXAMPLES = """\
Example (a witness of the demo's log; LOG_KEY as the authority publishes it,
e.g. from flask --app app log key 2026-06-14-ch):
  python -m voting.witness init --state witness/ --name bern.ch/urna-witness
  python -m voting.witness register --state witness/ \\
      --log http://127.0.0.1:5000/api/logs/2026-06-14-ch
  python -m voting.witness follow --state witness/ \\
      --log http://127.0.0.1:5000/api/logs/2026-06-14-ch --log-key "$LOG_KEY"
"""

EXIT_ERROR = 1
EXIT_MISBEHAVIOUR = 3
"""exit status when the log showed a rollback or a fork (evidence kept)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m voting.witness",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create the witness's keys and state")
    init.add_argument("--state", required=True, help="the witness's directory")
    init.add_argument("--name", required=True, help="key name, e.g. bern.ch/urna-witness")
    register = commands.add_parser(
        "register", help="ask a log to put this witness on its roster (an official approves)"
    )
    register.add_argument("--state", required=True, help="the witness's directory (from init)")
    register.add_argument(
        "--log", required=True, help="the log's API, e.g. https://host/api/logs/<vote day>"
    )
    fol = commands.add_parser("follow", help="poll a log and cosign its checkpoints")
    fol.add_argument("--state", required=True, help="the witness's directory (from init)")
    fol.add_argument(
        "--log", required=True, help="the log's API, e.g. https://host/api/logs/<vote day>"
    )
    fol.add_argument("--log-key", required=True, help="the log's verifier key")
    fol.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    fol.add_argument("--once", action="store_true", help="one round, then exit")
    fol.add_argument(
        "--tiles",
        metavar="URL|DIR",
        help="read the checkpoint and proofs from the log's C2SP tlog-tiles (a static "
        "server, mirror or CDN); cosignatures still go to --log",
    )
    serve = commands.add_parser("serve", help="answer tlog-witness add-checkpoint requests")
    serve.add_argument("--state", required=True, help="the witness's directory (from init)")
    serve.add_argument("--port", type=int, required=True, help="the TCP port to listen on")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--log-key", action="append", default=[], help="a trusted log key")
    return parser


def _witness(state: str, log_keys: Sequence[str]) -> Witness:
    keys = [VerifierKey.parse(k) for k in log_keys]
    return Witness(WitnessDirectory(state), {k.name: k for k in keys})


def _run(args: argparse.Namespace, transport: Transport) -> int:
    if args.command == "init":
        keys = WitnessDirectory(args.state).initialise(check_key_name(args.name))
        print(json.dumps(keys.public(), indent=1))
        return 0
    if args.command == "register":
        keys = WitnessDirectory(args.state).load_keys()
        client = LogClient(args.log, transport)
        answer = client.register(keys.registration(client.log_name))
        print(json.dumps(answer, indent=1))
        return 0
    if args.command == "follow":
        witness = _witness(args.state, [args.log_key])
        log_key = VerifierKey.parse(args.log_key)
        client = (
            TiledLogClient(args.log, transport, args.tiles, log_key)
            if args.tiles
            else LogClient(args.log, transport)
        )
        if args.once:
            result = follow_once(witness, client, log_key)
            print(
                f"{log_key.name}: size {result.size}, cosigned"
                if result.cosigned
                else f"{log_key.name}: size {result.size}, nothing new"
            )
            return 0
        follow(
            witness,
            client,
            log_key,
            interval=args.interval,
            report=lambda line: print(line, flush=True),
        )
        return 0
    witness = _witness(args.state, args.log_key)
    server = make_server(witness, args.host, args.port)
    print(f"witness {witness.keys.name} listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()
    return 0


def main(argv: Sequence[str] | None = None, transport: Transport | None = None) -> int:
    """Run one command; returns the exit status (3 = the log misbehaved)."""
    args = _parser().parse_args(argv)
    try:
        return _run(args, transport or RequestsTransport())
    except Misbehaviour as exc:
        print(f"REFUSED, the log misbehaved: {exc}", file=sys.stderr)
        return EXIT_MISBEHAVIOUR
    except (StateError, FollowError, Refusal, InvalidEncoding) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
