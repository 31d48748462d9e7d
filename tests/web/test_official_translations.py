"""The officials', login and registrar pages and their messages in every catalog (issue 17).

Every message of templates/officials, templates/auth, templates/registrar and of
the views behind them (flashes, refusals, form labels) is translated in de, fr,
it and ko; and a page asked for in a language is served in it, with its
dates in that language's form (Flask-Babel) and the schedule in the browser's
``datetime-local`` inputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tests.fixtures_casting import OpenVoteDay
from tests.official_actions import OfficialActions
from voting.app.config import default_config
from voting.app.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in LANGUAGES if language != "en"]
OFFICIAL_TEMPLATES = ("officials/", "auth/", "registrar/")
OFFICIAL_VIEWS = (
    "official_pages.py",
    "official_lifecycle.py",
    "official_questions.py",
    "official_counts.py",
    "official_forms.py",
    "_official_common.py",
    "auth.py",
    "registrar.py",
)
DAY = "2026-06-14-ch"
PAGE = f"/officials/vote-days/{DAY}"
OFFICER = "returning_officer:nation:CH"


def _official_messages() -> set[str]:
    found = set()
    templates = extract_from_dir(str(ROOT / "templates"), method_map=[("**.html", "jinja2")])
    for filename, _line, message, _comments, _context in templates:
        if filename.startswith(OFFICIAL_TEMPLATES):
            found.add(message if isinstance(message, str) else message[0])
    views = extract_from_dir(str(ROOT / "voting" / "views"), method_map=[("*.py", "python")])
    for filename, _line, message, _comments, _context in views:
        if filename in OFFICIAL_VIEWS:
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_official_pages_have_messages_to_translate() -> None:
    messages = _official_messages()
    assert {"Vote days", "Opens at", "Wrong user name or password."} <= messages
    assert len(messages) > 250


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_official_message_is_translated(language: str) -> None:
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_official_messages() - translated)
    assert missing == [], f"untranslated in {language}: {missing[:5]}"


def test_the_schedule_is_typed_in_native_inputs_and_shown_in_the_page_language(
    prepare_vote_day: Callable[..., OpenVoteDay], official_actions: OfficialActions
) -> None:
    prepare_vote_day(open_it=False)
    official_actions.log_in_as(OFFICER)
    official_actions.client.get(f"{PAGE}?lang=de")  # the switcher's cookie
    times = {"opens_at": "2099-06-14T08:00", "closes_at": "2099-06-14T18:30"}
    saved = official_actions.post(f"{PAGE}/lifecycle/schedule", {**times, "zone": "Europe/Zurich"})
    assert saved.status_code == 303
    page = official_actions.client.get(PAGE).get_data(as_text=True)
    assert '<html lang="de">' in page and "Zeitplan gespeichert." in page
    # the browser's own date-time inputs, filled in with ISO values in the site's time zone
    for name, value in times.items():
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert tag is not None, name
        assert 'type="datetime-local"' in tag.group(0) and f'value="{value}"' in tag.group(0)
    # shown the German way (14.06.2099, 08:00), the zone said next to them
    assert "14.06.2099, 08:00" in page and "18:30" in page and "Zeitzone Europe/Zurich" in page
    assert "Zeitzone dieser Zeiten" in page
    korean = official_actions.client.get(f"{PAGE}?lang=ko").get_data(as_text=True)
    assert "2099. 6. 14." in korean and "시간대 Europe/Zurich" in korean


def test_a_refusal_is_said_in_the_page_language_with_the_service_words_marked_english(
    prepare_vote_day: Callable[..., OpenVoteDay], official_actions: OfficialActions
) -> None:
    prepare_vote_day(open_it=False)
    official_actions.log_in_as(OFFICER)
    official_actions.client.get(f"{PAGE}?lang=fr")  # the switcher's cookie
    times = {"opens_at": "2099-06-14T08:00", "closes_at": "2099-06-14T18:30"}
    official_actions.post(f"{PAGE}/lifecycle/schedule", {**times, "zone": "Europe/Zurich"})
    refused = official_actions.post(f"{PAGE}/lifecycle/open")  # scheduled for 2099
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and '<html lang="fr">' in page
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S)
    assert alert is not None
    assert alert.group(1).startswith("Rien n’a été fait")
    assert re.search(r'<span class="detail" lang="en">\(.*scheduled time', alert.group(1))
    unticked = official_actions.post(f"{PAGE}/lifecycle/close").get_data(as_text=True)
    assert "Rien n’a été fait" in unticked


def test_login_refusals_in_the_page_language(
    client: FlaskClient, official_actions: OfficialActions
) -> None:
    official_actions.create("alice")
    client.get("/login?lang=ko")
    refused = official_actions.log_in("alice", "not the password")
    assert refused.status_code == 401
    assert "사용자 이름 또는 비밀번호가 틀렸습니다." in refused.get_data(as_text=True)


def test_a_misspelt_site_time_zone_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("URNA_SECRET_KEY", "not written to the instance folder")
    monkeypatch.setenv("URNA_TIME_ZONE", "Europe/Zürich")
    with pytest.raises(ValueError, match="URNA_TIME_ZONE='Europe/Zürich' is not an IANA time zone"):
        default_config(tmp_path)
    monkeypatch.setenv("URNA_TIME_ZONE", "Asia/Seoul")
    assert default_config(tmp_path)["BABEL_DEFAULT_TIMEZONE"] == "Asia/Seoul"
