"""Reading jurisdiction trees from files (formats documented in docs/jurisdictions.md).

Three formats, detected from the content:

- Urna JSON: ``{"format": "urna-jurisdictions/1", "units": [...]}``;
- CSV with a header ``level,code,parent,electorate,weight,name_de,...``;
- the Federal Statistical Office's vote results JSON (``sd-t-17-02``): the
  nation, its 26 cantons, districts (``bezirke``), municipalities
  (``gemeinden``) and city counting districts (``zaehlkreise``, imported as
  quarters; their municipality then carries no electorate of its own).

Parsing is pure (no database); every error names its record. Validation of
the tree itself lives in :mod:`voting.services.jurisdiction_tree`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from voting.errors import ImportRejected
from voting.models.jurisdictions import LANGUAGES

URNA_FORMAT = "urna-jurisdictions/1"
BFS_CANTONS: dict[int, tuple[str, str, dict[str, str]]] = {
    entry["number"]: (entry["code"], entry["language"], entry["names"])
    for entry in json.loads(
        resources.files("voting.data").joinpath("swiss_cantons.json").read_text(encoding="utf-8")
    )["cantons"]
}
"""BFS canton number → (abbreviation, language of its local names, names)."""
SWITZERLAND = {
    "de": "Schweiz",
    "fr": "Suisse",
    "it": "Svizzera",
    "rm": "Svizra",
    "en": "Switzerland",
}
CSV_COLUMNS = ("level", "code", "parent", "electorate", "weight")


@dataclass(frozen=True)
class UnitRecord:
    """One unit as read from a file, before validation of the tree."""

    where: str
    """Where the record is in its file ("units[3]", "line 5", "canton 1 / gemeinde 261")."""
    level: str
    code: str
    parent: str | None
    """The parent's ``level:code``, or None for a nation."""
    names: Mapping[str, str]
    electorate: int | None = None
    weight: object = None
    """As written in the file; checked by the tree validation."""

    @property
    def ref(self) -> str:
        return f"{self.level}:{self.code}"


def read_file(path: Path) -> list[UnitRecord]:
    """Read and parse a jurisdiction file, detecting its format.

    Raises:
        ImportRejected: unreadable file, unknown format, or a malformed record.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRejected(f"{path}: cannot read the file ({exc})") from exc
    return parse_text(text, name=path.name)


def parse_text(text: str, *, name: str = "input") -> list[UnitRecord]:
    """Parse a file's text: JSON (Urna or BFS) if it starts with ``{``, else CSV."""
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportRejected(f"{name}: not valid JSON ({exc})") from exc
        if isinstance(document, dict) and document.get("format") == URNA_FORMAT:
            return list(parse_urna(document))
        if isinstance(document, dict) and isinstance(document.get("schweiz"), dict):
            return list(parse_bfs(document))
        raise ImportRejected(
            f'{name}: unknown JSON format (expected "format": "{URNA_FORMAT}" '
            "or the Federal Statistical Office's sd-t-17-02 results)"
        )
    return list(parse_csv(text))


