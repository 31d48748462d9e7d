"""Attacks on cast-as-intended with return codes (docs/threat-model.md, "Return codes").

A malicious device, a malicious (or dead) return-code authority, a guesser of
ballot casting keys and a malicious server, each against the server's casting
and confirmation and against the verifier, with 4 authorities over real HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from crypto import returncode_messages
from crypto import returncode_table
from crypto import returncodes as rc
from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.testing import deterministic_rng
from tests.fixtures_casting import OpenVoteDay
from tests.returncode_authorities import SLOW_MACHINE_TIMEOUT
from tests.returncode_authorities import CodedVoteDay
from tests.returncode_authorities import coded_vote_day
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import reads
from voting.models.elections import CastBallot
from voting.models.returncodes import ReturnCodeBallot
from voting.services.lifecycle import close_vote_day
from voting.services.record_export import export_record
from voting.tools.client import ClientError
from voting.tools.client import VotingClient
from voting.tools.client import return_codes as device
from voting.tools.verify import Options
from voting.tools.verify import verify_record
from voting.tools.verify.__main__ import main as verify_main
from voting.tools.verify.return_code_checks import Authority

WINTERTHUR = "municipality:230"
PICKED = {"bike-paths": ["yes"], "winterthur-square": ["eulach"]}
TAMPERED = {"bike-paths": ["no"], "winterthur-square": ["eulach"]}


@pytest.fixture()
def coded(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], tmp_path: Path
) -> Iterator[CodedVoteDay]:
    with coded_vote_day(
        app, prepare_vote_day, tmp_path / "authorities", voters={WINTERTHUR: 2}
    ) as coded:
        yield coded


def _verify(app: Flask, coded: CodedVoteDay, tmp_path: Path, **changes: str) -> dict[str, object]:
    close_vote_day(db.session, coded.vote_day, signing=log_signing(app))
    record = tmp_path / "record"
    export_record(db.session, coded.vote_day, record, signing=log_signing(app))
    trusted = tuple(Authority(a.name, changes.get(a.name, a.public_key)) for a in coded.authorities)
    return verify_record(record, Options(witnesses=0, return_code_authorities=trusted)).to_json()


def _check(report: dict[str, object], name: str) -> dict[str, object]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return next(c for c in checks if c["check"] == name)


def test_a_device_that_encrypts_another_choice_shows_codes_the_card_does_not_have_for_it(
    app: Flask, coded: CodedVoteDay, live_server: str, tmp_path: Path
) -> None:
    """Malicious device (valid proofs for what it encrypted): the citizen picked "yes"; the
    code shown is the card's code of "no", so the citizen does not confirm; nothing counts."""
    code = coded.opened.code(WINTERTHUR, 0)
    card = coded.cards[code]
    cast = device.cast_with_codes(VotingClient(live_server), coded.vote_day, code, TAMPERED)
    picked_label = "0"  # "yes", the first option, which the citizen picked
    assert cast.codes["bike-paths"] != card.choice_codes["bike-paths"][picked_label]
    assert cast.codes["bike-paths"] == card.choice_codes["bike-paths"][cast.choices["bike-paths"]]
    assert cast.codes["winterthur-square"] == card.choice_codes["winterthur-square"]["0"]
    report = _verify(app, coded, tmp_path)  # the citizen did not confirm
    assert report["valid"], report
    assert report["facts"]["ballots"]["counted"] == 0  # type: ignore[index]


def test_an_authority_answering_with_a_wrong_exponent_is_named_and_its_answer_not_used(
    app: Flask, coded: CodedVoteDay, live_server: str
) -> None:
    """Malicious authority: its signed answer's proof fails against its V_{j,c}; the
    server answers 502 naming it, logs nothing, and the ballot stays stored."""
    coded.authorities[2].mode = "wrong-exponent"
    code = coded.opened.code(WINTERTHUR, 0)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot))
    with pytest.raises(ClientError) as refused:
        device.cast_with_codes(VotingClient(live_server), coded.vote_day, code, PICKED)
    assert refused.value.status == 502
    assert refused.value.code == "return_code_authority_fault"
    assert refused.value.body["authorities"] == ["rca-3"]
    assert "rca-3" in refused.value.body["message"]
    assert refused.value.body["receipt"]["index"] >= 0  # the ballot IS stored
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot)) == before + 1
    row = db.session.scalars(sa.select(ReturnCodeBallot)).one()
    assert row.codes_index is None  # no answer was logged


