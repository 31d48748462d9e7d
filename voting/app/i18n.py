"""Languages of the citizen pages: Flask-Babel, the language switcher and localised texts.

Urna speaks German, French, Italian, English and Korean. A request's language
is, in order: the ``lang`` URL parameter (the switcher's links; it is then
remembered in the ``urna_lang`` cookie), that cookie, the browser's
``Accept-Language``, and English. Interface texts come from the gettext
catalogs in ``translations/`` (the compiled ``.mo`` files are committed;
``translations/README.md`` says how to update them, and a test checks that
they match the ``.po`` sources). Texts entered by officials (question titles,
explanations, option labels, unit names) are stored per language in the
models; :func:`localized` picks the request's language or falls back to
another one, and says which so that the page can mark it with ``lang``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask import Response
from flask import g
from flask import request
from flask_babel import Babel
from flask_babel import get_locale
from flask_babel import refresh

LANGUAGES = ("de", "fr", "it", "en", "ko")
"""Interface languages, in the switcher's order."""
LANGUAGE_NAMES = {
    "de": "Deutsch",
    "fr": "Français",
    "it": "Italiano",
    "en": "English",
    "ko": "한국어",
}
"""Each language's name in itself (the switcher shows these)."""
DEFAULT_LANGUAGE = "en"
COOKIE = "urna_lang"
COOKIE_SECONDS = 365 * 24 * 3600
FALLBACK_ORDER = ("en", "de", "fr", "it", "rm", "ko")
"""Where a text is missing in the request's language, the first of these that exists."""

babel = Babel()


def select_language() -> str:
    """The request's language: URL parameter, cookie, Accept-Language, English."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.urna_new_language = asked
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    for value, _quality in request.accept_languages:  # best first; "fr-CH" counts as "fr"
        primary = value.split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the current request (one of :data:`LANGUAGES`)."""
    locale = get_locale()
    return DEFAULT_LANGUAGE if locale is None else str(locale.language)


@dataclass(frozen=True)
class Localized:
    """A stored text in the best available language."""

    text: str
    lang: str
    foreign: bool
    """True when ``lang`` is not the page's language (mark the element with ``lang``)."""

    def __str__(self) -> str:
        return self.text


def localized(texts: Mapping[str, str] | None, fallback: str = "") -> Localized:
    """The text of ``texts`` in the request's language, else the first of :data:`FALLBACK_ORDER`.

    Args:
        texts: ``{"de": "...", "en": "..."}`` as stored in the models.
        fallback: shown (in the page's language) when ``texts`` is empty.
    """
    page = current_language()
    texts = texts or {}
    if texts.get(page):
        return Localized(texts[page], page, foreign=False)
    for language in (*FALLBACK_ORDER, *texts):
        if texts.get(language):
            return Localized(texts[language], language, foreign=True)
    return Localized(fallback, page, foreign=False)


def _remember_language(response: Response) -> Response:
    new = g.pop("urna_new_language", None)
    if new is not None:
        response.set_cookie(
            COOKIE,
            new,
            max_age=COOKIE_SECONDS,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def language_url(language: str) -> str:
    """This page's address in ``language`` (the other query parameters are kept)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', language)])}"


def _template_globals() -> dict[str, Any]:
    return {
        "languages": LANGUAGE_NAMES,
        "page_language": current_language(),
        "localized": localized,
        "language_url": language_url,
    }


def init_i18n(app: Flask, translations: str) -> None:
    """Bind Flask-Babel to ``app`` with the catalogs in the ``translations`` directory."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translations)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_language)
    # Flask-Babel caches the locale on ``g``, which outlives a request when an
    # app context is already pushed (tests, CLI): choose afresh per request.
    app.before_request(refresh)
    app.after_request(_remember_language)
    app.context_processor(_template_globals)
