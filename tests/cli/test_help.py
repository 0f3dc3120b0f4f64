"""Every help screen of the whole command tree: an example, conventional usage lines, no type noise on flags."""

from __future__ import annotations

import re

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def _paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every command and group under `command` (the root is ())."""
    found = [path]
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            found += _paths(sub, (*path, name))
    return found


ROOT = typer.main.get_command(app)
assert isinstance(ROOT, TyperGroup)
COMMANDS = _paths(ROOT)


def test_the_walk_finds_every_command() -> None:
    assert ("audit", "show") in COMMANDS
    assert ("sandbox",) in COMMANDS
    assert len(COMMANDS) > 20


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "countersign")
def test_help_has_an_example_and_conventional_metavars(path: tuple[str, ...]) -> None:
    r = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Example" in r.output
    assert "<bool>" not in r.output
    usage = next(line for line in r.output.splitlines() if "Usage:" in line)
    assert not re.search(r"\{\w+\}", usage), usage


def test_usage_names_arguments_in_capitals() -> None:
    usage = runner.invoke(app, ["audit", "show", "--help"], env={"COLUMNS": "200"}).output
    assert "Usage: countersign audit show [OPTIONS] PROPOSAL_ID" in usage
    assert "--help" in usage
