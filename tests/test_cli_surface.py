"""The command surface: every subcommand exists in --help; later ones say so plainly."""

import subprocess
import sys

import pytest

from coder.cli.main import main

COMMANDS = ("complete", "ask", "lsp", "tui", "review", "fix", "optimize", "model", "index", "doctor")


def test_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "coder", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in COMMANDS:
        assert f"    {command}" in result.stdout, command


@pytest.mark.parametrize("command", ["lsp", "review", "fix", "optimize"])
def test_later_commands_say_not_yet_available(command, capsys):
    assert main([command]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"coder: `coder {command}` is not yet available in this version"
