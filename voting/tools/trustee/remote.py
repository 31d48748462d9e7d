"""The server's trustee routes, over HTTP only (docs/api.md, "Key ceremony").

Public reads need no login; posts go through an :class:`~voting.tools.official_http.OfficialSession`
logged in as the trustee official.
"""

from __future__ import annotations

from typing import Any

from voting.tools.official_http import OfficialSession
from voting.tools.official_http import Refused

MAX_BATCH_CIPHERTEXTS = 600
"""Decryption shares per POST, to stay well under the server's 256 KiB request limit."""


class TrusteeServer:
    """One vote day's ceremony and tally routes on one server."""

    def __init__(self, http: OfficialSession, vote_day: str) -> None:
        self.http = http
        self.vote_day = vote_day
        self.base = f"/api/vote-days/{vote_day}"

    def ceremony(self) -> dict[str, Any] | None:
        """``GET ceremony``, or None while the ceremony has not begun (409 / no log)."""
        try:
            return self.http.get_json(f"{self.base}/ceremony")
        except Refused as exc:
            if exc.status == 409:
                return None
            raise

    def post(self, what: str, body: Any) -> dict[str, Any]:
        """POST a ceremony message: ``commitment``, ``shares``, ``complaints``, ``reveals``,
        ``ready``."""
        return self.http.post_json(f"{self.base}/ceremony/{what}", body)

    def manifest(self) -> bytes:
        """The manifest record's bytes, as logged (their SHA-256 is the manifest hash)."""
        return self.http.get_bytes(f"{self.base}/manifest")

    def encrypted_totals(self) -> list[dict[str, Any]]:
        totals = self.http.get_json(f"{self.base}/encrypted-totals")["totals"]
        if not isinstance(totals, list):
            raise ValueError("the server's encrypted totals are not a list")
        return totals

    def shared_units(self) -> dict[str, list[int]]:
        """Trustee indexes whose decryption shares are logged, by unit."""
        units = self.http.get_json(f"{self.base}/decryption-shares")["units"]
        if not isinstance(units, dict):
            raise ValueError("the server's decryption progress is not an object")
        return units

    def post_decryption_shares(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return self.http.post_json(f"{self.base}/decryption-shares", {"shares": items})
