"""What the model reads about a test run: the project's frames, messages and output cut
to a budget."""

from __future__ import annotations

from coder.loops.sandbox import RunResult
from coder.loops.test_feedback import TestResult, TestRun, feedback


def failing(n, output="", message="AssertionError: assert 1 == 2"):
    return TestResult(
        nodeid=f"tests/test_a.py::test_{n}", outcome="failed", message=message, stdout=output,
        frames=(("/usr/lib/python3/site-packages/_pytest/python.py", 10, "pytest_pyfunc_call", "x"),
                ("tests/test_a.py", 5, f"test_{n}", "assert f() == 2"), ("pkg/a.py", 3, "f", "return 1")),
    )


def run_of(results, *, finished=True, timed_out=False, running=None):
    return TestRun(results=results, finished=finished, exitstatus=1 if finished else None,
                   run=RunResult(returncode=1, output="", wall_s=1.0, timed_out=timed_out), running=running)


def test_only_the_projects_frames_and_the_message():
    text = feedback(run_of([failing(1)]))
    assert "tests/test_a.py:5 in test_1" in text and "pkg/a.py:3 in f" in text
    assert "_pytest" not in text and "assert 1 == 2" in text
    assert text.startswith("Test results: 0 passed, 1 failed.")


def test_a_flood_of_output_and_failures_stays_within_the_budget():
    results = [failing(n, output="noise " * 5000, message="E" * 10000) for n in range(50)]
    text = feedback(run_of(results), budget=3000)
    assert len(text) < 3600
    assert "characters cut" in text and "more failing tests not shown" in text


def test_a_hang_names_the_running_test():
    text = feedback(run_of([], finished=False, timed_out=True, running="tests/test_a.py::test_slow"))
    assert "tests/test_a.py::test_slow was still running when it was stopped by time limit" in text
