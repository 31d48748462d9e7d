"""Importing jurisdiction trees: formats, validation errors, all-or-nothing, the CLI."""

from __future__ import annotations

import json
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask.testing import FlaskCliRunner

from voting.errors import ImportRejected
from voting.models.jurisdictions import Jurisdiction
from voting.services.jurisdiction_formats import parse_text
from voting.services.jurisdictions import ancestors_or_self
from voting.services.jurisdictions import canton_electorates
from voting.services.jurisdictions import electorates
from voting.services.jurisdictions import get_unit
from voting.services.jurisdictions import import_file
from voting.services.jurisdictions import import_records

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def count(session: so.Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Jurisdiction)) or 0


def urna(*units: dict[str, Any]) -> str:
    return json.dumps({"format": "urna-jurisdictions/1", "units": list(units)})


NATION = {"level": "nation", "code": "CH", "names": {"de": "Schweiz"}}
ZH = {"level": "canton", "code": "ZH", "parent": "nation:CH", "names": {"de": "Zürich"}}
D110 = {"level": "district", "code": "110", "parent": "canton:ZH", "names": {"de": "Winterthur"}}
M230 = {
    "level": "municipality",
    "code": "230",
    "parent": "district:110",
    "names": {"de": "Winterthur"},
    "electorate": 69104,
}


def test_bfs_excerpt_imports_with_quarters_and_half_canton(db_session: so.Session) -> None:
    summary = import_file(db_session, FIXTURES / "bfs_sd-t-17-02_excerpt.json")
    assert summary.by_level == {
        "nation": 1,
        "canton": 2,
        "district": 3,
        "municipality": 9,
        "quarter": 7,
    }
    assert canton_electorates(db_session) == {"ZH": 76834, "AI": 11805}
    winterthur = get_unit(db_session, "municipality:230")
    assert winterthur.electorate is None and len(winterthur.children) == 7
    assert electorates(db_session)[winterthur.id] == 69104
    assert get_unit(db_session, "canton:AI").weight == Fraction(1, 2)
    assert get_unit(db_session, "canton:ZH").weight == Fraction(1)
    chain = ancestors_or_self(db_session, get_unit(db_session, "quarter:10230"))
    assert [u.ref for u in chain] == [
        "nation:CH",
        "canton:ZH",
        "district:110",
        "municipality:230",
        "quarter:10230",
    ]


def test_demo_trees_import(db_session: so.Session) -> None:
    for name in ("demo_ch.json", "demo_kr.json"):
        text = resources.files("voting.data").joinpath(name).read_text(encoding="utf-8")
        import_records(db_session, parse_text(text, name=name))
    levels = set(db_session.scalars(sa.select(Jurisdiction.level)))
    assert levels == {"nation", "canton", "district", "municipality", "quarter"}
    seoul = get_unit(db_session, "canton:11")
    assert seoul.weight is None and seoul.names["ko"] == "서울특별시"
    chain = ancestors_or_self(db_session, get_unit(db_session, "quarter:1111054000"))
    assert [u.ref for u in chain] == [
        "nation:KR",
        "canton:11",
        "municipality:11110",
        "quarter:1111054000",
    ]
    assert canton_electorates(db_session)["AI"] == 3854 + 1093 + 1439


def test_csv_import(db_session: so.Session, tmp_path: Path) -> None:
    path = tmp_path / "tree.csv"
    path.write_text(
        "level,code,parent,electorate,weight,name_de,name_fr\n"
        "nation,CH,,,,Schweiz,Suisse\n"
        "canton,BS,nation:CH,,1/2,Basel-Stadt,Bâle-Ville\n"
        "municipality,2701,canton:BS,114020,,Basel,Bâle\n"
    )
    assert import_file(db_session, path).total == 3
    assert get_unit(db_session, "canton:BS").vote_weight == "1/2"
    assert get_unit(db_session, "municipality:2701").names == {"de": "Basel", "fr": "Bâle"}


