"""Helpers for the trustee tool's tests: trustee officials, state folders, tool runs.

State folders are made with a test-only argon2id cost passed explicitly
(:data:`FAST_KDF`); one test goes through ``init`` with the ``interactive`` level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from click.testing import Result
from nacl.pwhash import argon2id

from tests.official_actions import FAST_HASH
from tests.official_actions import PASSWORD
from voting.app.extensions import db
from voting.services import officials
from voting.tools.official_http import OfficialSession
from voting.tools.trustee.cli import cli
from voting.tools.trustee.statedir import StateDir
from voting.tools.trustee.statedir import TrusteeSettings
from voting.tools.trustee.vault import KdfCost
from voting.tools.trustee.vault import Vault
from voting.tools.trustee.vault import VaultContents

FAST_KDF = KdfCost(argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN)
"""The lowest argon2id cost libsodium allows: tests only."""
PASSPHRASE = "a long trustee passphrase"
TRUSTEES = ("alice", "bob", "carol")
STILL_RUNNING = 3


def create_officials(names: Sequence[str] = TRUSTEES, *, admin: str = "ada") -> None:
    """Trustee officials named ``names`` and an administrator."""
    for name in names:
        official = officials.create_official(db.session, name, PASSWORD, limits=FAST_HASH)
        officials.grant_role(db.session, official, "trustee", None)
    official = officials.create_official(db.session, admin, PASSWORD, limits=FAST_HASH)
    officials.grant_role(db.session, official, "administrator", None)


def logged_in(server: str, username: str) -> OfficialSession:
    http = OfficialSession(server)
    http.log_in(username, PASSWORD)
    return http


@dataclass(frozen=True)
class Trustee:
    """One trustee's state folder and secret files on 'its machine'."""

    name: str
    state: Path
    passphrase_file: Path
    password_file: Path

    def run(self, command: str, *extra: str) -> Result:
        args = [command, "--state", str(self.state), *extra]
        if command != "status":
            args += ["--passphrase-file", str(self.passphrase_file)]
            args += ["--password-file", str(self.password_file)]
        return CliRunner().invoke(cli, args)

    def ceremony(self) -> Result:
        return self.run("ceremony", "--wait", "0")

    def open_vault(self) -> tuple[Vault, VaultContents]:
        return Vault.open(self.state / "secrets.vault", PASSPHRASE)


def make_trustee(root: Path, name: str, server: str, vote_day: str) -> Trustee:
    """A state folder as ``init`` makes it, but with :data:`FAST_KDF`."""
    state = root / name
    StateDir(state).create(TrusteeSettings(server=server, vote_day=vote_day, trustee=name))
    Vault.create(
        state / "secrets.vault",
        PASSPHRASE,
        VaultContents(vote_day=vote_day, trustee=name),
        cost=FAST_KDF,
    )
    secrets = root / f"{name}-secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "passphrase").write_text(PASSPHRASE + "\n")
    (secrets / "password").write_text(PASSWORD + "\n")
    return Trustee(name, state, secrets / "passphrase", secrets / "password")


def run_until_ready(trustees: Sequence[Trustee], passes: int = 5) -> None:
    """Run every trustee's ``ceremony`` in turn until all have declared ready."""
    for _ in range(passes):
        outputs = [t.ceremony() for t in trustees]
        for result in outputs:
            assert result.exit_code == STILL_RUNNING, result.output
        if all("waiting for the returning officer" in r.output for r in outputs):
            return
    raise AssertionError("the trustees did not all become ready")
