"""The review on the real default model (Qwen2.5-Coder-0.5B-Instruct through llama.cpp).

A staged change with two obvious bugs: a comparison turned into an assignment in a
JavaScript condition, and an off-by-one loop bound in Python. The review must point
at them; the findings are printed in all three machine formats (the SARIF checked
against its schema); the commit hook runs the same model through a real `git commit`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from coder.review.changes import open_repo, staged_changes
from coder.review.output_formats import render
from coder.review.reviewer import Reviewer
from coder.settings import ReviewSettings
from tests.review.git_repo import commit_all, fingerprint, git, new_repo, write
from tests.review.test_formats import sarif_validator

pytestmark = pytest.mark.model

PYTHON_BEFORE = """def total(prices):
    \"\"\"The sum of a list of prices.\"\"\"
    result = 0
    for i in range(len(prices)):
        result += prices[i]
    return result
"""
PYTHON_AFTER = PYTHON_BEFORE.replace("range(len(prices))", "range(len(prices) + 1)")
JS_BEFORE = """function isLimit(count, limit) {
  if (count === limit) {
    return true;
  }
  return false;
}
"""
JS_AFTER = JS_BEFORE.replace("count === limit", "count = limit")
BUG_LINES = {("total.py", 4), ("limit.js", 2)}


@pytest.fixture(scope="module")
def qwen(qwen_model):
    from coder.models.llama_backend import LlamaWorkerBackend

    with LlamaWorkerBackend(qwen_model, n_ctx=4096) as backend:
        yield backend


def buggy_repo(root):
    new_repo(root)
    write(root, "total.py", PYTHON_BEFORE)
    write(root, "limit.js", JS_BEFORE)
    commit_all(root)
    write(root, "total.py", PYTHON_AFTER)
    write(root, "limit.js", JS_AFTER)
    git(root, "add", "total.py", "limit.js")
    return root


def real_review(root, backend, **settings):
    before = fingerprint(root)
    result = Reviewer(ReviewSettings(**settings), open_model=lambda: backend).review(staged_changes(open_repo(root)))
    assert fingerprint(root) == before
    assert result.reviewed_hunks == 2 and not result.unreviewed and result.model_error is None
    return result


def test_the_real_model_reviews_and_every_format_holds_its_findings(tmp_path, qwen):
    result = real_review(buggy_repo(tmp_path / "repo"), qwen, min_confidence=0.0)
    assert all(0 < f.confidence <= 1 for f in result.findings)
    assert all((f.path, f.line) in {("total.py", 4), ("limit.js", 2)} for f in result.findings)  # in the change
    expected = {(f.path, f.line) for f in result.findings}
    document = json.loads(render(result, "sarif"))
    assert list(sarif_validator().iter_errors(document)) == []
    assert expected == {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                         r["locations"][0]["physicalLocation"]["region"]["startLine"])
                        for r in document["runs"][0]["results"]}
    rd = [json.loads(line) for line in render(result, "rdjsonl").splitlines()]
    assert expected == {(d["location"]["path"], d["location"]["range"]["start"]["line"]) for d in rd}
    assert expected == {(f["path"], f["line"]) for f in json.loads(render(result, "json"))["findings"]}


@pytest.mark.slow
def test_the_real_model_points_at_an_obvious_bug(tmp_path, qwen):
    result = real_review(buggy_repo(tmp_path / "repo"), qwen, min_confidence=0.0)
    hits = {(f.path, f.line) for f in result.findings if f.source == "model"} & BUG_LINES
    assert hits, render(result, "text", verbose=True)


def test_cli_and_hook_end_to_end_on_the_real_model(tmp_path, qwen_model):
    root = buggy_repo(tmp_path / "repo")
    env = {**os.environ, "CODER_CHAT_MODEL": str(qwen_model)}
    sarif = subprocess.run([sys.executable, "-m", "coder", "review", "--format", "sarif"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=1200)
    document = json.loads(sarif.stdout)
    assert list(sarif_validator().iter_errors(document)) == []
    assert sarif.returncode == (1 if any(r["level"] == "error" for r in document["runs"][0]["results"]) else 0)
    last = subprocess.run([sys.executable, "-m", "coder", "review", "--last", "--format", "json"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)
    data = json.loads(last.stdout)
    assert data["model"] and data["reviewed_hunks"] == 2

    hook = subprocess.run([sys.executable, "-m", "coder", "hook", "install"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert hook.returncode == 0
    # A docstring edit through the hook and the same model: it is reviewed (no "no
    # model" warning); it passes unless the model calls it an error, which blocks.
    git(root, "reset", "-q", "--hard")
    write(root, "total.py", PYTHON_BEFORE.replace('"""The sum of a list of prices."""', '"""The sum of the prices."""'))
    git(root, "add", "total.py")
    head = git(root, "rev-parse", "HEAD").stdout
    committed = git(root, "commit", "-q", "-m", "docstring", check=False, env={"CODER_CHAT_MODEL": str(qwen_model)})
    assert "no model review" not in committed.stderr
    last = subprocess.run([sys.executable, "-m", "coder", "review", "--last", "--format", "json"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)
    data = json.loads(last.stdout)
    assert data["model"] == qwen_model.name
    blocked = any(f["severity"] == "error" for f in data["findings"])
    assert (committed.returncode != 0) == blocked, committed.stderr
    assert (git(root, "rev-parse", "HEAD").stdout == head) == blocked
