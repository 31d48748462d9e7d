"""``python -m voting.rules COUNTS.json``: output, exit codes, error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from voting.rules.calculator import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
ROOT = Path(__file__).resolve().parent.parent.parent


def run(tmp_path: Path, document: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    path = tmp_path / "counts.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    code = main([str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_module_entry_point_on_the_rtvg_2015_counts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voting.rules", str(FIXTURES / "2015-06-14-rtvg.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["accepted"] is True
    assert output["people"]["yes"] == 1128522 and output["people"]["no"] == 1124873
    assert "cantons" not in output


def test_module_entry_point_exit_2_on_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"rule": "double-majority", "units": [{"code": "ZH", "yes": 1}]}')
    result = subprocess.run(
        [sys.executable, "-m", "voting.rules", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "units[0].no: missing" in result.stderr


def test_double_majority_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads((FIXTURES / "2015-06-14-pid.json").read_text())
    code, out, _ = run(tmp_path, document, capsys)
    assert code == 0
    output = json.loads(out)
    assert output["accepted"] is True
    assert output["cantons"] == {"yes": "18.5", "no": "4.5"}
    assert output["people"]["yes_percent"] == "61.9297"


def test_quorum_and_weights_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = {
        "rule": "double-majority",
        "quorum": {"turnout": "1/4", "approval": None},
        "units": [
            {
                "code": "ZH",
                "weight": 1,
                "electorate": 952132,
                "yes": 250337,
                "no": 223523,
                "blank": 2146,
                "invalid": 0,
            },
            {"code": "OW", "weight": 0.5, "electorate": 30000, "yes": 9000, "no": 8000},
            {"code": "NW", "weight": "1/2", "electorate": 30000, "yes": 7000, "no": 8000},
        ],
    }
    code, out, _ = run(tmp_path, document, capsys)
    output = json.loads(out)
    assert code == 0 and output["cantons"] == {"yes": "1.5", "no": "0.5"}
    assert output["accepted"] is True and "turnout quorum 1/4 met" in output["reason"]


def test_counter_proposal_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    units = [
        {
            "code": code,
            "weight": w,
            "initiative": {"yes": 60, "no": 40},
            "counter": {"yes": 55, "no": 45},
            "tiebreak": {"initiative": ti, "counter": 100 - ti},
        }
        for code, w, ti in [
            ("ZH", 1, 40),
            ("BE", 1, 40),
            ("LU", 1, 70),
            ("UR", 1, 70),
            ("OW", "1/2", 70),
        ]
    ]
    code, out, _ = run(tmp_path, {"rule": "counter-proposal", "units": units}, capsys)
    output = json.loads(out)
    assert code == 0
    # Tie-break: people 290 for the initiative to 210; cantons 2.5 to 2.
    assert output["winner"] == "initiative"
    assert output["tiebreak"]["cantons"] == {"initiative": "2.5", "counter": "2"}
    assert output["initiative"]["accepted"] and output["counter"]["accepted"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"rule": "plurality", "units": [{"code": "A", "yes": 1, "no": 0}]},
            "rule: must be one of",
        ),
        ({"rule": "popular-majority", "units": []}, "units: must be a non-empty list"),
        (
            {"rule": "popular-majority", "units": [{"code": "A", "yes": -5, "no": 0}]},
            "units[0].yes: must not be negative",
        ),
        (
            {"rule": "popular-majority", "units": [{"code": "A", "yes": 1.5, "no": 0}]},
            "units[0].yes: must be a non-negative integer",
        ),
        (
            {"rule": "double-majority", "units": [{"code": "A", "weight": 2, "yes": 1, "no": 0}]},
            "units[0].weight: must be 1 or 1/2",
        ),
        (
            {
                "rule": "double-majority",
                "units": [{"code": "A", "weight": "1/3", "yes": 1, "no": 0}],
            },
            "units[0].weight: must be 1 or 1/2",
        ),
        ({"rule": "popular-majority", "units": [{"code": "A", "yes": 1}]}, "units[0].no: missing"),
        (
            {"rule": "popular-majority", "units": [{"code": "A", "yes": 1, "no": 0, "maybe": 1}]},
            "units[0].maybe: unknown field",
        ),
        (
            {
                "rule": "popular-majority",
                "quorum": {"turnout": "1/4"},
                "units": [{"code": "A", "yes": 1, "no": 0}],
            },
            "units.electorate",
        ),
        (
            {
                "rule": "popular-majority",
                "quorum": {"turnout": "5/4"},
                "units": [{"code": "A", "yes": 1, "no": 0, "electorate": 3}],
            },
            "quorum.turnout",
        ),
        (
            {
                "rule": "popular-majority",
                "units": [{"code": "A", "yes": 1, "no": 0}, {"code": "A", "yes": 1, "no": 0}],
            },
            "duplicate code",
        ),
        (
            {
                "rule": "counter-proposal",
                "units": [
                    {"code": "A", "initiative": {"yes": 1, "no": 0}, "counter": {"yes": 1, "no": 0}}
                ],
            },
            "units[0].tiebreak: must be a JSON object",
        ),
        ("[1, 2", "not valid JSON"),
    ],
)
def test_invalid_input_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any, message: str
) -> None:
    code, out, err = run(tmp_path, document, capsys)
    assert code == 2 and out == ""
    assert message in err


def test_missing_file_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["/nonexistent/counts.json"]) == 2
    assert "usage" in capsys.readouterr().err
