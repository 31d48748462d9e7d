"""``python -m voting.returncodes``: init, setup, serve and status (docs/return-codes.md).

The adversarial cases (forged, replayed, second and excess requests) are in
tests/adversary/test_return_code_authorities.py.
"""

from __future__ import annotations

import json
import stat
from contextlib import ExitStack
from pathlib import Path

import pytest

from crypto.returncode_messages import ConfirmRequest
from crypto.returncode_messages import verify_choice_answer
from crypto.returncode_messages import verify_confirm_answer
from crypto.returncode_setup import SetupHeader
from crypto.returncode_setup import VoterAnswer
from crypto.returncode_setup import verify_answer_header
from crypto.returncode_setup import verify_voter_answer
from crypto.returncode_table import open_entry
from crypto.returncodes import combine
from crypto.testing import deterministic_rng
from tests.crypto.returncode_protocol import confirm_request
from tests.crypto.returncode_protocol import lookup
from tests.crypto.returncode_protocol import vote
from tests.returncode_helpers import AuthoritySetup
from tests.returncode_helpers import another_authority
from tests.returncode_helpers import log_lines
from tests.returncode_helpers import make_setup
from tests.returncode_helpers import serving
from tests.returncode_helpers import write_request
from voting.tools.returncodes.__main__ import main
from voting.tools.returncodes.state import AuthorityState
from voting.tools.returncodes.state import StateError
from voting.tools.returncodes.state import load_keys

CHOICE = {"federal-1": [1, 0], "federal-2": [0, 0, 1], "canton-zh-1": [1, 1, 0]}


@pytest.fixture()
def setup(tmp_path: Path) -> AuthoritySetup:
    made = make_setup(tmp_path)
    assert main(made.setup_args()) == 0
    return made


def _answers(setup: AuthoritySetup) -> list[VoterAnswer]:
    """The registrar's check of the authority's answer file, line by line."""
    keys = load_keys(setup.state)
    rows = [json.loads(line) for line in setup.answer.read_text().splitlines()]
    header = setup.registrar.header
    verify_answer_header(rows[0], header, authority=keys.name, authority_key=keys.public_key)
    return [
        verify_voter_answer(row, line, header, authority=keys.name, authority_key=keys.public_key)
        for row, line in zip(rows[1:], setup.lines, strict=True)
    ]


