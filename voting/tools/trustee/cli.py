"""``python -m voting.trustee``: the trustee tool's commands (docs/trustees.md, "Trustee tool").

    init      --state DIR --server URL --vote-day ID --name NAME [--kdf-level L]
    ceremony  --state DIR [--user USER] [--wait SECONDS]
    decrypt   --state DIR [--user USER]
    status    --state DIR

Passwords and passphrases are asked for (without echo) or read from the first
line of a file (``--password-file``, ``--passphrase-file``); never from the
command line or the environment. Nothing secret is ever printed.

Exit status: 0 done; 1 the server refused, or the ceremony cannot go on for
this trustee; 2 unusable input (wrong passphrase, bad state folder); 3 the
ceremony is still running (run ``ceremony`` again later).
"""

from __future__ import annotations

import getpass
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from typing import TypeVar

import click

from voting.tools.official_http import OfficialSession
from voting.tools.official_http import ServerError
from voting.tools.trustee.decrypt import decrypt_totals
from voting.tools.trustee.public import ServerMisbehaves
from voting.tools.trustee.public import check_election_key
from voting.tools.trustee.public import parse_ceremony
from voting.tools.trustee.remote import TrusteeServer
from voting.tools.trustee.statedir import StateDir
from voting.tools.trustee.statedir import TrusteeSettings
from voting.tools.trustee.steps import CeremonyProblem
from voting.tools.trustee.steps import CeremonyRun
from voting.tools.trustee.vault import DEFAULT_KDF_LEVEL
from voting.tools.trustee.vault import KDF_LEVELS
from voting.tools.trustee.vault import Vault
from voting.tools.trustee.vault import VaultContents
from voting.tools.trustee.vault import VaultError

NOT_FINISHED = 3
POLL_SECONDS = 2.0

_state_option = click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The trustee's state folder (mode 0700).",
)
_passphrase_option = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the vault's passphrase from the first line of this file.",
)
F = TypeVar("F", bound=Callable[..., Any])
"""A command function, before click makes it a command."""

_login_options = [
    click.option("--user", help="The official's user name (default: the trustee name)."),
    click.option(
        "--password-file",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Read the official's password from the first line of this file.",
    ),
]


def read_secret(path: Path | None, prompt: str, *, confirm: bool = False) -> str:
    """From the first line of ``path``, or asked without echo (twice with ``confirm``)."""
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != value:
        raise click.UsageError("the two entries differ")
    return value


@contextmanager
def failures() -> Iterator[None]:
    """Turn the tool's errors into messages and exit codes."""
    try:
        yield
    except VaultError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (ServerError, CeremonyProblem, ServerMisbehaves) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _open(state_dir: Path, passphrase_file: Path | None) -> tuple[TrusteeSettings, CeremonyRun]:
    state = StateDir(state_dir)
    settings = state.settings()
    passphrase = read_secret(passphrase_file, f"Passphrase of {state.vault_path}: ")
    vault, contents = Vault.open(state.vault_path, passphrase)
    if (contents.vote_day, contents.trustee) != (settings.vote_day, settings.trustee):
        raise VaultError(f"{state.vault_path} belongs to another vote day or trustee")
    http = OfficialSession(settings.server)
    return settings, CeremonyRun(TrusteeServer(http, settings.vote_day), vault, contents)


def _log_in(run: CeremonyRun, user: str | None, password_file: Path | None) -> None:
    username = user or run.name
    password = read_secret(password_file, f"Password of official {username!r}: ")
    run.server.http.log_in(username, password)


@click.group()
def cli() -> None:
    """Urna trustee tool: key ceremony and partial decryption, secrets kept here.

    Your key share never leaves this computer: it is sealed in a vault under your
    passphrase in the state folder. init once, then ceremony until the election
    key is derived (docs/trustees.md); after the vote day closes, decrypt.

    \b
    Example (trustee alice of the demo vote day):
      python -m voting.trustee init --state alice/ --server http://127.0.0.1:5000 \\
          --vote-day 2026-06-14-ch --name alice
      python -m voting.trustee ceremony --state alice/ --wait 600
      python -m voting.trustee status --state alice/
      python -m voting.trustee decrypt --state alice/
    """


