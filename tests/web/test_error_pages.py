"""The error page says what went wrong in the reader's language (templates/error.html).

Domain errors carry an English reason (services know nothing of the request's
language): the page shows it as a detail marked ``lang="en"``; werkzeug's stock
English description is not shown at all. API requests keep their JSON.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from voting.app.i18n import COOKIE

NOT_FOUND = {
    "de": "Seite nicht gefunden",
    "fr": "Page introuvable",
    "it": "Pagina non trovata",
    "en": "Page not found",
    "ko": "페이지를 찾을 수 없습니다",
}


@pytest.mark.parametrize("language", NOT_FOUND)
def test_a_domain_404_is_explained_in_the_language_with_the_reason_marked_english(
    client: FlaskClient, language: str
) -> None:
    client.set_cookie(COOKIE, language)
    response = client.get("/observe/no-such-day/")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f'<html lang="{language}">' in page
    assert f"<h1>{NOT_FOUND[language]}</h1>" in page
    reason = re.search(r'<p class="error-detail">[^<]*<span( lang="en")?>([^<]*)</span>', page)
    assert reason is not None, page
    assert "no-such-day" in reason.group(2)
    assert (reason.group(1) is None) == (language == "en")  # marked only where it is foreign


def test_an_unknown_address_shows_no_stock_english_text(client: FlaskClient) -> None:
    page = client.get("/no/such/page?lang=de").get_data(as_text=True)
    assert "<h1>Seite nicht gefunden</h1>" in page
    assert "requested URL was not found" not in page and "error-detail" not in page


def test_a_wrong_method_is_explained(client: FlaskClient) -> None:
    response = client.post("/observe/verify?lang=fr")
    assert response.status_code == 405
    assert "Impossible à cette adresse" in response.get_data(as_text=True)


def test_the_query_reaches_the_page_escaped(client: FlaskClient) -> None:
    """A stranger's crafted address: the reason quotes it, as text, never as markup."""
    page = client.get("/observe/%3Cscript%3Ex%3C%2Fscript%3E/").get_data(as_text=True)
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_api_errors_stay_json(client: FlaskClient) -> None:
    response = client.get("/api/does-not-exist?lang=de")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
