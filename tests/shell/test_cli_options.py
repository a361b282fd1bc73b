"""`burrow --help` as an operator reads it: every option of every command says what it does and, when it
can be left out, what it is then; `burrow --version` names the installed version."""

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version

from burrow.cli import build_parser

# Their help text comes with the queries work of the same issue; drop them from here once it has landed.
COMMANDS_NOT_CHECKED_YET = {"sources", "warehouse"}


def commands(
    parser: argparse.ArgumentParser, path: str = "burrow"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                if name not in COMMANDS_NOT_CHECKED_YET:
                    yield from commands(command, f"{path} {name}")


def options() -> Iterator[tuple[str, argparse.Action]]:
    for path, parser in commands(build_parser()):
        for action in parser._actions:
            if not isinstance(
                action, argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction
            ):
                yield path, action


def name(path: str, action: argparse.Action) -> str:
    return f"{path} {'/'.join(action.option_strings) or action.dest}"


def test_every_option_says_what_it_does():
    assert [name(path, action) for path, action in options() if not action.help] == []


def test_every_option_that_may_be_left_out_names_its_default():
    """A flag is off unless given; anything else that may be left out says what it is then ("default: …",
    argparse's `%(default)s` where the default is a value) or when it is needed after all ("required unless")."""
    may_be_left_out = [
        (path, action)
        for path, action in options()
        if action.option_strings and not action.required and action.nargs != 0
    ]
    assert [
        name(path, action)
        for path, action in may_be_left_out
        if not re.search("default|required unless", action.help or "")
    ] == []
    assert [
        name(path, action)
        for path, action in may_be_left_out
        if action.default is not None and "%(default)s" not in (action.help or "")
    ] == []


def test_version_prints_the_installed_package_version():
    done = subprocess.run(
        [sys.executable, "-m", "burrow.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, f"burrow {version('burrow')}\n"), done.stderr