@cli.command()
@_state_option
@click.option("--server", required=True, help="The server's address, e.g. https://urna.example")
@click.option("--vote-day", "vote_day", required=True, help="The vote day id, e.g. 2026-06-14-ch.")
@click.option("--name", required=True, help="Your name on the roster (your official user name).")
@_passphrase_option
@click.option(
    "--kdf-level",
    type=click.Choice(sorted(KDF_LEVELS)),
    default=DEFAULT_KDF_LEVEL,
    show_default=True,
    help="argon2id cost of the passphrase (memory: 64 MiB, 256 MiB, 1 GiB).",
)
def init(
    state_dir: Path,
    server: str,
    vote_day: str,
    name: str,
    passphrase_file: Path | None,
    kdf_level: str,
) -> None:
    """Create the state folder and the vault, sealed under a new passphrase."""
    with failures():
        settings = TrusteeSettings(server=server.rstrip("/"), vote_day=vote_day, trustee=name)
        state = StateDir(state_dir)
        passphrase = read_secret(passphrase_file, "New passphrase: ", confirm=True)
        if len(passphrase) < 12:
            raise VaultError("choose a passphrase of at least 12 characters")
        state.create(settings)
        started = time.perf_counter()
        Vault.create(
            state.vault_path,
            passphrase,
            VaultContents(vote_day=vote_day, trustee=name),
            cost=KDF_LEVELS[kdf_level],
        )
        seconds = time.perf_counter() - started
    click.echo(f"{state_dir}: trustee {name!r} of {vote_day} at {settings.server}")
    click.echo(f"vault sealed (argon2id {kdf_level}: {seconds:.2f} s); back up the folder")


def _with_login(command: F) -> F:
    """Add the login options (``--user``, ``--password-file``) to a command function."""
    for option in reversed(_login_options):
        command = option(command)
    return command


@cli.command()
@_state_option
@_passphrase_option
@click.option("--wait", type=float, default=0.0, help="Keep polling this many seconds.")
@click.option("--interval", type=float, default=POLL_SECONDS, hidden=True)
@_with_login
def ceremony(
    state_dir: Path,
    passphrase_file: Path | None,
    wait: float,
    interval: float,
    user: str | None,
    password_file: Path | None,
) -> None:
    """Do whatever step of the key ceremony is due; with --wait, until it completes."""
    with failures():
        _, run = _open(state_dir, passphrase_file)
        _log_in(run, user, password_file)
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            while (done := run.step()) is not None:
                click.echo(f"{run.name}: {done}")
            public = run.fetch()
            if public is not None and run.contents.key_share is not None:
                click.echo(f"{run.name}: the ceremony is complete")
                return
            if time.monotonic() >= deadline:
                click.echo(f"{run.name}: waiting for {run.waiting_for(public)}; run again later")
                sys.exit(NOT_FINISHED)
            time.sleep(min(interval, max(deadline - time.monotonic(), 0.0)))


@cli.command()
@_state_option
@_passphrase_option
@_with_login
def decrypt(
    state_dir: Path, passphrase_file: Path | None, user: str | None, password_file: Path | None
) -> None:
    """Upload partial decryptions (with proofs) of every unit's encrypted totals."""
    with failures():
        _, run = _open(state_dir, passphrase_file)
        public = run.fetch()
        if public is None or public.election_key is None:
            raise CeremonyProblem("the key ceremony is not complete: nothing to decrypt")
        key_share = run.key_share(public)  # derived again and checked against the log
        if run.contents.key_share is None:
            run.contents.key_share = key_share
            run.vault.save(run.contents)
        elif run.contents.key_share.secret != key_share.secret:
            raise CeremonyProblem("the sealed key share differs from the one the log gives")
        _log_in(run, user, password_file)
        started = time.perf_counter()
        done = decrypt_totals(run.server, key_share, check_election_key(public))
        seconds = time.perf_counter() - started
    click.echo(
        f"{run.name}: shared {done.units} units ({done.ciphertexts} ciphertexts) in "
        f"{done.requests} requests, {seconds:.2f} s; {done.skipped} units shared before"
    )
    if done.tallied:
        click.echo("the tally is complete")


@cli.command()
@_state_option
def status(state_dir: Path) -> None:
    """Where the ceremony stands for this trustee (public facts only; no passphrase)."""
    with failures():
        settings = StateDir(state_dir).settings()
        server = TrusteeServer(OfficialSession(settings.server), settings.vote_day)
        body = server.ceremony()
    click.echo(f"trustee {settings.trustee!r} of {settings.vote_day} at {settings.server}")
    if body is None:
        click.echo("the key ceremony has not begun")
        return
    with failures():
        public = parse_ceremony(body)
    names = public.ceremony.trustees
    index = public.ceremony.index_of(settings.trustee) if settings.trustee in names else None
    click.echo(f"vote day status: {public.status}; trustees {', '.join(names)}")
    for what, have in (
        ("committed", public.commitments),
        ("dealt", public.shares),
        ("ready", public.ready),
    ):
        click.echo(f"  {what}: {', '.join(names[j - 1] for j in sorted(have)) or '-'}")
    for complaint in public.complaints:
        click.echo(
            f"  complaint: {complaint.accuser} about {complaint.accused} ({complaint.reason})"
        )
    if index is not None:
        pending = public.unanswered_against(index)
        click.echo(f"  complaints against you unanswered: {len(pending)}")
    click.echo(f"  election key: {'logged' if public.election_key else 'not yet'}")


def main() -> None:
    cli(prog_name="python -m voting.trustee")
