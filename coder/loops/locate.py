"""Which function to fix when the user names none: read from the failing tests.

First the tracebacks: the innermost frame in a project file that is not a test file
is where the failure surfaced. When the failure is an assertion in the test itself
(a wrong return value), the traceback holds only the test; then the functions the
failing test calls, found among the project's non-test files, are the suspects.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path, PurePosixPath

from coder.loops.target import FunctionTarget, TargetError, find_function, function_at_line, function_names
from coder.loops.test_feedback import TestRun


def is_test_file(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(p in ("tests", "test") for p in parts[:-1]))


def _read(root: Path, path: str) -> str | None:
    try:
        return (root / path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def from_tracebacks(root: Path, run: TestRun) -> FunctionTarget | None:
    votes: Counter = Counter()
    found: dict[str, FunctionTarget] = {}
    for failure in run.failures:
        own = [f for f in failure.frames if not f[0].startswith("/") and f[0].endswith(".py")
               and not is_test_file(f[0])]
        if not own:
            continue
        path, line, _, _ = own[-1]
        text = _read(root, path)
        target = function_at_line(path, text, line - 1) if text is not None else None
        if target is not None:
            votes[target.spec] += 1
            found[target.spec] = target
    if not votes:
        return None
    return found[votes.most_common(1)[0][0]]


def _called_names(root: Path, run: TestRun) -> Counter:
    """Names called in the bodies of the failing tests."""
    names: Counter = Counter()
    for failure in run.failures:
        test_path = failure.nodeid.split("::", 1)[0]
        test_name = failure.nodeid.split("::")[-1].split("[", 1)[0]
        text = _read(root, test_path)
        if text is None:
            continue
        try:
            test = find_function(test_path, text, test_name)
        except TargetError:
            continue
        for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", test.source):
            if name != test_name:
                names[name] += 1
    return names


def from_test_calls(root: Path, run: TestRun, python_files: list[str]) -> FunctionTarget | None:
    called = _called_names(root, run)
    if not called:
        return None
    for name, _ in called.most_common():
        for path in python_files:
            text = _read(root, path)
            if text is None or name not in text:
                continue
            if name in [n.rsplit(".", 1)[-1] for n in function_names(text)]:
                try:
                    return find_function(path, text, name)
                except TargetError:
                    continue
    return None


def project_python_files(root: Path, limit: int = 2000) -> list[str]:
    from coder.loops.sandbox import SKIPPED_DIRS

    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts[:-1]):
            continue
        if not is_test_file(relative.as_posix()):
            found.append(relative.as_posix())
        if len(found) >= limit:
            break
    return found


def locate_failing_function(root: Path, run: TestRun, within: str | None = None) -> FunctionTarget | None:
    """The function to fix; ``within`` limits the search to one file."""
    target = from_tracebacks(root, run)
    if target is not None and (within is None or target.path == within):
        return target
    files = [within] if within else project_python_files(root)
    return from_test_calls(root, run, files)
