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


def test_the_model_points_at_the_bugs_in_every_format(tmp_path, qwen):
    root = buggy_repo(tmp_path / "repo")
    before = fingerprint(root)
    result = Reviewer(ReviewSettings(), open_model=lambda: qwen).review(staged_changes(open_repo(root)))
    assert fingerprint(root) == before
    assert result.reviewed_hunks == 2 and not result.unreviewed
    hits = {(f.path, f.line) for f in result.findings if f.source == "model"} & BUG_LINES
    assert hits, render(result, "text", verbose=True)
    assert all(0 < f.confidence <= 1 for f in result.findings)

    document = json.loads(render(result, "sarif"))
    assert list(sarif_validator().iter_errors(document)) == []
    sarif_lines = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in document["runs"][0]["results"]}
    assert hits <= sarif_lines
    rd = [json.loads(line) for line in render(result, "rdjsonl").splitlines()]
    assert hits <= {(d["location"]["path"], d["location"]["range"]["start"]["line"]) for d in rd}
    data = json.loads(render(result, "json"))
    assert hits <= {(f["path"], f["line"]) for f in data["findings"]}


def test_cli_and_hook_end_to_end_on_the_real_model(tmp_path, qwen_model):
    root = buggy_repo(tmp_path / "repo")
    env = {**os.environ, "CODER_CHAT_MODEL": str(qwen_model)}
    sarif = subprocess.run([sys.executable, "-m", "coder", "review", "--format", "sarif"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=600)
    document = json.loads(sarif.stdout)
    assert list(sarif_validator().iter_errors(document)) == []
    assert document["runs"][0]["results"], sarif.stderr
    last = subprocess.run([sys.executable, "-m", "coder", "review", "--last", "--format", "json"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)
    data = json.loads(last.stdout)
    assert data["model"] and data["reviewed_hunks"] == 2

    hook = subprocess.run([sys.executable, "-m", "coder", "hook", "install"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert hook.returncode == 0
    head = git(root, "rev-parse", "HEAD").stdout
    committed = git(root, "commit", "-q", "-m", "bugs", check=False,
                    env={"CODER_CHAT_MODEL": str(qwen_model), "CODER_REVIEW_TIME_BUDGET": "120"})
    assert "no model review" not in committed.stderr
    if any(r["level"] == "error" for r in document["runs"][0]["results"]):
        assert committed.returncode != 0 and git(root, "rev-parse", "HEAD").stdout == head
        assert "commit blocked" in committed.stderr
    # A clean change passes through the same hook and model.
    git(root, "checkout", "-q", "--", ".")
    git(root, "reset", "-q")
    write(root, "total.py", PYTHON_BEFORE.replace('"""The sum of a list of prices."""', '"""The sum of the prices."""'))
    git(root, "add", "total.py")
    clean = git(root, "commit", "-q", "-m", "docstring", check=False,
                env={"CODER_CHAT_MODEL": str(qwen_model), "CODER_REVIEW_TIME_BUDGET": "120"})
    assert clean.returncode == 0, clean.stderr
    assert "no model review" not in clean.stderr
