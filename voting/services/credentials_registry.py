"""The ``credentials`` log records: the registered public keys, logged at opening.

The registrar's upload (``voting.services.credentials``) fills the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.models.credentials import Credential
from voting.models.jurisdictions import Jurisdiction

KEYS_PER_RECORD = 5000
"""Credentials per ``credentials`` log record (about 330 KB of canonical JSON)."""


def credential_records(session: so.Session, vote_day_id: str) -> list[dict[str, Any]]:
    """The ``credentials`` log records: each unit's sorted keys, in chunks."""
    return list(_records(session, vote_day_id))


def _records(session: so.Session, vote_day_id: str) -> Iterator[dict[str, Any]]:
    rows = session.execute(
        sa.select(Jurisdiction.level, Jurisdiction.code, Credential.public_key)
        .select_from(Credential)
        .join(Jurisdiction, Credential.jurisdiction_id == Jurisdiction.id)
        .where(Credential.vote_day_id == vote_day_id)
        .order_by(Jurisdiction.level, Jurisdiction.code, Credential.public_key)
    ).all()
    by_unit: dict[str, list[str]] = {}
    for level, code, key in rows:
        by_unit.setdefault(f"{level}:{code}", []).append(key)
    for unit, keys in by_unit.items():
        chunks = range(0, len(keys), KEYS_PER_RECORD)
        for part, start in enumerate(chunks, start=1):
            yield {
                "type": "credentials",
                "unit": unit,
                "part": part,
                "parts": len(chunks),
                "keys": keys[start : start + KEYS_PER_RECORD],
            }
