"""Loop mechanics with a scripted model where the outcome must be known: a correct fix, a
wrong one, one that does not parse, one that hangs. The tests run for real in the
sandbox; only the model's replies are scripted (the real-model test is separate)."""

from __future__ import annotations

import threading

import pytest

from coder.loops import events as ev
from coder.loops.api import fix
from coder.loops.events import Cancel
from coder.loops.sandbox import Limits, bubblewrap_problem
from coder.loops.session import UNCHANGED, LoopOptions
from coder.store import Store
from loop_support import tree_hash
from tests.support.scripted_backend import ScriptedBackend

pytestmark = pytest.mark.skipif(bubblewrap_problem() is not None, reason=str(bubblewrap_problem()))

QUICK = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}

RIGHT = """The even case must average the two middle values:
```python
def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
```"""
WRONG = "```python\ndef median(values):\n    return sorted(values)[len(values) // 2]\n```"
WRONG_TOO = "```python\ndef median(values):\n    return sorted(values)[0]\n```"
UNPARSABLE = "```python\ndef median(values:\n    return (\n```"
HANGS = "```python\ndef median(values):\n    while True:\n        pass\n```"


def options(python, **overrides) -> LoopOptions:
    values = dict(rounds=3, python=python, env=QUICK, limits=Limits(wall_s=20.0))
    values.update(overrides)
    return LoopOptions(**values)


def test_a_correct_fix_ends_the_loop_and_nothing_is_applied(buggy_repo, python, tmp_path):
    before = tree_hash(buggy_repo)
    backend = ScriptedBackend([RIGHT])
    events = []
    with Store.open(tmp_path / "store.sqlite3") as store:
        result = fix(buggy_repo, None, backend, options(python), on_event=events.append, store=store)
        run = store.loop_run(result.run_id)
        candidates = store.loop_candidates(result.run_id)
    assert result.outcome == "fixed" and result.rounds == 1
    assert result.target.spec == "stats.py::median"  # found from the failing tests
    assert "+    return (ordered[middle - 1] + ordered[middle]) / 2" in result.diff
    assert tree_hash(buggy_repo) == before  # the loop itself never writes the user's file
    assert run["outcome"] == "fixed" and run["solved_by"] == "scripted"
    assert [c["status"] for c in candidates] == ["passed"]
    assert run["best_candidate_id"] == candidates[0]["id"]
    kinds = [e.kind for e in events]
    assert kinds[0] == ev.BASELINE and kinds[-1] == ev.FINISHED and ev.TESTED in kinds
    # The model saw the failing tests' source and their trimmed output.
    prompt = backend.chat_requests[0].messages[1].content
    assert "def test_median_even" in prompt and "assert 3.5 == 2.5" in prompt
    assert "IndexError: list index out of range" in prompt


def test_wrong_unparsable_and_hanging_candidates_feed_back_until_the_fix(buggy_repo, python):
    backend = ScriptedBackend([UNPARSABLE, WRONG, HANGS, RIGHT])
    result = fix(buggy_repo, "stats.py::median", backend,
                 options(python, rounds=4, limits=Limits(wall_s=8.0)))
    assert result.outcome == "fixed" and result.rounds == 4
    statuses = [(c.status, c.reason) for c in result.candidates]
    assert statuses[0][0] == "rejected" and "does not parse" in statuses[0][1]
    assert [s for s, _ in statuses[1:]] == ["failed", "failed", "passed"]
    second, third, fourth = (r.messages for r in backend.chat_requests[1:])
    assert "could not be tried" in second[-1].content  # the reason reached the model
    assert "assert 3 == 2.5" in third[-1].content  # the wrong fix's failure did
    assert "was still running when it was stopped by time limit" in fourth[-1].content


