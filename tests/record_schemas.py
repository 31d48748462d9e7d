"""The JSON Schemas of the log's records (docs/schemas/), loaded for the `jsonschema` package
(and, as a second opinion, for jsonschema-rs).

Every schema names its `$id` under :data:`BASE`; the files are registered
under those ids, so ``{"$ref": "defs.schema.json#/$defs/hex32"}`` resolves to
the file beside it and nothing is fetched from the network.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing import Resource
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"
BASE = "https://urna.example/schemas/record/v1/"
NOT_RECORDS = frozenset({"defs", "record"})
"""schema files that describe no record type of their own"""


def record_types() -> frozenset[str]:
    """The record types that have a schema file (``<type>.schema.json``)."""
    names = {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")}
    return frozenset(names - NOT_RECORDS)


@cache
def _registry() -> Registry[Any]:
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        assert contents["$id"] == BASE + path.name, path
        resources.append((contents["$id"], Resource.from_contents(contents, DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def validator(kind: str = "record") -> Draft202012Validator:
    """A validator (formats checked) for one record type, or for any entry (``record``)."""
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(
        schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def errors(record: Any, kind: str = "record") -> list[str]:
    """Every schema violation of ``record``, each as ``path: message`` (empty when valid)."""
    found = validator(kind).iter_errors(record)
    return [f"{'/'.join(map(str, e.absolute_path)) or '.'}: {e.message}" for e in found]


@cache
def second_validator() -> jsonschema_rs.Draft202012Validator:
    """The same schemas in a second implementation (jsonschema-rs, Rust), formats checked:
    two validators nobody here wrote must agree on every record."""
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], contents))
    schema = json.loads((SCHEMAS / "record.schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.Draft202012Validator(
        schema, registry=jsonschema_rs.Registry(resources), validate_formats=True
    )
