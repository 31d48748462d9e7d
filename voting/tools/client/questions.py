"""``python -m voting.client questions``: what a vote day asks, in the voter's language.

The questions come from the vote day's manifest (``GET /api/vote-days/<id>/manifest``,
public once the vote day has opened): each question's id and options are what
``vote --answer QUESTION=OPTION`` takes; its title is shown in the chosen language,
or, when the manifest has no text in that language, in the first of English,
German, French, Italian, Romansh and Korean that it has (marked with the language).
With a voting code, only the questions on that voter's ballot are listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

__all__ = ["FALLBACK", "format_questions", "text_in"]

FALLBACK = ("en", "de", "fr", "it", "rm", "ko")


def text_in(texts: Mapping[str, str] | None, lang: str) -> str:
    """``texts`` in ``lang``, else in the first fallback language it has, marked ``[xx]``."""
    texts = texts or {}
    if texts.get(lang):
        return texts[lang]
    for other in (*FALLBACK, *sorted(texts)):
        if texts.get(other):
            return f"{texts[other]} [{other}]"
    return ""


def format_questions(
    manifest: Mapping[str, Any], lang: str, only: Iterable[str] | None = None
) -> str:
    """The questions of ``manifest`` by jurisdiction, as a voter reads them before voting."""
    wanted = None if only is None else set(only)
    units = {u["ref"]: u for u in manifest.get("jurisdictions", [])}
    lines = [f"{text_in(manifest.get('titles'), lang)} ({manifest.get('vote_day')})"]
    current = None
    for q in manifest.get("questions", []):
        if wanted is not None and q["id"] not in wanted:
            continue
        if q["jurisdiction"] != current:
            current = q["jurisdiction"]
            name = text_in(units.get(current, {}).get("names"), lang) or current
            lines += ["", f"{name} ({current})"]
        lines.append(f"  {q['id']}: {text_in(q.get('titles'), lang)}")
        low, high = q.get("min_selections", 0), q.get("max_selections", 1)
        choose = "choose one" if high == 1 else f"choose {low} to {high}"
        blank = ", or leave it blank" if low == 0 else ""
        lines.append(f"      options: {', '.join(q['options'])}  ({choose}{blank})")
    if current is None:
        lines += ["", "no questions"]
    lines += [
        "",
        "Answer with: python -m voting.client vote ... --answer QUESTION=OPTION "
        "(once per question; QUESTION=blank leaves it blank).",
    ]
    return "\n".join(lines)
