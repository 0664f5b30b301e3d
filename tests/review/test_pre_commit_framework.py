"""The hook through the pre-commit framework (from PyPI), with the manifest coder ships."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.review.git_repo import commit_all, git, new_repo, write

MANIFEST = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
NO_MODEL = {"CODER_CHAT_MODEL": "/nonexistent/model.gguf", "CODER_MODEL": "/nonexistent/model.gguf"}


def pre_commit_command() -> list[str]:
    return [sys.executable, "-m", "pre_commit"]


@pytest.fixture
def framework_env(tmp_path):
    pytest.importorskip("pre_commit")
    bin_dir = str(Path(sys.executable).parent)  # where the `coder` script of this install is
    return {**os.environ, **NO_MODEL, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def test_the_shipped_manifest_runs_the_review_through_pre_commit(tmp_path, framework_env):
    hooks_repo = new_repo(tmp_path / "coder-hooks")
    shutil.copy(MANIFEST, hooks_repo / ".pre-commit-hooks.yaml")
    rev = commit_all(hooks_repo, "manifest")

    root = new_repo(tmp_path / "project")
    write(root, ".pre-commit-config.yaml",
          f"repos:\n  - repo: {hooks_repo.as_uri()}\n    rev: {rev}\n    hooks:\n      - id: coder-review\n")
    write(root, "calc.py", "def add(a, b):\n    return a\n")
    commit_all(root, "first")
    installed = subprocess.run(pre_commit_command() + ["install"], cwd=root, env=framework_env,
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    write(root, "calc.py", "def add(a, b):\n    return a +\n")
    git(root, "add", "calc.py")
    blocked = subprocess.run(["git", "commit", "-m", "broken"], cwd=root, env={**framework_env, **_git_env()},
                             capture_output=True, text=True, timeout=300)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "coder review (local model)" in output and "Failed" in output
    assert "calc.py:2:" in output and "syntax error" in output

    write(root, "calc.py", "def add(a, b):\n    return a + b\n")
    git(root, "add", "calc.py")
    passed = subprocess.run(["git", "commit", "-m", "fixed"], cwd=root, env={**framework_env, **_git_env()},
                            capture_output=True, text=True, timeout=300)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout + passed.stderr


def _git_env() -> dict:
    from tests.review.git_repo import GIT_ENV

    return GIT_ENV
