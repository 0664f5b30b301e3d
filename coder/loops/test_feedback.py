"""Running the project's tests in a sandbox copy, and the feedback the model gets from them.

The feedback is what published self-repair results find counts most: for each failing
test its assertion message, the traceback frames that are the project's own code (not
pytest's or the standard library's), and its captured output, each cut to a budget so
that a flood of output never pushes the code out of a small model's context.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from coder.loops.sandbox import Limits, RunResult, Sandbox

PLUGIN_MODULE = "coder_loop_report"
REPORT_NAME = ".coder-loop-report.json"


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, despite the name
    nodeid: str
    outcome: str  # passed | failed | error | skipped
    message: str = ""
    frames: tuple[tuple[str, int, str, str], ...] = ()  # (path relative to the copy, line, function, code)
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0


@dataclass
class TestRun:
    __test__ = False
    results: list[TestResult]
    finished: bool  # pytest reached the end of the session
    exitstatus: int | None
    run: RunResult
    running: str | None = None  # the test that was running when the run was stopped
    collected: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        return self.count("failed") + self.count("error")

    @property
    def ok(self) -> bool:
        """Every test passed, at least one ran, and the run ended on its own."""
        return self.finished and self.exitstatus == 0 and self.failed == 0 and self.passed > 0

    @property
    def failures(self) -> list[TestResult]:
        return [r for r in self.results if r.outcome in ("failed", "error")]

    def summary(self) -> str:
        parts = [f"{self.passed} passed", f"{self.failed} failed"]
        if not self.finished:
            if self.run.limit_hit:
                parts.append(f"stopped by the {self.run.limit_hit}")
            else:
                parts.append(f"pytest ended without finishing (exit {self.run.returncode})")
        elif self.exitstatus == 5:
            parts.append("no tests were collected")
        return ", ".join(parts)

    def as_dict(self) -> dict:
        return {
            "passed": self.passed, "failed": self.failed, "finished": self.finished,
            "exitstatus": self.exitstatus, "limit": self.run.limit_hit, "wall_s": round(self.run.wall_s, 3),
            "failures": [r.nodeid for r in self.failures],
        }


def install_plugin(sandbox: Sandbox) -> None:
    source = resources.files("coder.loops").joinpath("pytest_plugin.py").read_text(encoding="utf-8")
    sandbox.add_support_file(f"{PLUGIN_MODULE}.py", source)


def pytest_command(python: Path, test_args: str | None) -> list[str]:
    return [
        str(python), "-m", "pytest", "-p", PLUGIN_MODULE, "-p", "no:cacheprovider", "-q",
        "--color=no", "-o", "console_output_style=classic", *shlex.split(test_args or ""),
    ]


def run_tests(sandbox: Sandbox, copy: Path, python: Path, test_args: str | None, *,
              limits: Limits | None = None, cancelled=None, env: dict[str, str] | None = None) -> TestRun:
    """Run pytest in the copy; the results come from the plugin's report."""
    report = copy / REPORT_NAME
    full_env = {"CODER_LOOP_REPORT": str(report), **(env or {})}
    run = sandbox.run(pytest_command(python, test_args), copy, env=full_env, limits=limits, cancelled=cancelled)
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {"results": [], "finished": False, "exitstatus": None}
    results = [
        TestResult(
            nodeid=r["nodeid"], outcome=r["outcome"], message=r.get("message", ""),
            frames=tuple(_relative_frame(f, copy) for f in r.get("frames", [])),
            stdout=r.get("stdout", ""), stderr=r.get("stderr", ""), duration=r.get("duration", 0.0),
        )
        for r in data.get("results", [])
    ]
    finished = bool(data.get("finished")) and run.limit_hit is None
    return TestRun(results=results, finished=finished, exitstatus=data.get("exitstatus"), run=run,
                   running=data.get("running"), collected=data.get("collected", 0))


def _relative_frame(frame, copy: Path) -> tuple[str, int, str, str]:
    path, line, function, code = frame
    try:
        path = Path(path).relative_to(copy).as_posix()
    except ValueError:
        pass  # outside the copy: a library's frame
    return (str(path), int(line), str(function), str(code))


def _own_frames(result: TestResult) -> list[tuple[str, int, str, str]]:
    """Frames in the project's files: not absolute paths (libraries, pytest itself)."""
    return [f for f in result.frames if not f[0].startswith("/")]


def _cut(text: str, budget: int) -> str:
    text = text.strip("\n")
    if len(text) <= budget:
        return text
    half = budget // 2
    return f"{text[:half]}\n[... {len(text) - budget} characters cut ...]\n{text[-half:]}"


def feedback(run: TestRun, *, budget: int = 3000, per_test: int = 1200, output_budget: int = 400) -> str:
    """What the model reads about a test run, within about ``budget`` characters."""
    lines = [f"Test results: {run.summary()}."]
    if not run.finished and run.running:
        limit = run.run.limit_hit or "the run ending"
        lines.append(f"The test {run.running} was still running when it was stopped by {limit}"
                     + (" (an infinite loop or a very slow path?)." if run.run.timed_out else "."))
    used = len(lines[0])
    for index, result in enumerate(run.failures):
        block = [f"\nFAILED {result.nodeid}" + (" (error while setting up)" if result.outcome == "error" else "")]
        frames = _own_frames(result)[-4:]
        if frames:
            block.append("Traceback (the project's frames, innermost last):")
            block += [f"  {path}:{line} in {function}\n    {code}" for path, line, function, code in frames]
        if result.message:
            block.append(_cut(result.message, per_test // 2))
        captured = (result.stdout + result.stderr).strip()
        if captured:
            block.append("Captured output:\n" + _cut(captured, output_budget))
        text = "\n".join(block)
        if used + len(text) > budget:
            lines.append(f"\n[{len(run.failures) - index} more failing tests not shown]")
            break
        lines.append(text)
        used += len(text)
    if not run.results and run.run.output.strip():
        lines.append("pytest printed:\n" + _cut(run.run.output, budget // 2))
    return "\n".join(lines)
