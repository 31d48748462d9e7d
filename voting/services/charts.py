"""Charts drawn as SVG on the server: bar charts, column charts and the canton tile grid.

Pure functions of plain values that return SVG markup (a string; every text
is escaped here). No JavaScript, no inline ``style`` attributes (the
Content-Security-Policy forbids them): colours and patterns are SVG
presentation attributes, so a chart is also complete when saved on its own.

Accessibility (WCAG 2.1 AA): every chart is ``role="img"`` with a ``<title>``
and a ``<desc>`` referenced by ``aria-labelledby``; every bar and tile
carries its figure as text; colour is never the only cue (a "no" is hatched,
a blank is dotted, a canton without figures is grey and says so); colours
reach a 3:1 contrast against white and the text on tiles 4.5:1.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "CANTON_TILES",
    "Bar",
    "CantonTile",
    "GridLabels",
    "bar_chart",
    "canton_grid",
    "column_chart",
    "format_count",
    "format_percent",
]

COLOURS = {
    "yes": "#1d5a96",
    "no": "#a83a0c",
    "blank": "#5f5f5f",
    "none": "#e4e4e4",
    "other": "#2f6b3a",
}
"""Fills per kind of bar (each at least 4.5:1 against white, except ``none``)."""
SERIES = ("#1d5a96", "#2f6b3a", "#6a3d9a", "#8a5a00", "#a83a0c", "#00606b")
TEXT = "#1a1a1a"
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")

CANTON_TILES: dict[str, tuple[int, int]] = {
    "BS": (0, 3), "BL": (0, 4), "SH": (0, 6),
    "JU": (1, 2), "SO": (1, 3), "AG": (1, 4), "ZH": (1, 5), "TG": (1, 6), "AR": (1, 7),
    "NE": (2, 1), "BE": (2, 3), "LU": (2, 4), "ZG": (2, 5), "SG": (2, 6), "AI": (2, 7),
    "VD": (3, 1), "FR": (3, 2), "OW": (3, 3), "NW": (3, 4), "SZ": (3, 5), "GL": (3, 6),
    "GE": (4, 0), "VS": (4, 2), "UR": (4, 4), "GR": (4, 6),
    "TI": (5, 5),
}  # fmt: skip
"""(row, column) of each of the 26 cantons on the tile grid, roughly as on the map."""


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its count and its kind (yes, no, blank or other)."""

    label: str
    value: int
    kind: str = "other"


@dataclass(frozen=True)
class CantonTile:
    """One canton on the grid: accepted (True), rejected (False) or no figures (None)."""

    accepted: bool | None
    half: bool = False
    detail: str = ""
    """Extra text for the tile's tooltip, e.g. ``"Yes 52.3 %"``."""


@dataclass(frozen=True)
class GridLabels:
    """The words the grid shows (translated by the caller)."""

    yes: str = "Yes"
    no: str = "No"
    none: str = "no figures"
    half: str = "half-canton"


def format_count(value: int) -> str:
    """``12345`` → ``12 345`` (a thin no-break space groups the digits, as in Swiss usage)."""
    return f"{value:,}".replace(",", "\u202f")


def format_percent(part: int, whole: int, places: int = 1) -> str:
    """``part`` of ``whole`` as a percentage with ``places`` decimals, or an en dash."""
    if whole <= 0:
        return "\u2013"
    value = round(Fraction(100 * part, whole), places)
    return f"{float(value):.{places}f}\u202f%"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _check_id(chart_id: str) -> str:
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart id {chart_id!r} must be a letter then letters, digits, - or _")
    return chart_id


def _open_svg(chart_id: str, width: int, height: int, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{chart_id}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(description)}</desc>',
    ]


def _patterns(chart_id: str) -> str:
    """Hatching for "no" and dots for "blank", so colour is not the only cue."""
    return (
        "<defs>"
        f'<pattern id="{chart_id}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{COLOURS["no"]}"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#ffffff" stroke-width="3"/></pattern>'
        f'<pattern id="{chart_id}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{COLOURS["blank"]}"/>'
        '<circle cx="3" cy="3" r="1.3" fill="#ffffff"/></pattern>'
        "</defs>"
    )