def test_rounds_run_out_on_wrong_candidates(buggy_repo, python, tmp_path):
    backend = ScriptedBackend([WRONG, WRONG_TOO])
    with Store.open(tmp_path / "store.sqlite3") as store:
        result = fix(buggy_repo, None, backend, options(python, rounds=2), store=store)
        assert store.loop_run(result.run_id)["outcome"] == "not_fixed"
        assert len(store.loop_candidates(result.run_id)) == 2
    assert result.outcome == "not_fixed" and result.best is None and result.diff == ""


def test_escalation_hands_the_history_to_the_larger_model(buggy_repo, python):
    small = ScriptedBackend([WRONG], name="small")
    large = ScriptedBackend([RIGHT], name="large")
    result = fix(buggy_repo, None, small, options(python, rounds=1, escalate_rounds=1), escalation_backend=large)
    assert result.outcome == "fixed" and result.solved_by == "large"
    assert "assert 3 == 2.5" in large.chat_requests[0].messages[-1].content


def test_several_candidates_per_round_first_passing_wins(buggy_repo, python):
    backend = ScriptedBackend([WRONG, RIGHT, WRONG])
    result = fix(buggy_repo, None, backend, options(python, rounds=1, candidates=3))
    assert result.outcome == "fixed"
    assert [c.status for c in result.candidates] == ["failed", "passed"]
    assert backend.chat_requests[0].temperature == 0.0 and backend.chat_requests[1].temperature > 0


def test_cancel_stops_a_running_candidate(buggy_repo, python):
    cancel = Cancel()
    backend = ScriptedBackend([HANGS, RIGHT])

    def on_event(event):
        if event.kind == ev.GENERATING:
            threading.Timer(1.0, cancel.set).start()

    result = fix(buggy_repo, None, backend, options(python, limits=Limits(wall_s=60.0)),
                 on_event=on_event, cancel=cancel)
    assert result.outcome == "cancelled" and result.best is None


def test_tests_that_pass_already_are_a_usage_error(slow_repo, python):
    from coder.errors import UsageError

    with pytest.raises(UsageError, match="the tests pass already"):
        fix(slow_repo, None, ScriptedBackend([]), options(python))


def test_a_function_given_back_unchanged_is_drawn_again_in_the_same_round(buggy_repo, python):
    unchanged = unchanged_median(buggy_repo)
    # Only layout differs (a blank line more): the same code is unchanged all the same.
    unchanged = unchanged.replace(":\n", ":\n\n", 1)

    def reply(request):  # the function given back first, then a fix
        return unchanged if len(backend.chat_requests) == 1 else RIGHT

    backend = ScriptedBackend(reply)
    result = fix(buggy_repo, "stats.py::median", backend, options(python))
    assert result.outcome == "fixed" and result.rounds == 1
    assert [(c.round, c.index, c.status) for c in result.candidates] == [(1, 1, "rejected"), (1, 2, "passed")]
    assert result.candidates[0].reason == UNCHANGED
    assert "`median` unchanged: the version that fails the tests above" in result.candidates[0].feedback


def test_after_the_function_comes_back_unchanged_the_model_writes_it_anew_from_its_docstring(
        buggy_repo, python, tmp_path):
    unchanged = unchanged_median(buggy_repo)

    def reply(request):  # shown the body, the model copies it; shown only the docstring, it writes one
        return RIGHT if "anew" in request.messages[-1].content else unchanged

    backend = ScriptedBackend(reply)
    events = []
    with Store.open(tmp_path / "store.sqlite3") as store:
        result = fix(buggy_repo, "stats.py::median", backend, options(python), on_event=events.append, store=store)
        stored = store.loop_candidates(result.run_id)
    assert result.outcome == "fixed" and result.rounds == 1
    assert [(c.status, c.anew) for c in result.candidates] == [("rejected", False), ("passed", True)]
    asked = backend.chat_requests[1].messages
    assert len(asked) == 2  # the system prompt and the task: no earlier reply with the body in it
    task = asked[1].content
    assert "Write `median` anew from its signature and docstring" in task
    assert '"""The middle value; the mean of the two middle ones for an even count."""' in task
    # The body it kept copying is not shown (the traceback still names the failing line).
    assert "ordered = sorted(values)" not in task and "if len(ordered) % 2 == 1" not in task
    assert "def test_median_even" in task and "assert 3.5 == 2.5" in task  # the tests and their output are
    assert backend.chat_requests[1].temperature == 0.0  # the first one written anew: a new prompt, greedy
    assert any(e.kind == ev.GENERATING and e.message.endswith("to write median anew") for e in events)
    from coder.cli.loop_common import evidence_lines
    from coder.loops.run_summary import candidate_outcome

    assert "candidate 1.2 (scripted, written anew): passed" in evidence_lines(result)[2]
    assert candidate_outcome(stored[1]).startswith("passed, written anew")
    assert "written anew" not in candidate_outcome(stored[0])


