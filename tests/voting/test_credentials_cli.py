"""The registrar: offline generation (list, cards PDF, QR codes) and the list upload."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
import zxingcpp
from flask.testing import FlaskCliRunner
from nacl.signing import SigningKey

from crypto.credentials import derive_credential
from crypto.credentials import normalise_code
from crypto.ed25519 import check_public_key
from crypto.testing import deterministic_rng
from tests.small_tree import make_tree
from voting.errors import CredentialsFrozen
from voting.errors import InvalidCredentialList
from voting.errors import UnknownCredential
from voting.errors import VoteDayNotFound
from voting.models.credentials import Credential
from voting.models.jurisdictions import Jurisdiction
from voting.registrar.cards import qr_runs
from voting.registrar.generate import UnitSpec
from voting.registrar.generate import generate
from voting.services import credentials
from voting.services.votedays import create_vote_day
from voting.services.votedays import set_status

DAY = "2026-03-08-ch"
BASE = "https://vote.example.ch"


@pytest.fixture()
def units_file(tmp_path: Path) -> Path:
    path = tmp_path / "units.json"
    units = {
        "quarter:10261": 3,
        "municipality:351": {"voters": 2, "lang": "fr", "name": "Bern"},
        "quarter:10262": {"voters": 1, "lang": "ko"},
    }
    path.write_text(json.dumps(units))
    return path


@pytest.fixture()
def generated(runner: FlaskCliRunner, units_file: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    result = runner.invoke(
        args=[
            "credentials",
            "generate",
            "--vote-day",
            DAY,
            "--units",
            str(units_file),
            "--out",
            str(out),
            "--base-url",
            BASE,
            "--codes-file",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "6 cards in 3 units" in result.output
    return out


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture()
def tree(db_session: so.Session) -> dict[str, Jurisdiction]:
    units = make_tree(db_session)
    create_vote_day(db_session, vote_day_id=DAY, date=dt.date(2026, 3, 8), titles={"de": "Test"})
    return units


def stored_rows(session: so.Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Credential)) or 0


# -- offline generation ------------------------------------------------------------


def test_offline_generation_writes_list_cards_and_codes(generated: Path) -> None:
    public = read_json(generated / f"credentials-{DAY}.json")
    cards = read_json(generated / f"codes-{DAY}.json")["cards"]
    codes: dict[str, list[str]] = {}
    for card in cards:
        codes.setdefault(card["unit"], []).append(card["code"])
    assert public["vote_day"] == DAY
    assert {u: len(k) for u, k in public["units"].items()} == {
        "quarter:10261": 3,
        "municipality:351": 2,
        "quarter:10262": 1,
    }
    for unit, keys in public["units"].items():
        assert keys == sorted(keys)
        derived = sorted(derive_credential(c, DAY).public_key.hex() for c in codes[unit])
        assert derived == keys  # every key comes from a code of its own unit
        for key in keys:
            check_public_key(bytes.fromhex(key))  # an Ed25519 key, not a group element
        for code in codes[unit]:
            normalise_code(code)  # check symbol right
    assert stat.S_IMODE((generated / f"cards-{DAY}.pdf").stat().st_mode) == 0o600
    assert stat.S_IMODE((generated / f"codes-{DAY}.json").stat().st_mode) == 0o600


def test_cards_pdf_has_one_page_per_voter_and_qr_codes_decode(generated: Path) -> None:
    in_order = [card["code"] for card in read_json(generated / f"codes-{DAY}.json")["cards"]]
    pdf = pdfium.PdfDocument(str(generated / f"cards-{DAY}.pdf"))
    try:
        assert len(pdf) == len(in_order) == 6
        for index in (0, 3, 5):  # German, French and Korean cards
            page = pdf[index]
            text = page.get_textpage().get_text_range()
            assert in_order[index] in text  # the code, printed in its groups
            found = zxingcpp.read_barcodes(page.render(scale=2).to_pil())
            assert [b.text for b in found] == [f"{BASE}/vote/{DAY}#code={in_order[index]}"]
        assert "Stimmrechtsausweis" in pdf[0].get_textpage().get_text_range()
        assert "Carte de vote" in pdf[3].get_textpage().get_text_range()
    finally:
        pdf.close()
    raw = (generated / f"cards-{DAY}.pdf").read_bytes()
    assert f"/vote/{DAY}#code=".encode() in raw  # the link annotation carries the fragment


def test_qr_runs_cover_exactly_the_dark_modules() -> None:
    size, runs = qr_runs(f"{BASE}/vote/{DAY}#code=AAAA")
    assert size == 33  # version 4 at level M
    assert all(0 <= x and x + n <= size and 0 <= y < size for y, x, n in runs)
    assert runs[0] == (0, 0, 7)  # the top-left finder pattern's first row


def test_codes_file_is_off_by_default_and_nothing_is_overwritten(
    runner: FlaskCliRunner, units_file: Path, tmp_path: Path
) -> None:
    args = ["credentials", "generate", "--vote-day", DAY, "--units", str(units_file)]
    args += ["--out", str(tmp_path / "o"), "--base-url", BASE]
    assert runner.invoke(args=args).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        f"cards-{DAY}.pdf",
        f"credentials-{DAY}.json",
    ]
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "exists already" in again.output


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ({"quarter:10261": 0}, "whole number from 1"),
        ({"quarter:10261": True}, "whole number from 1"),
        ({"quarter:10261": {"voters": 2, "lang": "rm"}}, "card language"),
        ({"quarter:10261": {"voters": 2, "colour": "red"}}, "unknown fields"),
        ([], "JSON object"),
    ],
)
def test_bad_units_files(
    runner: FlaskCliRunner, tmp_path: Path, units: object, message: str
) -> None:
    path = tmp_path / "units.json"
    path.write_text(json.dumps(units))
    result = runner.invoke(
        args=[
            "credentials",
            "generate",
            "--vote-day",
            DAY,
            "--units",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--base-url",
            BASE,
        ]
    )
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_generation_refuses_bad_arguments(tmp_path: Path) -> None:
    unit = [UnitSpec("quarter:10261", 1, "Kreis 1")]
    for kwargs, message in [
        ({"vote_day": "Not A Slug"}, "slug"),
        ({"base_url": "javascript:alert(1)"}, "base URL"),
        ({"base_url": "https://x.example/#frag"}, "base URL"),
        ({"lang": "xx"}, "card language"),
        ({"units": unit + unit}, "named twice"),
    ]:
        arguments: dict[str, Any] = {
            "vote_day": DAY,
            "units": unit,
            "out_dir": tmp_path / "o",
            "base_url": BASE,
            "title": "T",
        }
        with pytest.raises(InvalidCredentialList, match=message):
            generate(**{**arguments, **kwargs})


def test_generation_is_deterministic_with_an_injected_rng(tmp_path: Path) -> None:
    units = [UnitSpec("quarter:10261", 2, "Kreis 1")]
    lists = []
    for name in ("a", "b"):
        result = generate(
            vote_day=DAY,
            units=units,
            out_dir=tmp_path / name,
            base_url=BASE,
            title="T",
            rng=deterministic_rng(b"cards"),
        )
        lists.append(result.list_path.read_bytes())
    assert lists[0] == lists[1]


def test_generate_from_the_database(
    runner: FlaskCliRunner, tree: dict[str, Jurisdiction], tmp_path: Path, db_session: so.Session
) -> None:
    for ref, count in [("quarter:10261", 2), ("quarter:10262", 1), ("municipality:351", 1)]:
        tree[ref].electorate = count
    db_session.commit()
    result = runner.invoke(
        args=[
            "credentials",
            "generate",
            "--vote-day",
            DAY,
            "--units",
            "db",
            "--out",
            str(tmp_path / "o"),
            "--base-url",
            BASE,
        ]
    )
    assert result.exit_code == 0, result.output
    public = read_json(tmp_path / "o" / f"credentials-{DAY}.json")
    assert {u: len(k) for u, k in public["units"].items()} == {
        "municipality:351": 1,
        "quarter:10261": 2,
        "quarter:10262": 1,
    }
    # and what was generated uploads as it is
    upload = runner.invoke(
        args=["credentials", "upload", str(tmp_path / "o" / f"credentials-{DAY}.json")]
    )
    assert upload.exit_code == 0, upload.output
    assert "stored 4 credentials in 3 units" in upload.output
    assert credentials.credential_list(db_session, DAY) == public


# -- upload ----------------------------------------------------------------------------


def keys(n: int, seed: bytes = b"k") -> list[str]:
    return sorted(
        bytes(SigningKey(seed.ljust(31, b"_") + bytes([i])).verify_key).hex() for i in range(n)
    )


def test_upload_stores_and_looks_up(db_session: so.Session, tree: dict[str, Jurisdiction]) -> None:
    document = {"vote_day": DAY, "units": {"quarter:10261": keys(3), "351": keys(2, b"j")}}
    stored = credentials.store_credential_list(db_session, document, vote_day_id=DAY)
    assert stored.counts == {"quarter:10261": 3, "municipality:351": 2}
    assert credentials.credential_counts(db_session, DAY) == stored.counts
    key = keys(2, b"j")[1]
    assert credentials.unit_of_credential(db_session, DAY, key).ref == "municipality:351"
    with pytest.raises(UnknownCredential):
        credentials.unit_of_credential(db_session, DAY, keys(1, b"x")[0])
    canonical = credentials.credential_list(db_session, DAY)
    assert canonical["units"]["municipality:351"] == keys(2, b"j")


SMALL_ORDER = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"
NON_CANONICAL = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ({"quarter:10261": [keys(1)[0][:62]]}, "not a valid Ed25519 public key"),
        ({"quarter:10261": [keys(1)[0].upper()]}, "not a valid Ed25519 public key"),
        ({"quarter:10261": [SMALL_ORDER]}, "not a valid Ed25519 public key"),
        ({"quarter:10261": [NON_CANONICAL]}, "not a valid Ed25519 public key"),
        ({"quarter:10261": ["00" * 32]}, "not a valid Ed25519 public key"),
        ({"quarter:10261": [7]}, "64 hex digits"),
        ({"quarter:10261": [keys(1)[0], keys(1)[0]]}, "appears twice"),
        ({"quarter:10261": keys(1), "quarter:10262": keys(1)}, "appears twice"),
        ({"quarter:10261": list(reversed(keys(2)))}, "sorted"),
        ({"quarter:10261": []}, "non-empty list"),
        ({"quarter:99999": keys(1)}, "unknown unit"),
        ({"municipality:261": keys(1)}, "leaf units"),
        ({"canton:ZH": keys(1)}, "leaf units"),
    ],
)
def test_upload_refuses_bad_lists_and_stores_nothing(
    db_session: so.Session, tree: dict[str, Jurisdiction], units: dict[str, Any], message: str
) -> None:
    # A good unit first: nothing of it may be stored either.
    document = {"vote_day": DAY, "units": {"municipality:351": keys(2, b"good"), **units}}
    with pytest.raises(InvalidCredentialList, match=message):
        credentials.store_credential_list(db_session, document)
    assert stored_rows(db_session) == 0


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"vote_day": DAY},
        {"vote_day": DAY, "units": {}, "extra": 1},
        {"vote_day": 5, "units": {"quarter:10261": keys(1)}},
        {"vote_day": DAY, "units": []},
    ],
)
def test_upload_refuses_malformed_documents(
    db_session: so.Session, tree: dict[str, Jurisdiction], document: object
) -> None:
    with pytest.raises(InvalidCredentialList):
        credentials.store_credential_list(db_session, document)
    assert stored_rows(db_session) == 0


def test_upload_refuses_duplicates_across_uploads_and_a_unit_twice(
    db_session: so.Session, tree: dict[str, Jurisdiction]
) -> None:
    credentials.store_credential_list(
        db_session, {"vote_day": DAY, "units": {"quarter:10261": keys(2)}}
    )
    with pytest.raises(InvalidCredentialList, match="already registered"):
        credentials.store_credential_list(
            db_session, {"vote_day": DAY, "units": {"quarter:10262": keys(1)}}
        )
    with pytest.raises(InvalidCredentialList, match="already has credentials"):
        credentials.store_credential_list(
            db_session, {"vote_day": DAY, "units": {"quarter:10261": keys(1, b"new")}}
        )
    assert stored_rows(db_session) == 2


def test_upload_refuses_wrong_or_unknown_or_open_vote_days(
    db_session: so.Session, tree: dict[str, Jurisdiction]
) -> None:
    document = {"vote_day": DAY, "units": {"quarter:10261": keys(1)}}
    with pytest.raises(InvalidCredentialList, match="not 'other-day'"):
        credentials.store_credential_list(db_session, document, vote_day_id="other-day")
    with pytest.raises(VoteDayNotFound):
        credentials.store_credential_list(db_session, {**document, "vote_day": "no-such-day"})
    for status in ("open", "closed", "published"):
        set_status(db_session, DAY, status)
        with pytest.raises(CredentialsFrozen, match=f"is {status}"):
            credentials.store_credential_list(db_session, document)
    assert stored_rows(db_session) == 0


def test_upload_cli_refuses_and_changes_nothing(
    runner: FlaskCliRunner, tree: dict[str, Jurisdiction], tmp_path: Path, db_session: so.Session
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"vote_day": DAY, "units": {"quarter:10261": [SMALL_ORDER]}}))
    result = runner.invoke(args=["credentials", "upload", str(bad)])
    assert result.exit_code != 0 and "nothing stored" in result.output
    bad.write_text("{not json")
    assert "not JSON" in runner.invoke(args=["credentials", "upload", str(bad)]).output
    assert stored_rows(db_session) == 0
