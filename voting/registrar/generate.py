"""The registrar's offline step: voting codes, public credentials and voting cards.

docs/credentials.md. For each voter of each unit: a fresh code
(:func:`crypto.credentials.generate_code`, docs/spec.md section 7), its
Ed25519 public key (:func:`crypto.credentials.derive_credential`), a card
page. Written to ``--out``:

- ``credentials-<vote_day>.json``: the public list, keys sorted per unit (so
  the list's order says nothing about the order of the cards or the register);
- ``cards-<vote_day>.pdf``: the cards, mode 0600;
- ``codes-<vote_day>.json`` only on request (demos and tests), mode 0600:
  ``{"vote_day": ..., "cards": [{"unit": ..., "code": ...}, ...]}`` in page order.

Nothing here needs the server's database; the codes exist only in the PDF
(and the optional codes file) and in the registrar's memory while it runs.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.encoding import canonical_json
from crypto.group import RandomBytes
from crypto.group import secure_random
from voting.errors import InvalidCredentialList
from voting.registrar.card_texts import CARD_LANGUAGES
from voting.registrar.cards import Card
from voting.registrar.cards import CardWriter
from voting.services.votedays import SLUG_RE

MAX_VOTERS_PER_UNIT = 10_000_000


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """A unit to make cards for: its key in the list, voters, display name, card language."""

    key: str
    voters: int
    name: str
    lang: str | None = None


@dataclass(slots=True)
class Generated:
    """What :func:`generate` wrote."""

    list_path: Path
    cards_path: Path
    codes_path: Path | None
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def read_units_file(path: Path) -> list[UnitSpec]:
    """Units from JSON: ``{"unit": voters}`` or ``{"unit": {"voters": n, "lang": "fr"}}``.

    Raises:
        InvalidCredentialList: unreadable or malformed file.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidCredentialList(f"cannot read units file {path}: {exc}") from exc
    if not isinstance(document, dict) or not document:
        raise InvalidCredentialList(f"{path}: expected a JSON object of unit -> voters")
    return [_unit_spec(str(key), value, path) for key, value in document.items()]


def _unit_spec(key: str, value: Any, path: Path) -> UnitSpec:
    where = f"{path}: unit {key!r}"
    entry: Mapping[str, Any] = value if isinstance(value, dict) else {"voters": value}
    unknown = set(entry) - {"voters", "lang", "name"}
    if unknown:
        raise InvalidCredentialList(f"{where}: unknown fields {sorted(unknown)}")
    voters, lang, name = entry.get("voters"), entry.get("lang"), entry.get("name", key)
    if type(voters) is not int or not 0 < voters <= MAX_VOTERS_PER_UNIT:
        raise InvalidCredentialList(f"{where}: voters must be a whole number from 1")
    if lang is not None and lang not in CARD_LANGUAGES:
        raise InvalidCredentialList(f"{where}: card language must be one of {CARD_LANGUAGES}")
    if not isinstance(name, str) or not name:
        raise InvalidCredentialList(f"{where}: name must be a non-empty string")
    return UnitSpec(key=key, voters=voters, name=name, lang=lang)


def generate_cards(
    vote_day: str, units: list[UnitSpec], *, rng: RandomBytes = secure_random
) -> Iterator[tuple[UnitSpec, str, str]]:
    """For every voter: its unit, a fresh code and the code's public key (hex)."""
    for unit in units:
        for _ in range(unit.voters):
            code = generate_code(rng=rng)
            yield unit, code, derive_credential(code, vote_day).public_key.hex()


def generate(
    *,
    vote_day: str,
    units: list[UnitSpec],
    out_dir: Path,
    base_url: str,
    title: str,
    lang: str = "de",
    write_codes: bool = False,
    korean_font: Path | None = None,
    rng: RandomBytes = secure_random,
) -> Generated:
    """Write the public list, the cards PDF and (if asked) the codes file.

    Raises:
        InvalidCredentialList: bad vote-day id, language, units or base URL,
            or an output file that exists already (nothing is overwritten).
    """
    _check_arguments(vote_day, units, base_url, lang)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    result = Generated(
        list_path=out_dir / f"credentials-{vote_day}.json",
        cards_path=out_dir / f"cards-{vote_day}.pdf",
        codes_path=out_dir / f"codes-{vote_day}.json" if write_codes else None,
    )
    outputs = [p for p in (result.list_path, result.cards_path, result.codes_path) if p]
    for path in outputs:
        if path.exists():
            raise InvalidCredentialList(f"{path} exists already; nothing was overwritten")
    started = time.perf_counter()
    keys: dict[str, list[str]] = {u.key: [] for u in units}
    cards: list[dict[str, str]] = []
    _create_private(result.cards_path)
    writer = CardWriter(
        result.cards_path,
        base_url=base_url,
        document_title=title,
        korean_font=korean_font,
        lang=lang,
    )
    with writer:
        for unit, code, public_key in generate_cards(vote_day, units, rng=rng):
            writer.add(Card(vote_day, title, unit.name, unit.lang or lang, code))
            keys[unit.key].append(public_key)
            if write_codes:
                cards.append({"unit": unit.key, "code": code})
    public = {"vote_day": vote_day, "units": {k: sorted(v) for k, v in keys.items()}}
    _write_new(result.list_path, canonical_json(public), mode=0o644)
    if result.codes_path is not None:
        document = {"vote_day": vote_day, "cards": cards}  # in page order
        _write_new(result.codes_path, canonical_json(document), mode=0o600)
    result.counts = {k: len(v) for k, v in keys.items()}
    result.seconds = time.perf_counter() - started
    return result


def _check_arguments(vote_day: str, units: list[UnitSpec], base_url: str, lang: str) -> None:
    if not SLUG_RE.match(vote_day):
        raise InvalidCredentialList(f"vote day id {vote_day!r} is not a slug like 2026-03-08-ch")
    if lang not in CARD_LANGUAGES:
        raise InvalidCredentialList(f"card language must be one of {CARD_LANGUAGES}")
    if not units:
        raise InvalidCredentialList("no units with voters to make cards for")
    if len({u.key for u in units}) != len(units):
        raise InvalidCredentialList("a unit is named twice")
    if not base_url.startswith(("https://", "http://")) or any(c in base_url for c in "#? "):
        raise InvalidCredentialList(f"base URL {base_url!r} must be http(s)://host[/path]")


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
