"""The observers' pages: vote days, log explorer, results with SVG charts, downloads, verify help.

One simulated vote day is built through the services (the demo vote day:
ceremony, credentials, opening, five ballots on three tiers, closing, the
tally decrypted by two of three local trustees, publication) and checked
through the public pages: figures, proofs that verify, a record that the
verifier accepts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from crypto import merkle
from tests.fixtures_casting import OpenVoteDay
from tests.voting.tally_helpers import ELSAU
from tests.voting.tally_helpers import WINTERTHUR
from tests.voting.tally_helpers import close_and_start
from tests.voting.tally_helpers import decrypt_as
from tests.voting.tally_helpers import vote
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import build_published_record
from voting.log import bulletin
from voting.models.elections import CastBallot
from voting.rehearsal.demo import load_demo
from voting.services import results as results_service
from voting.tools.verify import Options
from voting.tools.verify import verify_record

DAY = "2026-06-14-ch"
BASE = f"/observe/{DAY}"
BALLOTS = [
    (
        WINTERTHUR,
        0,
        {
            "bike-paths": ["yes"],
            "housing": ["yes"],
            "housing-counter": ["yes"],
            "housing-tiebreak": ["counter"],
            "zh-tax-law": ["yes"],
            "winterthur-square": ["eulach"],
        },
    ),
    (WINTERTHUR, 1, {"bike-paths": ["yes"], "zh-tax-law": ["no"], "housing": ["no"]}),
    (WINTERTHUR, 2, {"bike-paths": ["no"]}),
    (ELSAU, 0, {"bike-paths": ["no"], "housing-counter": ["yes"]}),
    (ELSAU, 1, {"bike-paths": ["yes"]}),
]


def simulate_vote_day(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], *, publish: bool = True
) -> OpenVoteDay:
    """The demo vote day voted, closed, tallied by two of three trustees and (by default) published.

    Bike paths: 3 yes, 2 no, all in Zurich (Winterthur 2:1, Elsau 1:1).
    """
    prepared = prepare_vote_day(voters={WINTERTHUR: 3, ELSAU: 2})
    for unit, n, answers in BALLOTS:
        vote(app, prepared, unit, n, answers)
    close_and_start(app, prepared)
    decrypt_as(app, prepared, "alice", "bob")
    if publish:  # as an official's "publish" does: log the results, build the record
        results_service.publish_results(db.session, DAY, signing=log_signing(app))
        assert build_published_record(DAY) is not None
    return prepared


@pytest.fixture()
def published(app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]) -> OpenVoteDay:
    return simulate_vote_day(app, prepare_vote_day)


def text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


# -- vote days --------------------------------------------------------------------------


def test_drafts_are_not_public(app: Flask, client: FlaskClient) -> None:
    list(load_demo())
    assert DAY not in text(client, "/observe/")
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/log/").status_code == 404
    assert client.get("/observe/no-such-day/results").status_code == 404


def test_an_open_vote_day_has_a_log_but_no_results_yet(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], client: FlaskClient
) -> None:
    prepare_vote_day()
    assert DAY in text(client, "/observe/")
    page = text(client, f"{BASE}/")
    origin = f"urna.local/log/{DAY}"
    key = str(log_signing(app).verifier_key(origin))
    assert key in page and "appear here once the vote day is tallied" in page
    results = text(client, f"{BASE}/results")
    assert "exist once the vote day is tallied" in results and "<svg" not in results
    assert client.get(f"{BASE}/results-sd-t-17-02.json").status_code == 409


# -- results ----------------------------------------------------------------------------


def test_results_per_tier_with_charts_tables_and_the_canton_grid(
    published: OpenVoteDay, client: FlaskClient
) -> None:
    page = text(client, f"{BASE}/results?lang=en")
    assert "Published: these are the result records on the log" in page
    assert "Federal decree on cycle paths (mandatory referendum)" in page
    # one bar chart per question, accessible
    assert page.count('class="chart" id="q') >= 6
    assert re.search(r'<svg[^>]+role="img"[^>]+aria-labelledby="q1-bars-title q1-bars-desc"', page)
    assert '<desc id="q1-bars-desc">Votes in Switzerland: Yes 3, No 2' in page
    # the bike paths: 3 yes of 5 votes nationally; Zurich says yes (3:2), the other cantons tie
    assert "3 (60.0\u202f%)" in page and "2 (40.0\u202f%)" in page
    assert '<g class="tile tile-yes"><title>ZH' in page
    assert '<g class="tile tile-no"><title>BE · No · yes 0, no 0 (no votes: a tie rejects)' in page
    assert '<g class="tile tile-none"><title>GE · no figures' in page
    assert "AI (half-canton)" in page
    # tables per tier, with captions and header cells
    assert '<caption class="visually-hidden">Cantons: Federal decree on cycle paths' in page
    assert '<caption class="visually-hidden">Municipalities: Federal decree on cycle' in page
    assert '<th scope="col">Turnout</th>' in page and '<th scope="row">Winterthur</th>' in page
    # each outcome in one sentence; shares of the valid votes, blanks apart
    assert re.search(r"Rejected: 60\.0\u202f% yes; 1 of \S+ cantons\.", page), page
    assert "Blank" in page
    # the consultation of Winterthur has a chart but no canton grid
    assert 'id="q6-cantons"' not in page


def test_results_in_another_language(published: OpenVoteDay, client: FlaskClient) -> None:
    page = text(client, f"{BASE}/results?lang=de")
    assert "Bundesbeschluss über die Velowege" in page
    assert re.search(r"Abgelehnt: 60,0\u202f% Ja; 1 von \S+ Ständen\.", page)
    assert '<th scope="col">Stimmberechtigte</th>' in page


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [("fr", "Rejeté : 60,0\u202f% de oui"), ("it", "Respinto: 60,0\u202f% di sì"),
     ("ko", "부결: 찬성 60.0\u202f%")],
)  # fmt: skip
def test_the_language_cookie_sets_the_results_language_and_the_switcher_agrees(
    published: OpenVoteDay, client: FlaskClient, lang: str, sentence: str
) -> None:
    """The observer pages follow the chosen language (the cookie the switcher sets), not only
    ``?lang=``: texts, outcome and the switcher's current language agree."""
    client.get(f"{BASE}/results?lang={lang}")  # the switcher's link remembers the language
    page = text(client, f"{BASE}/results")
    assert sentence in page
    assert f'<html lang="{lang}">' in page


