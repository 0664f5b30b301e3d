"""Fixtures for the loop tests: fixture projects as real git repositories in temp dirs,
and a hash of a whole tree (.git included) to prove the user's files were not touched."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from loop_support import make_repo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "loops"


@pytest.fixture
def buggy_repo(tmp_path) -> Path:
    return make_repo(FIXTURES / "buggy", tmp_path / "buggy")


@pytest.fixture
def slow_repo(tmp_path) -> Path:
    return make_repo(FIXTURES / "slow", tmp_path / "slow")


@pytest.fixture
def python() -> str:
    """The interpreter that runs the fixture projects' tests: this one (it has pytest)."""
    return sys.executable
