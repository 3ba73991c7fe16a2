"""Every `mdptheory <command> --help` exits 0 and documents each of its options."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from mdptheory.cli import build_parser

COMMANDS = ("solve", "run", "sweep", "check", "instances", "learners", "diagnose")


@pytest.fixture(scope="module")
def helps() -> dict[str, subprocess.CompletedProcess]:
    """``python -m mdptheory.cli COMMAND --help`` for every command, run side by side."""
    procs = {
        c: subprocess.Popen(
            [sys.executable, "-m", "mdptheory.cli", c, "--help"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in COMMANDS
    }
    done = {}
    for command, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        done[command] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("mdptheory has no sub-commands")


def _options() -> list[tuple[str, str, argparse.Action]]:
    cases = []
    for command, sub in _subparsers().items():
        if command not in COMMANDS:
            continue
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            name = action.option_strings[-1] if action.option_strings else action.dest
            cases.append((command, name, action))
    return cases


def test_every_command_is_covered():
    assert set(COMMANDS) <= set(_subparsers())


@pytest.mark.parametrize("command", COMMANDS)
def test_help_exits_zero(helps, command):
    result = helps[command]
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: mdptheory {command}")
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("command", "name", "action"), [pytest.param(c, n, a, id=f"{c} {n}") for c, n, a in _options()]
)
def test_option_is_documented(helps, command, name, action):
    text = helps[command].stdout
    shown = action.option_strings or [action.metavar or action.dest]
    for string in shown:
        assert string in text, f"{string} missing from `mdptheory {command} --help`"
    assert action.help and action.help != argparse.SUPPRESS and action.help.strip(), (
        f"`mdptheory {command}` option {name} has no help text"
    )


def test_options_are_never_abbreviated():
    # "--n 30" is an instance parameter, not an abbreviation of --no-progress
    args, extra = build_parser().parse_known_args(["run", "ucb1", "bernoulli", "--n", "30"])
    assert extra == ["--n", "30"]
    assert not args.no_progress