def test_results_csv_download(published: OpenVoteDay, client: FlaskClient) -> None:
    response = client.get(f"{BASE}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="{DAY}-results.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "question", "unit", "electorate", "ballots_cast", "answer", "votes", "percent_of_valid"
    ]  # fmt: skip
    national = [r for r in rows if r[0] == "bike-paths" and r[1] == "nation:CH"]
    assert [r[4:] for r in national][:2] == [["yes", "3", "60.00"], ["no", "2", "40.00"]]
    assert national[-1][4] == "invalid"


def test_bfs_download(published: OpenVoteDay, client: FlaskClient) -> None:
    response = client.get(f"{BASE}/results-sd-t-17-02.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{DAY}-sd-t-17-02.json"'
    )
    document = response.get_json()
    vorlagen = document["schweiz"]["vorlagen"]
    assert document["abstimmtag"] == "20260614"
    assert vorlagen[0]["resultat"]["jaStimmenAbsolut"] == 3


def test_record_download_verifies(
    published: OpenVoteDay, client: FlaskClient, tmp_path: Path
) -> None:
    response = client.get(f"{BASE}/record.zip")
    response.get_data()
    response.close()  # the record is sent from its file
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f'filename="{DAY}-record.zip"' in response.headers["Content-Disposition"]
    path = tmp_path / "record.zip"
    path.write_bytes(response.get_data())
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        assert {"entries.jsonl", "checkpoint.txt", "log-key.txt", "record.json"} <= set(
            archive.namelist()
        )
    report = verify_record(path, Options(jobs=1, witnesses=0))
    assert report.valid, report.to_text()


# -- log explorer -----------------------------------------------------------------------


def _hashes(page: str, after: str) -> list[bytes]:
    section = page.split(after, 1)[1].split("</ol>", 1)[0]
    return [
        bytes.fromhex(h) for h in re.findall(r'<code class="hash">([0-9a-f]{64})</code>', section)
    ]


