"""The pre-commit hook through real `git commit` runs in temporary repositories.

No test here needs a model: the error finding that blocks comes from the sure syntax
check, and the fail-open cases are the model being missing (a model path that does
not exist), hung (a server that accepts the connection and never answers) or coder
crashing. The real model through the hook is in test_real_model.py.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.review.git_repo import commit_all, fingerprint, git, new_repo, write

CLEAN = "def add(a, b):\n    return a + b\n"
BROKEN = "def add(a, b):\n    return a +\n"
NO_MODEL = {"CODER_CHAT_MODEL": "/nonexistent/model.gguf", "CODER_MODEL": "/nonexistent/model.gguf"}


def coder(root: Path, *args: str, env: dict | None = None):
    import subprocess

    return subprocess.run([sys.executable, "-m", "coder", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


@pytest.fixture
def repo(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "calc.py", "def add(a, b):\n    return a\n")
    commit_all(root, "first")
    installed = coder(root, "hook", "install")
    assert installed.returncode == 0, installed.stderr
    return root


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").stdout.strip()


def commit(root: Path, content: str, env: dict | None = None, *flags: str):
    write(root, "calc.py", content)
    git(root, "add", "calc.py")
    return git(root, "commit", "-q", "-m", "change", *flags, check=False, env={**NO_MODEL, **(env or {})})


def test_install_writes_an_executable_hook_that_runs_this_python(repo):
    hook = repo / ".git" / "hooks" / "pre-commit"
    assert os.access(hook, os.X_OK)
    assert f"exec {sys.executable} -I -m coder.review.hook_run" in hook.read_text()


def test_an_error_finding_blocks_the_commit_and_changes_nothing(repo):
    before = head(repo)
    write(repo, "calc.py", BROKEN)
    git(repo, "add", "calc.py")
    staged = fingerprint(repo, index_bytes=False)
    done = git(repo, "commit", "-q", "-m", "broken", check=False, env=NO_MODEL)
    assert done.returncode != 0
    assert head(repo) == before
    assert fingerprint(repo, index_bytes=False) == staged  # index and working tree as they were
    assert "calc.py:2:" in done.stderr and "error: syntax error" in done.stderr
    assert "commit blocked by 1 finding(s) at error or above" in done.stderr


def test_a_clean_change_with_no_model_passes_with_one_warning(repo):
    before = head(repo)
    done = commit(repo, CLEAN)
    assert done.returncode == 0, done.stderr
    assert head(repo) != before
    warnings = [line for line in done.stderr.splitlines() if line.startswith("coder review:")]
    assert len(warnings) == 1 and "no model review" in warnings[0] and "the commit proceeds" in warnings[0]


def test_skip_variable_and_no_verify_skip_the_review(repo):
    assert commit(repo, BROKEN, {"CODER_SKIP_REVIEW": "1"}).returncode == 0
    done = commit(repo, BROKEN + "\n", None, "--no-verify")
    assert done.returncode == 0 and done.stderr == ""


def test_a_warning_threshold_blocks_warnings_only_when_configured(repo):
    write(repo, ".coder.toml", '[review]\nblock_severity = "note"\n')
    git(repo, "add", ".coder.toml")
    assert commit(repo, BROKEN).returncode != 0
    write(repo, ".coder.toml", '[review]\nblock_severity = "sideways"\n')
    done = commit(repo, BROKEN)  # a bad setting fails open, saying which
    assert done.returncode == 0
    assert "review.block_severity must be one of note, warning, error" in done.stderr


class HungServer:
    """Accepts connections and never answers: a model server that hangs."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.socket.accept()
                self.held.append(connection)

    def close(self):
        self.socket.close()
        for connection in self.held:
            connection.close()


def test_a_hung_model_lets_the_commit_through_within_the_budget(repo):
    server = HungServer()
    try:
        env = {"CODER_BACKEND": "openai", "CODER_SERVER_URL": f"http://127.0.0.1:{server.port}/v1",
               "CODER_REVIEW_TIME_BUDGET": "2"}
        before = head(repo)
        started = time.monotonic()
        done = commit(repo, CLEAN, env)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert done.returncode == 0, done.stderr
    assert head(repo) != before
    assert elapsed < 2 + 3 + 4  # budget, the watchdog's grace, start-up on a loaded machine
    assert "the commit proceeds" in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.startswith("coder review:")]) == 1


def test_a_crash_in_coder_fails_open(repo, tmp_path):
    not_a_folder = tmp_path / "home-is-a-file"
    not_a_folder.write_text("")
    done = commit(repo, CLEAN, {"CODER_HOME": str(not_a_folder)})
    assert done.returncode == 0
    assert "coder failed (" in done.stderr and "the commit proceeds unreviewed" in done.stderr


def test_an_existing_hook_is_kept_chained_and_restored(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "calc.py", "x = 1\n")
    commit_all(root)
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'their hook ran' >&2\n[ -f STOP ] && exit 3\nexit 0\n")
    hook.chmod(0o755)
    installed = coder(root, "hook", "install")
    assert "kept the existing hook" in installed.stderr
    chained = root / ".git" / "hooks" / "pre-commit.coder-chained"
    assert "their hook ran" in chained.read_text()
    write(root, "STOP", "")
    done = commit(root, CLEAN)
    assert done.returncode != 0 and "their hook ran" in done.stderr
    (root / "STOP").unlink()
    done = commit(root, CLEAN + "\n")
    assert done.returncode == 0 and "their hook ran" in done.stderr
    assert coder(root, "hook", "install").returncode == 0  # again: coder's hook is replaced, theirs kept
    assert "their hook ran" in chained.read_text()
    removed = coder(root, "hook", "uninstall")
    assert removed.returncode == 0 and "restored the earlier hook" in removed.stderr
    assert "their hook ran" in hook.read_text() and not chained.exists()
    again = coder(root, "hook", "uninstall")
    assert again.returncode == 2 and "is not coder's hook" in again.stderr


def test_core_hooks_path_is_honoured(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "calc.py", "x = 1\n")
    commit_all(root)
    git(root, "config", "core.hooksPath", "githooks")
    assert coder(root, "hook", "install").returncode == 0
    assert (root / "githooks" / "pre-commit").is_file()
    assert not (root / ".git" / "hooks" / "pre-commit").exists()
    assert commit(root, BROKEN).returncode != 0  # git runs it from there


def test_the_repository_cannot_stand_in_for_coders_imports(repo):
    write(repo, "git.py", "raise SystemExit('the repository was imported')\n")
    done = commit(repo, BROKEN)
    assert "the repository was imported" not in done.stderr
    assert done.returncode != 0 and "syntax error" in done.stderr


def test_hook_outside_a_repository_is_one_clear_line(tmp_path):
    done = coder(tmp_path, "hook", "install")
    assert done.returncode == 2
    assert done.stderr.strip().endswith("not inside a git repository; run coder review in one, or give PATH")