def _fill(chart_id: str, kind: str, position: int) -> str:
    if kind == "no":
        return f"url(#{chart_id}-hatch)"
    if kind == "blank":
        return f"url(#{chart_id}-dots)"
    if kind == "yes":
        return COLOURS["yes"]
    return SERIES[position % len(SERIES)]


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    width: int = 560,
    percent: Callable[[int, int], str] = format_percent,
) -> str:
    """Horizontal bars, one per option, each labelled with its count and its share of the valid
    votes; ``blank`` bars (blank and invalid ballots) show their count only.

    Args:
        bars: the bars in display order (counts must be non-negative).
        chart_id: a unique id on the page (prefixes the SVG's ids).
        percent: writes a share (part, whole) in the page's language
            (default: :func:`format_percent`, a decimal point).

    Raises:
        ValueError: a negative count or a malformed id.
    """
    _check_id(chart_id)
    if any(b.value < 0 for b in bars):
        raise ValueError("bar counts must be non-negative")
    row, label_w, value_w, top = 34, 150, 130, 8
    height = top * 2 + row * max(len(bars), 1)
    total = sum(b.value for b in bars if b.kind != "blank")  # valid votes, as the BFS counts
    largest = max((b.value for b in bars), default=0)
    span = width - label_w - value_w
    parts = _open_svg(chart_id, width, height, title, description)
    parts.append(_patterns(chart_id))
    for i, bar in enumerate(bars):
        y = top + i * row
        length = 0 if largest == 0 else round(span * bar.value / largest)
        counted = bar.kind != "blank"  # blank and invalid: a count, never a share of the valid
        share = f" ({percent(bar.value, total)})" if counted else ""
        parts.append(
            f'<g class="bar bar-{_esc(bar.kind)}">'
            f'<text x="{label_w - 8}" y="{y + 21}" text-anchor="end" fill="{TEXT}" '
            f'font-size="14">{_esc(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{max(length, 1)}" height="22" '
            f'fill="{_fill(chart_id, bar.kind, i)}" stroke="{TEXT}" stroke-width="0.5"/>'
            f'<text x="{label_w + max(length, 1) + 6}" y="{y + 21}" fill="{TEXT}" '
            f'font-size="14">{_esc(format_count(bar.value))}{_esc(share)}</text></g>'
        )
    if not bars:
        parts.append(f'<text x="8" y="28" fill="{TEXT}" font-size="14">\u2013</text>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    points: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    description: str,
    width: int = 640,
    height: int = 220,
) -> str:
    """Vertical columns (e.g. ballots per hour), each with its label below and count above.

    Raises:
        ValueError: a negative count or a malformed id.
    """
    _check_id(chart_id)
    if any(value < 0 for _, value in points):
        raise ValueError("column counts must be non-negative")
    bottom, top, left = 40, 24, 8
    plot_h = height - bottom - top
    slot = (width - 2 * left) / max(len(points), 1)
    largest = max((v for _, v in points), default=0)
    parts = _open_svg(chart_id, width, height, title, description)
    base = height - bottom
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="{TEXT}"/>')
    for i, (label, value) in enumerate(points):
        x = left + i * slot
        bar_h = 0 if largest == 0 else round(plot_h * value / largest)
        centre = round(x + slot / 2, 1)
        parts.append(
            f'<g class="column"><rect x="{round(x + slot * 0.15, 1)}" y="{base - bar_h}" '
            f'width="{round(slot * 0.7, 1)}" height="{bar_h}" fill="{COLOURS["yes"]}"/>'
            f'<text x="{centre}" y="{base - bar_h - 6}" text-anchor="middle" fill="{TEXT}" '
            f'font-size="12">{_esc(format_count(value))}</text>'
            f'<text x="{centre}" y="{base + 16}" text-anchor="middle" fill="{TEXT}" '
            f'font-size="12">{_esc(label)}</text></g>'
        )
    if not points:
        parts.append(f'<text x="{left}" y="{base - 8}" fill="{TEXT}" font-size="14">\u2013</text>')
    parts.append("</svg>")
    return "".join(parts)


