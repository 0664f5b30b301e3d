"""The command surface: every subcommand exists in --help."""

import subprocess
import sys


COMMANDS = ("complete", "ask", "lsp", "stats", "tui", "review", "hook", "fix", "optimize", "runs", "model",
            "index", "doctor")


def test_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "coder", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in COMMANDS:
        assert f"    {command}" in result.stdout, command
