"""A citizen votes in Chromium: QR link, three tiers, one audit, cast, receipt, check.

The ballot the page encrypted is then checked by the Python verifier, as the
server logged it (crypto.ballot.verify_ballot), and so is the audited one.
"""

from __future__ import annotations

import json

import requests
from playwright.sync_api import Page
from playwright.sync_api import expect

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import verify_audit
from crypto.ballot import verify_ballot
from crypto.credentials import generate_code
from crypto.group import Point
from crypto.receipt import parse_tracking_code
from tests.browser.conftest import VOTE_DAY
from tests.browser.conftest import Site
from voting.app.extensions import db
from voting.models.elections import Election
from voting.models.jurisdictions import Jurisdiction
from voting.services.casting import questions_for_unit

WINTERTHUR = "quarter:10230"


def _logged(site: Site, leaf_hash: bytes) -> dict:  # type: ignore[type-arg]
    """The log record whose leaf hash is ``leaf_hash``, read through the public API."""
    api = f"{site.url}/api/logs/{VOTE_DAY}"
    proof = requests.get(
        f"{api}/proof/inclusion", params={"leaf_hash": leaf_hash.hex()}, timeout=10
    )
    proof.raise_for_status()
    entry = requests.get(f"{api}/entries/{proof.json()['index']}", timeout=10).json()
    return json.loads(entry["data"])


def _verify_in_python(
    site: Site,
    ballot_json: dict,  # type: ignore[type-arg]
    purpose: str = "cast",
) -> ElectionContext:
    with site.app.app_context():
        election = db.session.get_one(Election, VOTE_DAY)
        unit = db.session.query(Jurisdiction).filter_by(level="quarter", code="10230").one()
        questions = questions_for_unit(db.session, VOTE_DAY, unit)
        context = ElectionContext(
            VOTE_DAY, bytes.fromhex(election.manifest_hash), Point.from_hex(election.public_key)
        )
        db.session.remove()
    verify_ballot(
        Ballot.from_json(ballot_json), questions=questions, election=context, purpose=purpose
    )
    return context


def _choose(page: Page) -> None:
    """Answer with the keyboard only: focus a choice, press Space."""
    for choice in (
        "#q-bike-paths-0",  # yes
        "#q-housing-1",  # no
        "#q-housing-counter-0",  # yes
        "#q-housing-tiebreak-1",  # the counter-proposal
        "#q-zh-tax-law-blank",  # blank, explicitly
        "#q-winterthur-square-2",  # Töss Square
    ):
        page.focus(choice)
        page.keyboard.press("Space")
        expect(page.locator(choice)).to_be_checked()