def test_the_verifier_names_an_authority_whose_logged_answer_is_wrong(
    app: Flask,
    coded: CodedVoteDay,
    live_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Malicious server colluding with a malicious authority: the server logs the wrong
    answer anyway (its own check switched off); the verifier names the authority."""
    coded.authorities[1].mode = "wrong-exponent"
    monkeypatch.setattr(returncode_messages, "verify_choice_answer", lambda *a, **k: ())
    code = coded.opened.code(WINTERTHUR, 0)
    device.cast_with_codes(VotingClient(live_server), coded.vote_day, code, PICKED)
    monkeypatch.undo()  # the verifier is honest
    report = _verify(app, coded, tmp_path)
    assert not report["valid"]
    failures = _check(report, "return-codes")["failures"]
    assert any("rca-2" in f["message"] for f in failures), failures  # type: ignore[union-attr]


def test_a_wrong_ballot_casting_key_does_not_confirm_and_the_sixth_try_is_refused(
    app: Flask, coded: CodedVoteDay, live_server: str, tmp_path: Path
) -> None:
    """Guesser with the device (or a voter mistyping): 5 tries, each logged, none counts."""
    client = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 0)
    device.cast_with_codes(client, coded.vote_day, code, PICKED)
    right = coded.cards[code].bck
    wrong = [
        n + returncode_table.damm_check_digit(n)
        for n in (f"{(int(right[:8]) + k) % 10**8:08d}" for k in range(1, 7))
    ]
    for attempt, bck in enumerate(wrong[:5], 1):
        with pytest.raises(ClientError) as refused:
            device.confirm(client, coded.vote_day, code, bck)
        assert refused.value.code == "not_confirmed"
        assert refused.value.body["tries_left"] == 5 - attempt
    with pytest.raises(ClientError) as exhausted:
        device.confirm(client, coded.vote_day, code, right)  # even the right key, now
    assert exhausted.value.code == "confirmation_attempts_exhausted"
    report = _verify(app, coded, tmp_path)
    assert report["valid"], report
    assert report["facts"]["ballots"]["counted"] == 0  # type: ignore[index]
    assert report["facts"]["return_codes"] == {  # type: ignore[index]
        "with_codes": 1,
        "confirmed": 0,
        "unconfirmed_by_unit": {WINTERTHUR: 1},
    }


def test_a_dead_authority_gives_a_503_with_the_ballot_stored_and_asking_again_works(
    app: Flask, coded: CodedVoteDay, live_server: str
) -> None:
    """Dead or slow authority: the voter is told the ballot is stored; once it is back, the
    same partial codes give the codes (each authority answers an identical request alike)."""
    app.config["URNA_RETURN_CODE_TIMEOUT"] = 3.0  # the dead one sleeps 10 s: over the deadline
    client = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 0)
    coded.authorities[0].mode = "dead"
    with pytest.raises(ClientError) as unavailable:
        device.cast_with_codes(client, coded.vote_day, code, PICKED)
    assert unavailable.value.status == 503
    assert "rca-1" in unavailable.value.body["authorities"]  # (others too on a loaded machine)
    assert unavailable.value.body["receipt"]["index"] >= 0
    coded.authorities[0].mode = "honest"
    app.config["URNA_RETURN_CODE_TIMEOUT"] = SLOW_MACHINE_TIMEOUT
    credential = derive_credential(code, coded.vote_day).public_key.hex()
    stored = db.session.get_one(ReturnCodeBallot, (coded.vote_day, credential))
    codes = device.request_codes(client, coded.vote_day, credential, json.loads(stored.request))
    card = coded.cards[code]
    assert codes["bike-paths"] == card.choice_codes["bike-paths"]["0"]
    assert device.confirm(client, coded.vote_day, code, card.bck) == card.vcc


def test_a_record_with_return_codes_is_refused_without_the_users_authority_keys(
    app: Flask,
    coded: CodedVoteDay,
    live_server: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Trust roots from the user: no --return-code-authorities, exit 2 saying what to pass;
    a key that is not the authority's makes every answer of it fail."""
    code = coded.opened.code(WINTERTHUR, 0)
    device.cast_with_codes(VotingClient(live_server), coded.vote_day, code, PICKED)
    close_vote_day(db.session, coded.vote_day, signing=log_signing(app))
    record = tmp_path / "record"
    export_record(db.session, coded.vote_day, record, signing=log_signing(app))
    assert verify_main([str(record), "--witnesses", "0", "--jobs", "1"]) == 2
    assert "--return-code-authorities" in capsys.readouterr().err
    trusted = coded.trust_file(tmp_path / "authorities.json")
    argv = [str(record), "--witnesses", "0", "--jobs", "1"]
    assert verify_main([*argv, "--return-code-authorities", str(trusted)]) == 0
    other = json.loads(trusted.read_text())
    other["authorities"][3]["key"] = coded.authorities[0].public_key
    trusted.write_text(json.dumps(other))
    assert verify_main([*argv, "--return-code-authorities", str(trusted)]) == 1


def test_the_card_check_says_cast_but_not_confirmed_then_confirmed(
    app: Flask, coded: CodedVoteDay, live_server: str
) -> None:
    """A citizen whose device cast without confirming is told so on the card check page
    (it is not counted: vote by post); after the confirmation, that it is confirmed."""
    client = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 0)
    key = derive_credential(code, coded.vote_day).public_key.hex()
    url = f"/vote/{coded.vote_day}/card/status"
    web = app.test_client()
    assert web.get(url, query_string={"credential": key}).get_json() == {"cast": False}
    device.cast_with_codes(client, coded.vote_day, code, PICKED)
    answer = web.get(url, query_string={"credential": key}).get_json()
    assert answer == {"cast": True, "confirmed": False}
    device.confirm(client, coded.vote_day, code, coded.cards[code].bck)
    answer = web.get(url, query_string={"credential": key}).get_json()
    assert answer == {"cast": True, "confirmed": True}
    page = web.get(f"/vote/{coded.vote_day}/card").get_data(as_text=True)
    assert 'data-key="unconfirmed"' in page and "NOT confirmed" in page