def test_init_keeps_the_secret_private_and_prints_the_identity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--state", str(tmp_path / "a"), "--name", "rca-9"]) == 0
    printed = json.loads(capsys.readouterr().out)
    keys = load_keys(tmp_path / "a")
    assert printed == {"authority": "rca-9", "public_key": keys.public_key.hex()}
    assert stat.S_IMODE((tmp_path / "a" / "secret.json").stat().st_mode) == 0o600
    assert keys.secret.hex() not in (tmp_path / "a" / "identity.json").read_text()
    assert main(["init", "--state", str(tmp_path / "a"), "--name", "rca-9"]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert main(["init", "--state", str(tmp_path / "b"), "--name", "two words"]) == 1


def test_a_readable_secret_file_is_refused(
    setup: AuthoritySetup, capsys: pytest.CaptureFixture[str]
) -> None:
    (setup.state / "secret.json").chmod(0o644)
    assert main(["status", "--state", str(setup.state)]) == 1
    assert "chmod 600" in capsys.readouterr().err


def test_four_authorities_give_the_cards_codes_and_vcc(setup: AuthoritySetup) -> None:
    others = [another_authority(setup, f"rca-{j}") for j in (2, 3, 4)]
    for other in others:
        assert main(other.setup_args()) == 0
    everyone = [setup, *others]
    per_authority = [_answers(a) for a in everyone]
    card, line = setup.cards[1], setup.lines[1]
    table = lookup(setup.registrar.table([answers[1] for answers in per_authority], card))
    rng = deterministic_rng(b"device")
    _, _, request = vote(card, CHOICE, election=setup.election, rng=rng, leaf_index=5)
    confirm = confirm_request(card, card.bck, rng)
    with ExitStack() as stack:
        live = [stack.enter_context(serving(a)) for a in everyone]
        values, confirmations = [], []
        for server, answers in zip(live, per_authority, strict=True):
            status, answer = server.post("/v1/choice-codes", request.to_json())
            assert status == 200, answer
            keys = server.authority.keys
            values.append(
                verify_choice_answer(
                    answer,
                    request,
                    authority=keys.name,
                    authority_key=keys.public_key,
                    verification_key=answers[1].verification_key,
                )
            )
            status, answer = server.post("/v1/confirm", confirm.to_json())
            assert status == 200, answer
            confirmations.append(
                verify_confirm_answer(
                    answer,
                    confirm,
                    authority=keys.name,
                    authority_key=keys.public_key,
                    verification_key=answers[1].verification_key,
                )
            )
    shown = [open_entry(combine(list(v)), table) for v in zip(*values, strict=True)]
    assert shown == [card.choice_codes["federal-1"]["0"], card.choice_codes["federal-2"]["2"]]
    assert open_entry(combine(confirmations), table) == card.vcc
    assert line.credential == card.credential.public_key


def test_setup_refuses_a_request_for_another_manifest_or_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = make_setup(tmp_path)
    assert main(made.setup_args(**{"--manifest-hash": "ab" * 32})) == 1
    assert "manifest hash" in capsys.readouterr().err
    other_key = made.registrar.keypair.public.hex()
    assert main(made.setup_args(**{"--election-key": other_key})) == 1
    assert "election key" in capsys.readouterr().err
    assert not made.answer.exists()
    assert AuthorityState(made.state).pinned() is None


@pytest.mark.parametrize("damage", ["count", "duplicate", "garbage", "empty", "bad-ciphertext"])
def test_a_bad_request_file_stores_and_writes_nothing(
    tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    made = make_setup(tmp_path)
    lines = made.request.read_bytes().splitlines(keepends=True)
    if damage == "count":
        lines = lines[:-1]
    elif damage == "duplicate":
        lines[-1] = lines[1]
    elif damage == "garbage":
        lines[2] = b"{not json\n"
    elif damage == "empty":
        lines = []
    else:
        row = json.loads(lines[2])
        row["confirm"]["pad"] = "00" * 32
        lines[2] = json.dumps(row).encode() + b"\n"
    made.request.write_bytes(b"".join(lines))
    assert main(made.setup_args()) == 1
    assert capsys.readouterr().err.startswith("error: ")
    state = AuthorityState(made.state)
    assert state.pinned() is None
    assert state.db.execute("SELECT COUNT(*) FROM voters").fetchone()[0] == 0
    assert not made.answer.exists()
    assert not made.answer.with_name(made.answer.name + ".partial").exists()


def test_setup_is_pinned_to_one_request(
    setup: AuthoritySetup, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _answers(setup)
    assert main(setup.setup_args()) == 0  # the same request again: the same values
    assert [a.verification_key for a in _answers(setup)] == [a.verification_key for a in first]
    header = SetupHeader.from_json({**setup.registrar.header.to_json(), "voters": 2})
    write_request(
        setup.request,
        type(setup.registrar)(header, setup.registrar.keypair, setup.registrar.rng),
        setup.lines[:2],
    )
    assert main(setup.setup_args()) == 1
    assert "another request" in capsys.readouterr().err


def test_status_counts_answers_and_names_the_log_head(
    setup: AuthoritySetup, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = deterministic_rng(b"status")
    _, _, request = vote(setup.cards[0], CHOICE, election=setup.election, rng=rng)
    with serving(setup) as live:
        assert live.post("/v1/choice-codes", request.to_json())[0] == 200
        assert (
            live.post("/v1/confirm", confirm_request(setup.cards[0], "000000000", rng).to_json())[0]
            == 200
        )
        status, identity = live.request("GET", "/v1/identity")
    assert status == 200 and identity["voters"] == 3 and identity["authority"] == "rca-1"
    capsys.readouterr()
    assert main(["status", "--state", str(setup.state)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["voters"] == 3
    assert report["choice_codes_answered"] == 1
    assert report["confirmations"] == 1
    assert report["log"]["lines"] == 2


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "error"),
    [
        ("POST", "/v1/choice-codes", b"{not json", {}, 400, "malformed"),
        ("POST", "/v1/choice-codes", b"[" * 100_000 + b"]" * 100_000, {}, 400, "malformed"),
        ("POST", "/v1/choice-codes", b"{}", {}, 400, "malformed"),
        ("POST", "/v1/confirm", b'{"vote_day": 1}', {}, 400, "malformed"),
        (
            "POST",
            "/v1/choice-codes",
            b"{}",
            {"Content-Type": "text/plain"},
            415,
            "unsupported_media_type",
        ),
        # refused on its declared length, before a byte of the body is read (a
        # client still sending a big body may see the connection close first)
        (
            "POST",
            "/v1/choice-codes",
            b"",
            {"Content-Length": str((1 << 20) + 1)},
            413,
            "too_large",
        ),
        ("POST", "/v1/other", b"{}", {}, 404, "not_found"),
        ("GET", "/v1/choice-codes", b"", {}, 405, "method_not_allowed"),
        ("GET", "/secret.json", b"", {}, 404, "not_found"),
    ],
    ids=[
        "not-json",
        "deep-json",
        "empty-object",
        "confirm-shape",
        "text-plain",
        "over-1-mib",
        "no-path",
        "get-post-endpoint",
        "get-secret",
    ],
)
def test_bad_http_requests_get_a_clear_4xx_and_change_nothing(
    setup: AuthoritySetup,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
    error: str,
) -> None:
    with serving(setup) as live:
        got, answer = live.request(method, path, body, headers=headers)
        assert (got, answer["error"]) == (status, error)
        assert live.request("GET", "/v1/identity")[0] == 200  # still serving
    assert log_lines(setup) == []


def test_confirmation_needs_choice_codes_first(setup: AuthoritySetup) -> None:
    request = confirm_request(setup.cards[0], setup.cards[0].bck, deterministic_rng(b"c"))
    with serving(setup) as live:
        status, answer = live.post("/v1/confirm", request.to_json())
    assert (status, answer["error"]) == (409, "no_choice_codes")
    assert log_lines(setup) == []


def test_a_crash_after_logging_restores_the_answer_and_drops_a_torn_line(
    setup: AuthoritySetup,
) -> None:
    rng = deterministic_rng(b"crash")
    _, _, request = vote(setup.cards[0], CHOICE, election=setup.election, rng=rng)
    with serving(setup) as live:
        status, answer = live.post("/v1/choice-codes", request.to_json())
    assert status == 200
    state = AuthorityState(setup.state)  # the crash: the row never reached the database
    state.db.execute("DELETE FROM choice_answers")
    with open(setup.state / "answers.jsonl", "ab") as log:
        log.write(b'{"type": "rc-confirm", "cre')  # a write cut short
    state.close()
    with serving(setup) as live:
        assert live.post("/v1/choice-codes", request.to_json()) == (200, answer)
        _, _, other = vote(setup.cards[0], CHOICE, election=setup.election, rng=rng)
        assert live.post("/v1/choice-codes", other.to_json())[0] == 409
    assert log_lines(setup) == [answer]


def test_the_confirm_request_round_trips(setup: AuthoritySetup) -> None:
    request = confirm_request(setup.cards[0], setup.cards[0].bck, deterministic_rng(b"rt"))
    assert ConfirmRequest.from_json(json.loads(json.dumps(request.to_json()))) == request


def test_a_log_line_that_is_not_an_answer_stops_serve(
    setup: AuthoritySetup, capsys: pytest.CaptureFixture[str]
) -> None:
    (setup.state / "answers.jsonl").write_text('{"type": "rc-confirm", "credential": "00"}\n')
    state = AuthorityState(setup.state)
    with pytest.raises(StateError, match="line 1 is not an answer"):
        state.recover()
    state.close()