def test_citizen_votes_audits_casts_and_checks_the_receipt(page: Page, site: Site) -> None:
    code = site.code(WINTERTHUR)
    page.goto(f"{site.url}/vote/{VOTE_DAY}#code={code}")  # (1) the voting card's QR link
    expect(page.locator("#ballot-heading")).to_be_focused()
    assert "code=" not in page.url, "the code is dropped from the address"
    tiers = page.locator("#ballot-form section.tier h4").all_inner_texts()
    assert [t.split(" (")[0] for t in tiers] == ["Switzerland", "Zurich", "Winterthur"]

    _choose(page)  # (2) three tiers, keyboard only, then review
    page.focus("#ballot-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#review-heading")).to_be_focused()
    review = page.locator("#review-list dd").all_inner_texts()
    assert review == ["Yes", "No", "Yes", "Counter-proposal", "Blank (no answer)", "Töss Square"]

    page.click("#encrypt")  # (3) encrypt and sign here, then audit once
    expect(page.locator("#sealed-heading")).to_be_focused()
    first = page.locator("#fingerprint").inner_text()
    page.click("#audit")  # asked first
    page.click("#audit-yes")
    expect(page.locator("#audit-verdict")).to_have_class("ok")
    expect(page.locator("#audit-posted")).to_contain_text("spoiled")
    audit = json.loads(page.locator("#audit-json").input_value())
    assert audit["secrets"]["selections"]["winterthur-square"] == [0, 0, 1]
    context = _verify_in_python(site, audit["ballot"], "audit")  # signed to be audited
    verify_audit(
        Ballot.from_json(audit["ballot"]),
        BallotSecrets.from_json(audit["secrets"]),
        election=context,
    )
    spoiled_code = page.locator("#audit-posted").get_attribute("data-tracking-code")
    replay = requests.post(  # the audited form is never castable
        f"{site.url}/api/vote-days/{VOTE_DAY}/ballots", json=audit["ballot"], timeout=10
    )
    assert replay.status_code == 400 and replay.json()["error"] == "bad_signature"

    page.click("#fresh")  # (4) a fresh encryption, cast
    expect(page.locator("#sealed-heading")).to_be_focused()
    assert page.locator("#fingerprint").inner_text() != first
    page.click("#cast")
    page.wait_for_url(f"{site.url}/vote/{VOTE_DAY}/receipt/*")
    expect(page.locator("#receipt-status")).to_have_class("status ok", timeout=20_000)
    tracking = page.locator("#tracking-code").inner_text()

    leaf_hash = parse_tracking_code(tracking)  # (5) the Python verifier on what was logged
    record = _logged(site, leaf_hash)
    assert record["type"] == "ballot"
    _verify_in_python(site, record["ballot"])
    assert _logged(site, parse_tracking_code(str(spoiled_code)))["type"] == "spoiled"

    page.click("text=Check this receipt")  # (6) check the receipt in the browser
    counted = page.locator("#check-result p.ok")
    expect(counted).to_contain_text("the one counted for its voting code")
    expect(page.locator("#check-result")).to_contain_text(f"{tracking} is entry")
    page.goto(f"{site.url}/vote/{VOTE_DAY}/check?code={spoiled_code}")  # (7) the audited one
    expect(page.locator("#check-result p.notice")).to_have_text("Audited — not counted.")
    expect(page.locator("#check-result")).to_contain_text("belongs to an audited ballot")
    expect(page.locator("#check-result p.ok")).to_have_count(0)


def test_mistyped_and_unknown_codes_are_explained_at_the_field(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/vote/{VOTE_DAY}?lang=de")
    code = site.code(WINTERTHUR, 1)
    typo = code[:-1] + ("A" if code[-1] != "A" else "B")  # the check symbol catches it
    page.fill("#code", typo)
    page.keyboard.press("Enter")
    expect(page.locator("#code-error")).to_contain_text("Tippfehler")
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    page.fill("#code", code[:-2])  # too short: says how many were typed
    page.keyboard.press("Enter")
    expect(page.locator("#code-error")).to_contain_text("Sie haben 20 eingegeben")
    page.fill("#code", "O" + code[1:])  # a look-alike no card has: named
    page.keyboard.press("Enter")
    expect(page.locator("#code-error")).to_contain_text("«O»")
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#code")).to_be_focused()
    page.fill("#code", generate_code())  # well-formed, not registered
    page.keyboard.press("Enter")
    expect(page.locator("#code-error")).to_contain_text("nicht registriert")
    page.fill("#code", code.lower().replace("-", " "))  # case and spacing do not matter
    page.keyboard.press("Enter")
    expect(page.locator("#ballot-heading")).to_be_focused()
    expect(page.locator("#code-error")).to_be_hidden()


def test_a_refused_cast_is_explained_in_the_page_language(page: Page, site: Site) -> None:
    """The server's English message stays out of a French page: its stable code is named."""
    page.route(
        f"{site.url}/api/vote-days/{VOTE_DAY}/ballots",
        lambda route: route.fulfill(
            status=400, json={"error": "invalid_proof", "message": "range proof of q0"}
        ),
    )
    page.goto(f"{site.url}/vote/{VOTE_DAY}?lang=fr#code={site.code(WINTERTHUR, 13)}")
    expect(page.locator("#ballot-heading")).to_be_focused()
    page.click("#ballot-form button[type=submit]")  # all blank: warned, may still go on
    page.click("#encrypt")
    expect(page.locator("#sealed-heading")).to_be_focused()
    page.click("#cast")
    expect(page.locator("#alert")).to_have_text(
        "Le serveur a refusé ce bulletin (invalid_proof) : rien n’a été déposé. Rechargez la "
        "page et votez à nouveau ; si cela se reproduit, utilisez un autre appareil ou votez "
        "par correspondance."
    )
