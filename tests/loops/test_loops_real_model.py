"""The loops end to end on the real default model (Qwen2.5-Coder-0.5B-Instruct through
llama.cpp) and the real sandbox: rounds run, the test output reaches the prompt, the
history is recorded, and nothing is applied without consent. One model process for
the module."""

from __future__ import annotations

import pytest

from coder.loops import events as ev
from coder.loops.api import fix, optimize
from coder.loops.sandbox import Limits, bubblewrap_problem
from coder.loops.session import REDRAWS, LoopOptions, given_back
from coder.models.backend import Backend
from coder.store import Store
from loop_support import tree_hash

pytestmark = [pytest.mark.model,
              pytest.mark.skipif(bubblewrap_problem() is not None, reason=str(bubblewrap_problem()))]

QUICK = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


class Recording(Backend):
    """The real backend, with every chat request kept for the assertions."""

    def __init__(self, inner):
        self.inner = inner
        self.requests = []

    def info(self):
        return self.inner.info()

    def tokenize(self, text, *, special=False):
        return self.inner.tokenize(text, special=special)

    def detokenize(self, ids):
        return self.inner.detokenize(ids)

    def stream(self, request):
        return self.inner.stream(request)

    def chat(self, request):
        self.requests.append(request)
        return self.inner.chat(request)


@pytest.fixture(scope="module")
def qwen(qwen_model):
    from coder.models.llama_backend import LlamaWorkerBackend

    with LlamaWorkerBackend(qwen_model, n_ctx=4096) as backend:
        yield backend


def test_fix_on_the_real_model(qwen, buggy_repo, python, tmp_path):
    backend = Recording(qwen)
    before = tree_hash(buggy_repo)
    events = []
    with Store.open(tmp_path / "store.sqlite3") as store:
        result = fix(buggy_repo, None, backend, LoopOptions(rounds=2, python=python, env=QUICK,
                                                             limits=Limits(wall_s=30.0)),
                     on_event=events.append, store=store)
        run = store.loop_run(result.run_id)
        kept = store.loop_candidates(result.run_id)
    assert tree_hash(buggy_repo) == before  # nothing applied without consent
    assert result.target.spec == "stats.py::median"
    assert 1 <= result.rounds <= 2 and len(backend.requests) == len(result.candidates)  # one reply each
    first = backend.requests[0].messages[1].content
    assert "assert 3.5 == 2.5" in first and "def test_median_even" in first  # test output reached it
    if result.rounds == 2:  # round 1 failed: what one of its candidates was told went back
        first_round = [c for c in result.candidates if c.round == 1]
        told = backend.requests[len(first_round)].messages[-1].content
        assert told in [c.feedback for c in first_round]
    assert run["outcome"] == result.outcome and len(kept) == len(result.candidates)
    assert run["model"].startswith("qwen2.5-coder-0.5b-instruct")
    assert [e.kind for e in events].count(ev.ROUND) == result.rounds
    if result.outcome == "fixed":
        assert result.best.status == "passed" and result.diff.startswith("--- a/stats.py")


def test_optimize_on_the_real_model(qwen, slow_repo, python):
    backend = Recording(qwen)
    before = tree_hash(slow_repo)
    result = optimize(slow_repo, "textutil.py::dedupe", backend,
                      LoopOptions(rounds=1, python=python, env=QUICK, limits=Limits(wall_s=60.0)),
                      bench="dedupe([i % 300 for i in range(1500)])")
    assert tree_hash(slow_repo) == before
    # One candidate tried; before it, up to REDRAWS replies that gave the function back.
    assert result.rounds == 1 and 1 <= len(result.candidates) <= 1 + REDRAWS
    assert all(given_back(c) for c in result.candidates[:-1])
    candidate = result.candidates[-1]
    assert "Line profile" in backend.requests[0].messages[1].content
    assert candidate.status in ("rejected", "failed", "faster", "not_faster")
    if candidate.status in ("faster", "not_faster"):
        assert candidate.verdict["speedup"] > 0 and candidate.verdict["noise"] >= 1
