"""The clerk's tool: an Ed25519 key kept offline, signed counts, and the upload.

    python -m voting.clerk keygen --out clerk.key
    python -m voting.clerk public-key --key clerk.key
    python -m voting.clerk sign COUNTS.json --key clerk.key [--out SIGNED.json]
    python -m voting.clerk register-key --server URL --vote-day ID --unit municipality:230 \\
        --key clerk.key --username NAME
    python -m voting.clerk upload SIGNED.json --server URL --username NAME

``register-key`` is accepted only before the vote day opens: opening freezes
the clerks' keys, and the verifier refuses counts signed by a key logged
later (docs/record.md, "clerk-key"). ``keygen`` and ``sign`` need no
network: sign on an offline machine and carry the signed file over. The
counts file is the ``channel-counts`` record of docs/record.md without its
signature (``type`` and ``replaces`` may be left out: they default to
``"channel-counts"`` and ``null``). The uploads log in as the official
(password asked, or ``URNA_PASSWORD``) with the session and CSRF token of the
web login, as the browser does.

Exit status: 0 success, 1 the server refused, 2 unusable input.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
from nacl.signing import SigningKey

from crypto.clerk_signature import new_clerk_key
from crypto.clerk_signature import sign_counts
from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from voting.tools.official_http import OfficialSession
from voting.tools.official_http import Refused
from voting.tools.official_http import ServerError

KEY_FORMAT = "urna-clerk-key/1"


def write_key(path: Path, key: SigningKey) -> None:
    """Write the key file (mode 0600); refuse to overwrite."""
    body = {
        "format": KEY_FORMAT,
        "secret": bytes(key).hex(),
        "public_key": bytes(key.verify_key).hex(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(body, out, indent=2)
        out.write("\n")


def read_key(path: Path) -> SigningKey:
    """Read a key file written by :func:`write_key`.

    Raises:
        click.UsageError: not a clerk key file.
    """
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("format") != KEY_FORMAT:
            raise InvalidEncoding(f"format is not {KEY_FORMAT}")
        key = SigningKey(unhex(body["secret"], 32, what="secret"))
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise click.UsageError(f"{path} is not a clerk key file: {exc}") from exc
    if bytes(key.verify_key).hex() != body.get("public_key"):
        raise click.UsageError(f"{path}: the public key does not match the secret")
    return key


def prepare_counts(document: Any) -> dict[str, Any]:
    """The record to sign: ``type`` and ``replaces`` filled in when left out."""
    if not isinstance(document, dict):
        raise click.UsageError("the counts file holds one JSON object")
    return {"type": "channel-counts", "replaces": None, **document}


KEY_HELP = "The clerk's key file (from keygen)."
SERVER_HELP = "The server's address, e.g. https://vote.example.ch."
USER_HELP = "Your official user name (the clerk of the unit)."


@click.group()
def cli() -> None:
    """Urna clerk tool: keys, signed counts, uploads.

    A clerk enters the postal or polling-station counts of a unit. The counts are
    signed here with the clerk's own Ed25519 key, whose public half was logged
    before the vote day opened, so the server cannot alter them (docs/record.md,
    channel-counts). Uploads log in as the clerk (password from the prompt or
    URNA_PASSWORD).

    \b
    Example (a clerk of Bern on the demo vote day):
      python -m voting.clerk keygen --out clerk.key
      python -m voting.clerk register-key --server http://127.0.0.1:5000 \\
          --vote-day 2026-06-14-ch --unit municipality:351 --key clerk.key --username clerk-bern
      python -m voting.clerk sign counts.json --key clerk.key --out signed.json
      python -m voting.clerk upload signed.json --server http://127.0.0.1:5000 \\
          --username clerk-bern
    """


@cli.command()
@click.option(
    "--out", "out", type=click.Path(path_type=Path), required=True, help="The new key file."
)
def keygen(out: Path) -> None:
    """Make a new Ed25519 key and write it to OUT (never overwritten)."""
    try:
        write_key(out, new_clerk_key())
    except FileExistsError as exc:
        raise click.UsageError(f"{out} exists; choose another file") from exc
    click.echo(bytes(read_key(out).verify_key).hex())


@cli.command("public-key")
@click.option("--key", "key_path", type=click.Path(path_type=Path), required=True, help=KEY_HELP)
def public_key(key_path: Path) -> None:
    """Print the public key (hex) to register."""
    click.echo(bytes(read_key(key_path).verify_key).hex())


@cli.command()
@click.argument("counts", type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path), required=True, help=KEY_HELP)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the signed record here (default: print it).",
)
def sign(counts: Path, key_path: Path, out: Path | None) -> None:
    """Sign the counts in COUNTS (JSON) with the key; print or write the signed record."""
    try:
        document = json.loads(counts.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"cannot read {counts}: {exc}") from exc
    try:
        signed = sign_counts(prepare_counts(document), read_key(key_path))
    except InvalidEncoding as exc:
        raise click.UsageError(f"{counts}: {exc}") from exc
    text = json.dumps(signed, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def post_json(server: str, username: str, path: str, body: Any) -> dict[str, Any]:
    """POST ``body`` as the logged-in official; exit 1 with the server's message on refusal."""
    password = os.environ.get("URNA_PASSWORD") or click.prompt("Password", hide_input=True)
    http = OfficialSession(server)
    try:
        http.log_in(username, password)
        return http.post_json(path, body)
    except Refused as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except ServerError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("register-key")
@click.option("--server", required=True, help=SERVER_HELP)
@click.option("--vote-day", "vote_day", required=True, help="The vote day id, e.g. 2026-06-14-ch.")
@click.option("--unit", required=True, help="level:code, e.g. municipality:230")
@click.option("--key", "key_path", type=click.Path(path_type=Path), required=True, help=KEY_HELP)
@click.option("--username", required=True, help=USER_HELP)
def register_key(server: str, vote_day: str, unit: str, key_path: Path, username: str) -> None:
    """Register the key's public half for UNIT on the vote day's log (before opening)."""
    body = {"unit": unit, "public_key": bytes(read_key(key_path).verify_key).hex()}
    reply = post_json(server.rstrip("/"), username, f"/api/vote-days/{vote_day}/clerk-keys", body)
    click.echo(json.dumps(reply))


@cli.command()
@click.argument("signed", type=click.Path(path_type=Path))
@click.option("--server", required=True, help=SERVER_HELP)
@click.option("--username", required=True, help=USER_HELP)
def upload(signed: Path, server: str, username: str) -> None:
    """Upload a signed counts file."""
    try:
        record = json.loads(signed.read_text(encoding="utf-8"))
        vote_day = record["vote_day"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise click.UsageError(f"cannot read {signed}: {exc}") from exc
    path = f"/api/vote-days/{vote_day}/channel-counts"
    click.echo(json.dumps(post_json(server.rstrip("/"), username, path, record)))


def main() -> None:
    cli(prog_name="python -m voting.clerk")


if __name__ == "__main__":
    main()
