"""Server-side SVG charts: well-formed, accessible, proportional, escaped, strict on input."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from voting.services.charts import CANTON_TILES
from voting.services.charts import Bar
from voting.services.charts import CantonTile
from voting.services.charts import GridLabels
from voting.services.charts import bar_chart
from voting.services.charts import canton_grid
from voting.services.charts import column_chart
from voting.services.charts import format_count
from voting.services.charts import format_percent

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 (our own output, parsed to check it is well-formed)
    assert root.tag == f"{SVG}svg"
    return root


def assert_accessible(root: ET.Element, chart_id: str, title: str) -> None:
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root.find(f"{SVG}title").text == title  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert "style" not in ET.tostring(root, encoding="unicode")  # no inline styles (CSP)


def test_bar_chart_is_accessible_and_proportional() -> None:
    bars = [Bar("Yes", 400, "yes"), Bar("No", 200, "no"), Bar("Blank", 100, "blank")]
    root = parse(bar_chart(bars, chart_id="q1", title="Cycle paths", description="Yes 400"))
    assert_accessible(root, "q1", "Cycle paths")
    groups = root.findall(f"{SVG}g")
    widths = [float(g.find(f"{SVG}rect").get("width")) for g in groups]  # type: ignore[union-attr,arg-type]
    assert widths[0] == 2 * widths[1] == 4 * widths[2]
    labels = [[t.text for t in g.findall(f"{SVG}text")] for g in groups]
    # shares of the valid votes, as the BFS and the tables count them; blanks apart
    assert labels[0] == ["Yes", "400 (66.7\u202f%)"]
    assert labels[1] == ["No", "200 (33.3\u202f%)"]
    assert labels[2] == ["Blank", "100"]
    # colour is not the only cue: "no" is hatched, "blank" dotted
    fills = [g.find(f"{SVG}rect").get("fill") for g in groups]  # type: ignore[union-attr]
    assert fills[1] == "url(#q1-hatch)" and fills[2] == "url(#q1-dots)"
    assert root.find(f".//{SVG}pattern[@id='q1-hatch']") is not None


def test_bar_chart_escapes_every_text() -> None:
    evil = '<script>alert("x")</script>'
    svg = bar_chart([Bar(evil, 1)], chart_id="e", title=evil, description=evil)
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]


def test_empty_and_zero_charts() -> None:
    parse(bar_chart([], chart_id="empty", title="t", description="d"))
    root = parse(bar_chart([Bar("Yes", 0), Bar("No", 0)], chart_id="z", title="t", description="d"))
    assert "\u2013" in ET.tostring(root, encoding="unicode")  # no share of nothing


@pytest.mark.parametrize(
    "call",
    [
        lambda: bar_chart([Bar("x", -1)], chart_id="a", title="t", description="d"),
        lambda: bar_chart([], chart_id="1bad", title="t", description="d"),
        lambda: bar_chart([], chart_id='a" onload="x', title="t", description="d"),
        lambda: column_chart([("x", -5)], chart_id="a", title="t", description="d"),
        lambda: canton_grid({"XX": CantonTile(True)}, chart_id="a", title="t", description="d"),
    ],
)
def test_bad_input_is_refused(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_column_chart() -> None:
    root = parse(
        column_chart(
            [("08:00", 10), ("09:00", 40), ("10:00", 0)],
            chart_id="hours",
            title="Ballots per hour",
            description="d",
        )
    )
    assert_accessible(root, "hours", "Ballots per hour")
    heights = [float(g.find(f"{SVG}rect").get("height")) for g in root.findall(f"{SVG}g")]  # type: ignore[union-attr,arg-type]
    assert heights[1] == 4 * heights[0] and heights[2] == 0


def test_canton_grid_has_26_labelled_tiles() -> None:
    tiles = {
        "ZH": CantonTile(True, detail="yes 60 %"),
        "BE": CantonTile(False),
        "AI": CantonTile(True, half=True),
    }
    labels = GridLabels(yes="Ja", no="Nein", none="keine Zahlen", half="Halbkanton")
    root = parse(
        canton_grid(tiles, chart_id="grid", title="Cantons", description="d", labels=labels)
    )
    assert_accessible(root, "grid", "Cantons")
    drawn = root.findall(f"{SVG}g[@class]")
    kinds = {
        g.find(f"{SVG}title").text.split(" ")[0]: g.get("class")
        for g in drawn
        if g.get("class", "").startswith("tile")
    }  # type: ignore[union-attr]
    assert len(kinds) == 26 == len(CANTON_TILES)
    assert kinds["ZH"] == "tile tile-yes" and kinds["BE"] == "tile tile-no"
    assert kinds["GE"] == "tile tile-none"
    texts = ET.tostring(root, encoding="unicode")
    assert "ZH · Ja · yes 60 %" in texts and "AI (Halbkanton) · Ja" in texts
    assert "AI\u00bd" in texts and "keine Zahlen" in texts  # words, not colour alone
    # positions do not collide
    assert len(set(CANTON_TILES.values())) == 26


def test_formatting() -> None:
    assert format_count(1234567) == "1\u202f234\u202f567"
    assert format_percent(1, 3) == "33.3\u202f%"
    assert format_percent(2, 3, places=2) == "66.67\u202f%"
    assert format_percent(5, 0) == "\u2013"
