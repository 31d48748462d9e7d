"""The gettext catalogs of translations/: complete, compiled, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from voting.app.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
TRANSLATED = [language for language in LANGUAGES if language != "en"]
"""English is the source language: its catalog is empty on purpose."""


def _catalog(language: str, name: str = "messages.po"):  # type: ignore[no-untyped-def]
    path = TRANSLATIONS / language / "LC_MESSAGES" / name
    with path.open("rb") as fh:
        return read_mo(fh) if name.endswith(".mo") else read_po(fh, locale=language)


def _citizen_messages() -> set[str]:
    """Every message of the templates this catalog covers (the citizen pages and base)."""
    found = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "templates"), method_map=[("**.html", "jinja2")]
    ):
        if filename.startswith(("citizen/", "base.html", "error.html", "home/")):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    source = {m.id: m.string for m in _catalog(language) if m.id and m.string}
    compiled = {m.id: m.string for m in _catalog(language, "messages.mo") if m.id}
    assert compiled == source, "run: pybabel compile -d translations (translations/README.md)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_citizen_message_is_translated(language: str) -> None:
    translated = {m.id for m in _catalog(language) if m.id and m.string and not m.fuzzy}
    missing = sorted(_citizen_messages() - translated)
    assert missing == [], f"untranslated in {language}: {missing[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    for message in _catalog(language):
        if message.id and message.string:
            expected = sorted(PLACEHOLDER.findall(message.id))
            assert sorted(PLACEHOLDER.findall(message.string)) == expected, message.id