def test_each_one_written_anew_stands_alone_and_the_later_ones_are_sampled(buggy_repo, python):
    unchanged = unchanged_median(buggy_repo)

    def reply(request):  # its first one written anew is wrong, a sampled one right
        if "anew" not in request.messages[-1].content:
            return unchanged
        return WRONG_TOO if request.temperature == 0.0 else RIGHT

    backend = ScriptedBackend(reply)
    result = fix(buggy_repo, "stats.py::median", backend, options(python))
    assert result.outcome == "fixed" and result.rounds == 2
    assert [(c.round, c.index, c.status, c.anew) for c in result.candidates] == [
        (1, 1, "rejected", False), (1, 2, "failed", True), (2, 1, "rejected", False), (2, 2, "passed", True)]
    # Round 2 shows the failed attempt written anew in the conversation with the body; the
    # one written anew again is not shown it (the 0.5B copies whatever code it last saw).
    assert "sorted(values)[0]" in backend.chat_requests[2].messages[-2].content
    again = backend.chat_requests[3]
    assert len(again.messages) == 2 and "sorted(values)[0]" not in again.messages[1].content
    assert again.temperature > 0.0 and again.seed is not None


def test_a_candidate_tried_already_is_not_tested_again(buggy_repo, python):
    """Greedy, the model repeats its failing candidate; the redraws are sampled, and after a
    round whose replies were all given back the next round starts sampled too."""
    def reply(request):
        return WRONG if request.temperature == 0.0 or len(backend.chat_requests) < 5 else RIGHT

    backend = ScriptedBackend(reply)
    events = []
    result = fix(buggy_repo, "stats.py::median", backend, options(python, rounds=3), on_event=events.append)
    assert result.outcome == "fixed"
    assert [(c.round, c.index, c.status) for c in result.candidates] == [
        (1, 1, "failed"), (2, 1, "rejected"), (2, 2, "rejected"), (2, 3, "rejected"), (3, 1, "passed")]
    assert all(c.reason == "it repeats candidate 1.1, tried already" for c in result.candidates[1:4])
    assert sum(1 for e in events if e.kind == ev.TESTED) == 2  # the repeats never ran the tests
    # 2.1 greedy (round 1 gave nothing back), 2.2 the first written anew (greedy), then sampled.
    assert [r.temperature > 0 for r in backend.chat_requests] == [False, False, False, True, True]
    told = backend.chat_requests[-1].messages[-1].content
    assert "the same `median` as a version tried before" in told


def unchanged_median(repo) -> str:
    original = (repo / "stats.py").read_text()
    start = original.index("def median")
    end = original.find("\ndef ", start + 1)
    return "```python\n" + (original[start:] if end < 0 else original[start:end]).strip() + "\n```"


def test_without_redraws_a_reply_given_back_is_the_rounds_candidate(buggy_repo, python):
    """The one-shot baseline of bench_fix: one reply, whatever it is."""
    backend = ScriptedBackend([unchanged_median(buggy_repo), RIGHT])
    result = fix(buggy_repo, "stats.py::median", backend, options(python, rounds=1, redraws=0))
    assert result.outcome == "not_fixed" and len(backend.chat_requests) == 1
    assert [(c.status, c.reason) for c in result.candidates] == [("rejected", UNCHANGED)]
