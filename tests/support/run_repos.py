"""Fixture projects for the TUI's run tests, copied into temp dirs as real git repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def project_repo(name: str, destination: Path) -> Path:
    """tests/fixtures/tui_runs/NAME (or loops/NAME) as a committed git repository."""
    source = FIXTURES / "tui_runs" / name
    if not source.exists():
        source = FIXTURES / "loops" / name
    shutil.copytree(source, destination)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-qm", "fixture")
    return destination
