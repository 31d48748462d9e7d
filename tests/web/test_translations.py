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
    """Every message of the templates this catalog covers (citizen, observer and error
    pages, the home page and base)."""
    found = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "templates"), method_map=[("**.html", "jinja2")]
    ):
        if filename.startswith(("citizen/", "observer/", "base.html", "error.html", "home/")):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A message's text or its plural forms (``ngettext``), as a tuple."""
    return (value,) if isinstance(value, str) else tuple(value)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    source = {_forms(m.id): _forms(m.string) for m in _catalog(language) if m.id and m.string}
    compiled = {_forms(m.id): _forms(m.string) for m in _catalog(language, "messages.mo") if m.id}
    # an untranslated plural message is compiled as its own English forms (as is a word the
    # same in both languages): compare the texts that differ from the English
    source = {k: v for k, v in source.items() if any(v) and v != k}
    compiled = {k: v for k, v in compiled.items() if v != k}
    assert compiled == source, "run: pybabel compile -d translations (translations/README.md)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_citizen_message_is_translated(language: str) -> None:
    translated = {
        _forms(m.id)[0]
        for m in _catalog(language)
        if m.id and all(_forms(m.string)) and not m.fuzzy
    }
    missing = sorted(_citizen_messages() - translated)
    assert missing == [], f"untranslated in {language}: {missing[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    for message in _catalog(language):
        if message.id and message.string:
            expected = sorted(PLACEHOLDER.findall(_forms(message.id)[-1]))
            for form in _forms(message.string):  # each plural form names every placeholder
                assert sorted(PLACEHOLDER.findall(form)) == expected, message.id