def canton_grid(
    tiles: Mapping[str, CantonTile],
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: GridLabels | None = None,
) -> str:
    """The 26 cantons as a tile grid, each tile saying its code and Yes, No or no figures.

    Cantons missing from ``tiles`` are drawn as "no figures".

    Raises:
        ValueError: a canton code that is not one of the 26, or a malformed id.
    """
    _check_id(chart_id)
    unknown = sorted(set(tiles) - set(CANTON_TILES))
    if unknown:
        raise ValueError(f"not Swiss cantons: {unknown}")
    words = labels or GridLabels()
    size, gap, legend_h = 64, 6, 40
    cols = 1 + max(c for _, c in CANTON_TILES.values())
    rows = 1 + max(r for r, _ in CANTON_TILES.values())
    width = cols * (size + gap) + gap
    height = rows * (size + gap) + gap + legend_h
    parts = _open_svg(chart_id, width, height, title, description)
    parts.append(_patterns(chart_id))
    for code, (row, col) in sorted(CANTON_TILES.items(), key=lambda item: item[1]):
        tile = tiles.get(code, CantonTile(accepted=None))
        x, y = gap + col * (size + gap), gap + row * (size + gap)
        parts.append(_tile(chart_id, code, tile, x, y, size, words))
    parts.append(_legend(chart_id, height - legend_h + 8, words))
    parts.append("</svg>")
    return "".join(parts)


def _tile(
    chart_id: str, code: str, tile: CantonTile, x: int, y: int, size: int, words: GridLabels
) -> str:
    if tile.accepted is None:
        fill, ink, word, kind = COLOURS["none"], TEXT, words.none, "none"
    elif tile.accepted:
        fill, ink, word, kind = COLOURS["yes"], "#ffffff", words.yes, "yes"
    else:
        fill, ink, word, kind = f"url(#{chart_id}-hatch)", "#ffffff", words.no, "no"
    name = code + (f" ({words.half})" if tile.half else "")
    tooltip = " · ".join(t for t in (name, word, tile.detail) if t)
    mark = "\u00bd" if tile.half else ""
    # the word sits on a solid band so that it stays legible on the hatching
    band = COLOURS["no"] if kind == "no" else fill
    # a tile is 64 units wide: "no figures" (and its translations) would be cut, so a tile
    # without figures shows a dash, which the legend explains; yes and no are short words
    short = "\u2013" if kind == "none" else word
    return (
        f'<g class="tile tile-{kind}"><title>{_esc(tooltip)}</title>'
        f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="4" fill="{fill}" '
        f'stroke="{TEXT}" stroke-width="1"/>'
        f'<rect x="{x + 4}" y="{y + 6}" width="{size - 8}" height="22" fill="{band}"/>'
        f'<text x="{x + size / 2}" y="{y + 23}" text-anchor="middle" fill="{ink}" '
        f'font-size="16" font-weight="700">{_esc(code)}{mark}</text>'
        f'<rect x="{x + 4}" y="{y + 34}" width="{size - 8}" height="20" fill="{band}"/>'
        f'<text x="{x + size / 2}" y="{y + 49}" text-anchor="middle" fill="{ink}" '
        f'font-size="12">{_esc(short)}</text></g>'
    )


def _legend(chart_id: str, y: int, words: GridLabels) -> str:
    entries = [
        (COLOURS["yes"], words.yes),
        (f"url(#{chart_id}-hatch)", words.no),
        (COLOURS["none"], f"\u2013 {words.none}"),
    ]
    parts = ['<g class="legend">']
    x = 8
    for fill, word in entries:
        parts.append(
            f'<rect x="{x}" y="{y}" width="20" height="20" fill="{fill}" stroke="{TEXT}"/>'
            f'<text x="{x + 26}" y="{y + 15}" fill="{TEXT}" font-size="13">{_esc(word)}</text>'
        )
        x += 40 + 8 * len(word)
    parts.append(
        f'<text x="{x}" y="{y + 15}" fill="{TEXT}" font-size="13">'
        f"\u00bd = {_esc(words.half)}</text>"
    )
    parts.append("</g>")
    return "".join(parts)
