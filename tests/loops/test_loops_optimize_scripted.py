"""The optimize loop with scripted candidates of known speed: one that is faster, one
that only looks faster (the same algorithm rewritten), one that breaks the tests. The
timings are real, measured in the sandbox against the original."""

from __future__ import annotations

import pytest

from coder.loops.api import optimize
from coder.loops.sandbox import Limits, bubblewrap_problem
from coder.loops.session import UNCHANGED, LoopOptions
from loop_support import tree_hash
from tests.support.scripted_backend import ScriptedBackend

pytestmark = pytest.mark.skipif(bubblewrap_problem() is not None, reason=str(bubblewrap_problem()))

QUICK = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}

FASTER = """```python
def dedupe(items):
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result
```"""
LOOKS_FASTER = """```python
def dedupe(items):
    seen = []
    result = []
    for item in items:
        if not (item in seen):
            seen.append(item)
            result.append(item)
    return result
```"""
BREAKS = "```python\ndef dedupe(items):\n    return sorted(set(items))\n```"


def options(python, rounds) -> LoopOptions:
    return LoopOptions(rounds=rounds, python=python, env=QUICK, limits=Limits(wall_s=60.0))


def test_the_faster_candidate_wins_with_evidence(slow_repo, python):
    before = tree_hash(slow_repo)
    backend = ScriptedBackend([BREAKS, LOOKS_FASTER, FASTER])
    result = optimize(slow_repo, "textutil.py::dedupe", backend, options(python, 3))
    assert tree_hash(slow_repo) == before
    assert result.outcome == "optimized"
    broken, same, faster = result.candidates
    assert broken.status == "failed"
    assert same.status == "not_faster", same.verdict
    assert faster.status == "faster" and result.best is faster
    assert faster.verdict["speedup"] > 3 and faster.verdict["same_results"] is True
    assert "+    seen = set()" in result.diff
    # The model saw the original's line profile, then the timings of its candidates.
    first = backend.chat_requests[0].messages[1].content
    assert "Line profile" in first and "<-- hot" in first
    last = backend.chat_requests[2].messages[-1].content
    assert "passes the tests. Measured against the original" in last


def test_a_candidate_within_the_noise_is_not_claimed(slow_repo, python):
    result = optimize(slow_repo, "textutil.py::dedupe", ScriptedBackend([LOOKS_FASTER]), options(python, 1),
                      bench="dedupe([i % 300 for i in range(1500)])", feedback_mode="timings")
    assert result.outcome == "not_faster" and result.best is None
    assert result.candidates[0].verdict["faster"] is False


def test_a_function_given_back_unchanged_or_repeated_is_drawn_again_sampled(slow_repo, python):
    original = (slow_repo / "textutil.py").read_text()
    start = original.index("def dedupe")
    end = original.find("\ndef ", start + 1)
    unchanged = "```python\n" + (original[start:] if end < 0 else original[start:end]).strip() + "\n```"

    def reply(request):  # greedy gives the function back as it is; a sampled reply is faster
        return unchanged if request.temperature == 0.0 else FASTER

    backend = ScriptedBackend(reply)
    result = optimize(slow_repo, "textutil.py::dedupe", backend, options(python, 2))
    assert [(c.round, c.index, c.status) for c in result.candidates] == [
        (1, 1, "rejected"), (1, 2, "faster"), (2, 1, "rejected"), (2, 2, "rejected"), (2, 3, "rejected")]
    # Round 1 gave the function back, so round 2 starts sampled, and gets the same faster one thrice.
    assert result.candidates[0].reason == UNCHANGED
    assert [c.reason for c in result.candidates[2:]] == ["it repeats candidate 1.2, tried already"] * 3
    first, second = backend.chat_requests[:2]
    assert first.temperature == 0.0 and second.temperature > 0.0 and second.seed is not None
