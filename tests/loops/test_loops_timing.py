"""The speedup verdict on recorded timings (pure), and the line profile's layout."""

from __future__ import annotations

from coder.loops.profile import format_profile
from coder.loops.timing import judge, module_name


def measured(original, candidate, again, cost=None, same=True):
    return {"ok": True, "same_results": same, "time": {"original": original, "candidate": candidate,
                                                       "original_again": again}, "cost": cost}


STEADY = [1.00, 1.02, 0.99, 1.01, 1.00, 0.98, 1.01, 1.00, 1.02, 0.99, 1.00]


def test_a_clear_speedup_beyond_the_noise_is_claimed():
    verdict = judge(measured(STEADY, [t / 3 for t in STEADY[::-1]], STEADY[1:] + STEADY[:1]))
    assert verdict.faster and 2.8 < verdict.speedup < 3.2


def test_a_gain_inside_the_noise_is_not():
    noisy = [1.0, 1.3, 0.8, 1.1, 0.9, 1.25, 0.85, 1.0, 1.2, 0.9, 1.05]
    verdict = judge(measured(noisy, [t / 1.05 for t in noisy[::-1]], noisy[3:] + noisy[:3]))
    assert not verdict.faster and verdict.reason in ("within the noise", "not faster")


def test_on_a_busy_machine_the_executed_bytecode_decides():
    busy = [1.0, 2.0, 0.6, 1.5, 0.7, 1.8, 0.9, 1.2, 2.2, 0.8, 1.0]
    candidate = [t / 1.1 for t in busy[::-1]]
    again = busy[5:] + busy[:5]
    assert judge(measured(busy, candidate, again, cost={"original": 1500, "candidate": 1000})).faster
    assert not judge(measured(busy, candidate, again, cost={"original": 1000, "candidate": 1000})).faster


def test_different_results_are_never_faster():
    verdict = judge(measured(STEADY, [t / 5 for t in STEADY], STEADY, same=False))
    assert not verdict.faster and "different results" in verdict.reason


def test_a_failed_benchmark_is_reported():
    verdict = judge({"ok": False, "error": "NameError: x"})
    assert not verdict.faster and verdict.error == "NameError: x"


def test_module_names():
    assert module_name("src/pkg/mod.py") == "pkg.mod"
    assert module_name("pkg/__init__.py") == "pkg"


def test_the_profile_marks_the_hot_lines():
    source = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total"
    profile = {"lines": {"11": [1, 0.001], "12": [101, 0.02], "13": [100, 0.08], "14": [1, 0.0001]}}
    text = format_profile(profile, source, 10)
    lines = text.split("\n")
    assert lines[4].endswith("total += x <-- hot") and "100" in lines[4]
    assert "<-- hot" not in lines[2]
