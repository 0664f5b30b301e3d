"""What the pre-commit hook does: review the staged change, fail open, block on errors.

Blocks (exit 1) only on findings at or above ``review.block_severity``. Everything
else lets the commit through, with one line saying why when the review was not
whole: no model, the model failed, coder itself crashed, or the time budget
(``review.time_budget``, 20 s) ran out. The budget is kept twice: the reviewer stops
between units and cancels a generation at the deadline, and a watchdog thread ends
the process a little after it, whatever is hanging (a model that never loads).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from coder.errors import CoderError

WATCHDOG_GRACE_S = 3.0  # past the budget, for the cooperative stop to finish first
SKIP_VARIABLE = "CODER_SKIP_REVIEW"


def _warn(line: str) -> None:
    print(f"coder review: {line}", file=sys.stderr, flush=True)


def _start_watchdog(seconds: float) -> threading.Timer:
    def give_up() -> None:
        _warn(f"stopped after {seconds:.0f} s, past the time budget; the commit proceeds unreviewed")
        os._exit(0)

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()
    return timer


def run_hook(start: Path | str = ".", *, explicit_model: str | None = None) -> int:
    if os.environ.get(SKIP_VARIABLE) == "1":
        return 0
    started = time.monotonic()
    try:
        return _review_and_judge(Path(start), explicit_model, started)
    except CoderError as error:
        _warn(f"{error.message}; the commit proceeds unreviewed")
        return 0
    except Exception as error:  # noqa: BLE001 - a bug in coder must not stop a commit
        _warn(f"coder failed ({type(error).__name__}: {error}); the commit proceeds unreviewed")
        return 0


def _review_and_judge(start: Path, explicit_model: str | None, started: float) -> int:
    from coder.review.changes import open_repo, staged_changes
    from coder.review.output_formats import finding_lines
    from coder.review.session import diff_key, remember, run_review
    from coder.workspace import Workspace

    with Workspace.open(start, explicit_model=explicit_model) as workspace:
        settings = workspace.settings.review
        watchdog = _start_watchdog(settings.time_budget + WATCHDOG_GRACE_S)
        try:
            repo = open_repo(workspace.root)
            changes = staged_changes(repo)
            if not changes.files:
                return 0
            result = run_review(workspace, changes, deadline=started + settings.time_budget)
            blocking = result.blocking(settings.block_severity)
            outcome = "blocked" if blocking else ("failed-open" if result.model_error or result.timed_out else "passed")
            remember(workspace, result, outcome, diff_key(repo, ("--cached",)))
        finally:
            watchdog.cancel()
    for line in finding_lines(result.findings, colour=sys.stderr.isatty()):
        print(line, file=sys.stderr)
    if result.model_error:
        _warn(f"no model review ({result.model_error}); the commit proceeds")
    elif result.timed_out:
        _warn(f"the time budget of {settings.time_budget:g} s ran out; left unreviewed: "
              + ", ".join(result.unreviewed[:5]) + ("" if len(result.unreviewed) <= 5 else f" and {len(result.unreviewed) - 5} more"))
    if blocking:
        _warn(f"commit blocked by {len(blocking)} finding(s) at {settings.block_severity} or above; fix them, "
              f"or commit with --no-verify or {SKIP_VARIABLE}=1 (coder review --last shows them again)")
        return 1
    return 0


if __name__ == "__main__":  # the installed hook runs this, skipping the CLI's start-up
    sys.exit(run_hook(Path(".")))
