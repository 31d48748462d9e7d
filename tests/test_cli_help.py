"""Every party's command explains itself (issue 17): ``--help`` says what the command
does, shows an example, and every option has its own help.

The tools are run as their users run them (``python -m voting.<tool> --help``); the
option walk reads the parsers themselves (argparse for verify, witness, client and returncodes,
click for trustee, clerk and receipt, the Flask CLI groups of ``flask --app app``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("verify", "trustee", "witness", "clerk", "client", "receipt", "rules", "returncodes")
FLASK_BUILTINS = {"db", "routes", "run", "shell"}


def _help(tool: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", f"voting.{tool}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _assert_explains(text: str, command: str) -> None:
    assert "Example" in text, f"{command} --help shows no example:\n{text}"
    examples = text[text.index("Example") :]
    assert command in examples, f"{command} --help: no example runs {command!r}:\n{text}"
    assert "``" not in text, f"{command} --help shows literal double backticks:\n{text}"
    assert len(text.split()) > 25, f"{command} --help says too little:\n{text}"


@pytest.mark.parametrize("tool", TOOLS)
def test_each_tools_help_says_what_it_does_and_shows_an_example(tool: str) -> None:
    _assert_explains(_help(tool), f"python -m voting.{tool}")


def _argparse_parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    from voting.tools.client.__main__ import _parser as client
    from voting.tools.returncodes.__main__ import _parser as returncodes
    from voting.tools.verify.__main__ import _parser as verify
    from voting.tools.witness.__main__ import _parser as witness

    for parser in (verify(), witness(), client(), returncodes()):
        stack = [parser]
        while stack:
            current = stack.pop()
            yield current.prog, current
            for action in current._actions:
                if isinstance(action, argparse._SubParsersAction):
                    stack.extend(action.choices.values())


def test_every_option_of_the_argparse_tools_has_help() -> None:
    missing = [
        f"{prog} {'/'.join(action.option_strings) or action.dest}"
        for prog, parser in _argparse_parsers()
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not action.help
    ]
    assert missing == [], f"options without help: {missing}"


def _click_commands(group: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    yield path, group
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from _click_commands(command, f"{path} {name}")


def _undocumented(path: str, command: click.Command) -> list[str]:
    out = [] if (command.help or "").strip() else [f"{path} (no description)"]
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and not param.help:
            out.append(f"{path} {param.opts[0]}")
    return out


def test_every_option_of_the_click_tools_has_help() -> None:
    from voting.tools.clerk import cli as clerk
    from voting.tools.receipt import cli as receipt
    from voting.tools.trustee.cli import cli as trustee

    missing = []
    for name, group in (("trustee", trustee), ("clerk", clerk), ("receipt", receipt)):
        for path, command in _click_commands(group, f"python -m voting.{name}"):
            missing += _undocumented(path, command)
    assert missing == [], f"without help: {missing}"


def _flask_groups(app: Flask) -> list[tuple[str, click.Command]]:
    return sorted((n, c) for n, c in app.cli.commands.items() if n not in FLASK_BUILTINS)


def test_each_flask_group_shows_an_example_and_every_option_has_help(app: Flask) -> None:
    missing = []
    runner = CliRunner()
    for name, group in _flask_groups(app):
        result = runner.invoke(group, ["--help"], prog_name=f"flask --app app {name}")
        assert result.exit_code == 0, result.output
        _assert_explains(result.output, f"flask --app app {name}")
        for path, command in _click_commands(group, f"flask --app app {name}"):
            missing += _undocumented(path, command)
    assert missing == [], f"without help: {missing}"