def _sign_checkpoint(app: Flask) -> None:
    """A checkpoint of the whole log now (the log otherwise signs at most once a second)."""
    bulletin.issue_checkpoint(db.session, DAY, log_signing(app), interval=dt.timedelta(0))


def test_log_overview_entry_and_inclusion_proof(
    app: Flask, published: OpenVoteDay, client: FlaskClient
) -> None:
    _sign_checkpoint(app)
    size = bulletin.log_size(db.session, DAY)
    page = text(client, f"{BASE}/log/")
    assert "Latest checkpoint" in page and f"urna.local/log/{DAY}" in page
    assert f"{size} entries</dd>" in page
    assert "<td>key-ceremony</td>" in page and "<td>trustee-commitment</td>" in page
    entry = text(client, f"{BASE}/log/entries/3")
    assert "&#34;type&#34;: &#34;trustee-commitment&#34;" in entry
    leaf = re.search(r'<code class="hash" id="leaf-hash">(\w+)', entry)
    root = re.search(r'<code class="hash" id="proof-root">(\w+)', entry)
    assert leaf and root, entry
    assert f"tree of the latest checkpoint (size {size})" in entry
    proof = _hashes(entry, 'id="inclusion-proof"')
    merkle.verify_inclusion(
        bytes.fromhex(leaf.group(1)), 3, size, proof, bytes.fromhex(root.group(1))
    )
    first_ballot = min(db.session.scalars(sa.select(CastBallot.leaf_index)))
    assert "<td>ballot</td>" in text(client, f"{BASE}/log/?start={first_ballot}")
    assert "<td>published</td>" in text(client, f"{BASE}/log/?start={size - 1}")
    assert client.get(f"{BASE}/log/entries/{size + 5}").status_code == 404
    assert client.get(f"{BASE}/log/?start=abc").status_code == 400


def test_consistency_proof_page_verifies(
    app: Flask, published: OpenVoteDay, client: FlaskClient
) -> None:
    _sign_checkpoint(app)
    page = text(client, f"{BASE}/log/consistency?old=5")
    roots = re.findall(r'Root at size \d+</dt><dd><code class="hash">(\w+)</code>', page)
    new = int(re.search(r'name="new" type="number" min="0" max="\d+" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    proof = _hashes(page, 'id="consistency-proof"')
    merkle.verify_consistency(5, new, proof, bytes.fromhex(roots[0]), bytes.fromhex(roots[1]))
    assert client.get(f"{BASE}/log/consistency?old=-1").status_code == 400
    assert "Older size" in text(client, f"{BASE}/log/consistency")


def test_checkpoint_pages(published: OpenVoteDay, client: FlaskClient) -> None:
    listing = text(client, f"{BASE}/log/checkpoints")
    sizes = [int(s) for s in re.findall(r"<h2 id=\"cp-(\d+)\">", listing)]
    assert sizes and sizes == sorted(sizes, reverse=True)
    one = text(client, f"{BASE}/log/checkpoints/{sizes[0]}")
    assert f"Checkpoint of size {sizes[0]}" in one and "— urna.local/log/" in one
    assert "none yet" in one  # no witness cosigned in this test
    assert client.get(f"{BASE}/log/checkpoints/999999").status_code == 404


# -- verify help ------------------------------------------------------------------------


def test_verify_page_explains_the_command_line_verifier(
    published: OpenVoteDay, client: FlaskClient
) -> None:
    page = text(client, f"/observe/verify?vote_day={DAY}")
    assert "python -m voting.verify record.zip" in page and "--log-key" in page
    assert f"/observe/{DAY}/record.zip" in page
    assert "<caption>Exit codes of the verifier</caption>" in page
    assert json.dumps(DAY)[1:-1] in text(client, "/observe/verify")
    # real commands: no literal ellipsis, the log key this server signs with, spelt out
    assert "…" not in page and "git clone" not in page
    key = re.search(r"--log-key '(urna\.local/log/2026-06-14-ch\+[0-9a-f]{8}\+[^' ]+)'", page)
    assert key is not None, page
    assert f"<pre><code>{key.group(1)}</code></pre>" in page
