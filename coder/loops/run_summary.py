"""How a stored loop run and its candidates read in one line, for every front
(`coder runs show`, the TUI's earlier runs)."""

from __future__ import annotations

import json
import time


def when(stamp: float | None) -> str:
    """A store timestamp as local date and minute, "-" when there is none."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "-"


def candidate_outcome(candidate: dict, *, speedup_reason: bool = True) -> str:
    """status (reason), the test counts and the verdict's speedup of one stored
    candidate row."""
    evidence = json.loads(candidate["evidence"] or "{}")
    tests = evidence.get("tests") or {}
    verdict = evidence.get("verdict") or {}
    line = candidate["status"]
    if candidate["reason"]:
        line += f" ({candidate['reason']})"
    if evidence.get("anew"):
        line += ", written anew"
    if tests:
        line += f", tests {tests.get('passed')} passed / {tests.get('failed')} failed"
    if isinstance(verdict, dict) and verdict.get("speedup"):
        line += f", {verdict['speedup']:.2f}x"
        if speedup_reason:
            line += f" ({verdict.get('reason', '')})"
    return line