@pytest.mark.parametrize(
    ("units", "message"),
    [
        (
            (NATION, ZH, {**D110, "parent": "canton:XX"}, M230),
            r"units\[2\] \(district:110\): unknown parent canton:XX",
        ),
        (
            (NATION, ZH, D110, M230, {**M230, "electorate": 5}),
            r"units\[4\] \(municipality:230\): duplicate code municipality:230",
        ),
        (
            (NATION, ZH, {**D110, "parent": "municipality:230"}, M230),
            r"cycle: district:110 -> municipality:230 -> district:110",
        ),
        ((NATION, {**ZH, "weight": "1/2"}, D110, M230), r"units\[1\] \(canton:ZH\): bad weight"),
        ((NATION, {**ZH, "weight": 2}, D110, M230), r"units\[1\] \(canton:ZH\): bad weight"),
        ((NATION, ZH, {**D110, "weight": "1"}, M230), r"units\[2\].*only cantons carry a weight"),
        ((NATION, ZH, D110, {**M230, "electorate": None}), r"units\[3\].*electorate missing"),
        ((NATION, ZH, {**D110, "electorate": 3}, M230), r"units\[2\].*only leaf units"),
        ((NATION, ZH, D110, {**M230, "electorate": -1}), r"units\[3\].*non-negative"),
        ((NATION, ZH, D110, {**M230, "level": "hamlet"}), r"units\[3\].*unknown level 'hamlet'"),
        ((NATION, ZH, D110, {**M230, "parent": None}), r"units\[3\].*parent missing"),
        (
            (NATION, {**ZH, "code": "XY"}, {**D110, "parent": "canton:XY"}, M230),
            r"'XY' is not a Swiss canton",
        ),
        ((NATION, ZH, {**D110, "parent": "district:110"}, M230), r"district:110 is its own parent"),
        (
            (NATION, ZH, {**D110, "parent": "nation:CH", "level": "nation"}, M230),
            r"units\[2\].*a nation has no parent",
        ),
        ((NATION, ZH, D110, {**M230, "names": {"xx": "?"}}), r"units\[3\].*unknown name language"),
    ],
)
def test_import_errors_name_the_record_and_import_nothing(
    db_session: so.Session, units: tuple[dict[str, Any], ...], message: str
) -> None:
    with pytest.raises(ImportRejected, match=message):
        import_records(db_session, parse_text(urna(*units)))
    assert count(db_session) == 0


def test_units_already_stored_are_duplicates_and_nothing_is_added(db_session: so.Session) -> None:
    import_records(db_session, parse_text(urna(NATION, ZH, D110, M230)))
    extra = {**M230, "code": "219", "electorate": 2409}
    with pytest.raises(ImportRejected, match=r"duplicate code district:110 \(already stored\)"):
        import_records(db_session, parse_text(urna(extra, D110)))
    assert count(db_session) == 4
    # A later file may hang new units under stored ones.
    assert import_records(db_session, parse_text(urna(extra))).total == 1


def test_unknown_json_and_bad_csv_header() -> None:
    with pytest.raises(ImportRejected, match="unknown JSON format"):
        parse_text('{"units": []}')
    with pytest.raises(ImportRejected, match="unknown column 'colour'"):
        parse_text("level,code,parent,colour\n")
    with pytest.raises(ImportRejected, match=r"line 2 \(canton:ZH\).*names"):
        parse_text("level,code,parent\ncanton,ZH,nation:CH\n")


def test_cli_import(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        args=["jurisdictions", "import", str(FIXTURES / "bfs_sd-t-17-02_excerpt.json")]
    )
    assert result.exit_code == 0, result.output
    assert "imported 22 units" in result.output
    listing = runner.invoke(args=["jurisdictions", "cantons"])
    assert "ZH\t76834" in listing.output and "AI\t11805" in listing.output
    again = runner.invoke(
        args=["jurisdictions", "import", str(FIXTURES / "bfs_sd-t-17-02_excerpt.json")]
    )
    assert again.exit_code == 1
    assert "nothing imported: schweiz: duplicate code nation:CH" in again.output
