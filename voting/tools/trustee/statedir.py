"""The trustee tool's state folder (mode 0700) on the trustee's own machine.

    DIR/trustee.json    public settings: server, vote day, trustee name (format
                        ``urna-trustee-state/1``)
    DIR/secrets.vault   every secret, sealed under the passphrase (:mod:`.vault`)

Back up both files (the vault is useless without the passphrase, which is
kept apart). Nothing else is written, and nothing secret is written in clear.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voting.tools.trustee.vault import VaultError
from voting.tools.trustee.vault import write_private

FORMAT = "urna-trustee-state/1"
SETTINGS = "trustee.json"
VAULT = "secrets.vault"

__all__ = ["FORMAT", "StateDir", "TrusteeSettings"]


@dataclass(frozen=True, slots=True)
class TrusteeSettings:
    """What ``init`` records (public)."""

    server: str
    vote_day: str
    trustee: str

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "server": self.server,
            "vote_day": self.vote_day,
            "trustee": self.trustee,
        }


class StateDir:
    """A state folder; refuses to work in one that others can read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def vault_path(self) -> Path:
        return self.path / VAULT

    def create(self, settings: TrusteeSettings) -> None:
        """Make the folder (0700) and write the settings; refuse an initialised folder.

        Raises:
            VaultError: the folder holds a state already.
        """
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.path, 0o700)
        if (self.path / SETTINGS).exists() or self.vault_path.exists():
            raise VaultError(f"{self.path} already holds a trustee state; use another folder")
        write_private(
            self.path / SETTINGS, (json.dumps(settings.to_json(), indent=2) + "\n").encode()
        )

    def settings(self) -> TrusteeSettings:
        """Read the settings after checking the folder's mode.

        Raises:
            VaultError: no state here, a folder others can read, or a damaged settings file.
        """
        self.check_private()
        try:
            document = json.loads((self.path / SETTINGS).read_text(encoding="utf-8"))
            if document["format"] != FORMAT:
                raise VaultError(f"{self.path / SETTINGS} is not a {FORMAT} file")
            return TrusteeSettings(
                server=str(document["server"]),
                vote_day=str(document["vote_day"]),
                trustee=str(document["trustee"]),
            )
        except FileNotFoundError as exc:
            raise VaultError(f"{self.path} holds no trustee state: run init first") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VaultError(f"{self.path / SETTINGS} is damaged: {exc}") from exc

    def check_private(self) -> None:
        """The folder exists and only its owner may enter it (no group/other bits)."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError as exc:
            raise VaultError(f"{self.path} does not exist: run init first") from exc
        if not stat.S_ISDIR(mode):
            raise VaultError(f"{self.path} is not a folder")
        if mode & 0o077:
            raise VaultError(f"{self.path} is open to other users: chmod 700 {self.path}")