def _names(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise ImportRejected(f'{where}: names must be an object such as {{"de": "Bern"}}')
    for language, text in value.items():
        if language not in LANGUAGES:
            raise ImportRejected(f"{where}: unknown name language {language!r} ({LANGUAGES})")
        if not isinstance(text, str) or not text.strip():
            raise ImportRejected(f"{where}: the {language} name must be a non-empty string")
    return {language: text.strip() for language, text in value.items()}


def _text(value: object, field: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ImportRejected(f"{where}: {field} must be a non-empty string, got {value!r}")
    return value.strip()


def _electorate(value: object, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImportRejected(f"{where}: electorate must be a non-negative integer, got {value!r}")
    return value


def parse_urna(document: Mapping[str, Any]) -> Iterator[UnitRecord]:
    units = document.get("units")
    if not isinstance(units, list):
        raise ImportRejected('"units" must be a list')
    allowed = {"level", "code", "parent", "names", "electorate", "weight"}
    for index, unit in enumerate(units):
        where = f"units[{index}]"
        if not isinstance(unit, dict):
            raise ImportRejected(f"{where}: must be an object")
        where = f"units[{index}] ({unit.get('level')}:{unit.get('code')})"
        unknown = sorted(set(unit) - allowed)
        if unknown:
            raise ImportRejected(f"{where}: unknown field {unknown[0]!r}")
        parent = unit.get("parent")
        yield UnitRecord(
            where=where,
            level=_text(unit.get("level"), "level", where),
            code=_text(unit.get("code"), "code", where),
            parent=None if parent is None else _text(parent, "parent", where),
            names=_names(unit.get("names"), where),
            electorate=_electorate(unit.get("electorate"), where),
            weight=unit.get("weight"),
        )


def parse_csv(text: str) -> Iterator[UnitRecord]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in ("level", "code", "parent") if c not in header]
    if missing:
        raise ImportRejected(f"line 1: the CSV header lacks the column {missing[0]!r}")
    for column in header:
        if column not in CSV_COLUMNS and column.removeprefix("name_") not in LANGUAGES:
            raise ImportRejected(f"line 1: unknown column {column!r}")
    for row in reader:
        where = f"line {reader.line_num} ({row.get('level')}:{row.get('code')})"
        if None in row:
            raise ImportRejected(f"{where}: more fields than columns")
        names = {c.removeprefix("name_"): v for c, v in row.items() if c.startswith("name_") and v}
        yield UnitRecord(
            where=where,
            level=_text(row.get("level"), "level", where),
            code=_text(row.get("code"), "code", where),
            parent=(row.get("parent") or "").strip() or None,
            names=_names(names, where),
            electorate=_electorate((row.get("electorate") or "").strip(), where),
            weight=(row.get("weight") or "").strip() or None,
        )


def parse_bfs(document: Mapping[str, Any]) -> Iterator[UnitRecord]:
    """The tree of a BFS ``sd-t-17-02`` file, read from its first question."""
    try:
        cantons = document["schweiz"]["vorlagen"][0]["kantone"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ImportRejected("schweiz.vorlagen[0].kantone: missing") from exc
    yield UnitRecord("schweiz", "nation", "CH", None, SWITZERLAND)
    for index, canton in enumerate(cantons):
        yield from _bfs_canton(canton, f"kantone[{index}]")


def _bfs_number(entry: Mapping[str, Any], field: str, where: str) -> str:
    value = str(entry.get(field, "")).strip()
    if not value.isdigit():
        raise ImportRejected(f"{where}: {field} must be a number, got {entry.get(field)!r}")
    return value


def _bfs_electorate(entry: Mapping[str, Any], where: str) -> int | None:
    result = entry.get("resultat")
    if not isinstance(result, dict):
        raise ImportRejected(f"{where}: resultat missing")
    return _electorate(result.get("anzahlStimmberechtigte"), where)


def _bfs_canton(canton: Mapping[str, Any], where: str) -> Iterator[UnitRecord]:
    number = int(_bfs_number(canton, "geoLevelnummer", where))
    if number not in BFS_CANTONS:
        raise ImportRejected(f"{where}: unknown canton number {number}")
    abbreviation, language, names = BFS_CANTONS[number]
    canton_ref = f"canton:{abbreviation}"
    yield UnitRecord(f"{where} ({abbreviation})", "canton", abbreviation, "nation:CH", names)
    for i, district in enumerate(canton.get("bezirke") or []):
        spot = f"{where}.bezirke[{i}]"
        code = _bfs_number(district, "geoLevelnummer", spot)
        name = _text(district.get("geoLevelname"), "geoLevelname", spot)
        yield UnitRecord(spot, "district", code, canton_ref, {language: name})
    quarters = canton.get("zaehlkreise") or []
    split = {_bfs_number(q, "geoLevelParentnummer", where) for q in quarters}
    for i, town in enumerate(canton.get("gemeinden") or []):
        spot = f"{where}.gemeinden[{i}]"
        code = _bfs_number(town, "geoLevelnummer", spot)
        parent = f"district:{_bfs_number(town, 'geoLevelParentnummer', spot)}"
        name = _text(town.get("geoLevelname"), "geoLevelname", spot)
        electorate = None if code in split else _bfs_electorate(town, spot)
        yield UnitRecord(spot, "municipality", code, parent, {language: name}, electorate)
    for i, quarter in enumerate(quarters):
        spot = f"{where}.zaehlkreise[{i}]"
        yield UnitRecord(
            spot,
            "quarter",
            _bfs_number(quarter, "geoLevelnummer", spot),
            f"municipality:{_bfs_number(quarter, 'geoLevelParentnummer', spot)}",
            {language: _text(quarter.get("geoLevelname"), "geoLevelname", spot)},
            _bfs_electorate(quarter, spot),
        )