def test_partial_codes_that_do_not_match_the_ballot_are_refused_before_anything_is_stored(
    app: Flask, coded: CodedVoteDay, live_server: str
) -> None:
    """Malicious device: a pCC for a choice the ballot does not encrypt (to learn the card's
    code of another choice), or none at all: 400, no ballot, no leaf, no authority asked."""
    client = VotingClient(live_server)
    code = coded.opened.code(WINTERTHUR, 0)
    credential = derive_credential(code, coded.vote_day)
    form = client.ballot_form(coded.vote_day, credential)
    ballot, _ = encrypt_ballot(
        form.selections(PICKED),
        questions=form.questions,
        election=form.election,
        credential=credential,
        rng=deterministic_rng(b"device"),
    )
    other, other_secrets = encrypt_ballot(
        form.selections(TAMPERED),
        questions=form.questions,
        election=form.election,
        credential=credential,
        rng=deterministic_rng(b"other"),
    )
    partial = device.partial_codes(form, other, other_secrets, code, rng=deterministic_rng(b"p"))
    size = reads.log_size(db.session, coded.vote_day)
    for body in (
        {"ballot": ballot.to_json(), "return_codes": partial},  # the other ballot's codes
        {"ballot": ballot.to_json(), "return_codes": partial[:-1]},  # one missing
        ballot.to_json(),  # no codes at all
    ):
        with pytest.raises(ClientError) as refused:
            client.post_json(f"/api/vote-days/{coded.vote_day}/ballots", body)
        assert refused.value.status == 400
        assert refused.value.code == "return_codes_refused"
    db.session.expire_all()
    assert reads.log_size(db.session, coded.vote_day) == size
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot)) == 0
    assert all(a.authority is not None for a in coded.authorities)
    assert not any(
        a.authority.state.choice_answer(credential.public_key)
        for a in coded.authorities
        if a.authority
    )


def test_a_stranger_cannot_spend_a_voters_tries_or_read_the_vote_cast_code(
    app: Flask, coded: CodedVoteDay, live_server: str
) -> None:
    """Stranger (the credential is public on the log): a confirmation with a proof made
    without the voter's x_c is refused (400) before any try is spent or anything is shown."""
    client = VotingClient(live_server)
    code, other = coded.opened.code(WINTERTHUR, 0), coded.opened.code(WINTERTHUR, 1)
    device.cast_with_codes(client, coded.vote_day, code, PICKED)
    credential = derive_credential(code, coded.vote_day).public_key
    for _ in range(2):  # before and after the voter confirms
        pbck, proof = rc.prove_confirmation(
            rc.derive_voter_secret(other, coded.vote_day),  # someone else's secret
            coded.cards[code].bck,
            vote_day_id=coded.vote_day,
            credential=credential,
        )
        body = {"credential": credential.hex(), "pbck": pbck.hex(), "proof": proof.to_json()}
        with pytest.raises(ClientError) as refused:
            client.post_json(f"/api/vote-days/{coded.vote_day}/confirmations", body)
        assert refused.value.status == 400 and "vote_cast_code" not in refused.value.body
        row = db.session.get_one(ReturnCodeBallot, (coded.vote_day, credential.hex()))
        db.session.refresh(row)
        assert row.confirmation_tries == (0 if row.confirmed_index is None else 1)
        device.confirm(client, coded.vote_day, code, coded.cards[code].bck)
