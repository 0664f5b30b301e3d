"""`coder review` on real repositories: targets, formats, exit codes, --last from the store."""

from __future__ import annotations

import json

import pytest

from coder.cli.main import main
from tests.review.git_repo import commit_all, fingerprint, git, new_repo, write

BROKEN = "def add(a, b):\n    return a +\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = new_repo(tmp_path / "repo")
    write(root, "calc.py", "def add(a, b):\n    return a\n")
    commit_all(root, "first")
    monkeypatch.chdir(root)
    return root


def stage(root, content):
    write(root, "calc.py", content)
    git(root, "add", "calc.py")


def test_staged_review_prints_compiler_lines_and_fails_on_errors(repo, capsys):
    stage(repo, BROKEN)
    before = fingerprint(repo)
    assert main(["review", "--no-model"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("calc.py:2:")
    assert "error: syntax error" in out and "coder review (staged): 1 error" in out
    assert fingerprint(repo) == before


def test_machine_formats(repo, capsys):
    stage(repo, BROKEN)
    assert main(["review", "--no-model", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["findings"][0]["source"] == "syntax"
    main(["review", "--no-model", "--format", "sarif"])
    assert json.loads(capsys.readouterr().out)["version"] == "2.1.0"
    main(["review", "--no-model", "--format", "rdjsonl"])
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[0])["location"]["path"] == "calc.py"
    assert "left unreviewed" in captured.err  # notes go to stderr, the data alone to stdout


def test_last_shows_the_previous_result_and_the_commit_it_became(repo, capsys):
    stage(repo, "def add(a, b):\n    return a + b\n")
    assert main(["review", "--no-model"]) == 0
    capsys.readouterr()
    git(repo, "commit", "-q", "--no-verify", "-m", "add")
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert main(["review", "--last", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["label"] == "staged" and data["commit"] == head
    assert main(["review", "--last"]) == 0
    assert f"commit {head[:12]}" in capsys.readouterr().out


def test_a_staged_review_is_not_linked_to_an_unrelated_commit(repo, capsys):
    stage(repo, "def add(a, b):\n    return a + b\n")
    main(["review", "--no-model"])
    write(repo, "calc.py", "def add(a, b):\n    return b + a\n")  # committed something else
    git(repo, "add", "calc.py")
    git(repo, "commit", "-q", "--no-verify", "-m", "other")
    capsys.readouterr()
    main(["review", "--last", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["commit"] is None


def test_diff_and_path_targets(repo, capsys):
    write(repo, "calc.py", BROKEN)
    commit_all(repo, "broken")
    assert main(["review", "--no-model", "--diff", "HEAD"]) == 1
    assert "coder review (HEAD" in capsys.readouterr().out
    assert main(["review", "--no-model", "calc.py::add"]) == 1
    assert "calc.py:2:" in capsys.readouterr().out


def test_clear_one_line_errors(repo, capsys, tmp_path):
    assert main(["review"]) == 2
    assert capsys.readouterr().err.strip() == (
        "coder: nothing is staged; stage a change with git add, or give --diff REV or PATH")
    assert main(["review", "--diff", "nope"]) == 2
    assert "no such revision" in capsys.readouterr().err
    assert main(["review", "missing.py"]) == 2
    assert "missing.py: no such file" in capsys.readouterr().err
    assert main(["review", "calc.py", "--diff", "HEAD"]) == 2
    capsys.readouterr()
    other = tmp_path / "elsewhere"
    other.mkdir()
    import os

    os.chdir(other)
    assert main(["review", "--last"]) == 2
    assert "no review of" in capsys.readouterr().err
