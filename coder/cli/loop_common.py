"""What `coder fix` and `coder optimize` share: options, live progress, the ending.

Progress goes to stderr, one line per step; the diff and the evidence go to stdout.
The user's file is written only with --apply, or when the user answers yes on a
terminal; otherwise the run is kept and `coder runs apply ID` applies it later.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time

from coder.errors import UsageError
from coder.loops import events as ev
from coder.loops.sandbox import Limits, require_bubblewrap

NO_SANDBOX_WARNING = ("coder: warning: --no-sandbox runs model-written code with resource limits only: "
                      "it can read and write your files and use the network")


def add_loop_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tests", metavar="PYTEST_ARGS", help="which tests to run, as pytest arguments "
                        "(quote them: --tests 'tests/test_x.py -k name')")
    parser.add_argument("--rounds", type=int, help="most rounds of candidates and feedback (default 3)")
    parser.add_argument("--candidates", type=int, help="candidates per round (default 1)")
    parser.add_argument("--timeout", type=float, help="seconds one test run may take (default 60)")
    parser.add_argument("--apply", action="store_true", help="write the result to the file without asking")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run candidates without bubblewrap (resource limits only; unsafe)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def loop_options(args: argparse.Namespace, settings):
    from coder.loops.session import LoopOptions

    loops = settings.loops
    for name in ("rounds", "candidates"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name} must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if args.no_sandbox:
        print(NO_SANDBOX_WARNING, file=sys.stderr)
    else:
        require_bubblewrap()  # before any model is loaded
    return LoopOptions(
        rounds=args.rounds or loops.rounds, candidates=args.candidates or loops.candidates,
        test_args=args.tests, isolated=not args.no_sandbox, python=loops.python,
        limits=Limits(wall_s=args.timeout or float(loops.timeout_s), memory_bytes=loops.memory_mb << 20),
        escalate_rounds=loops.escalate_rounds,
    )


@contextlib.contextmanager
def terminated_cleanly():
    """SIGTERM (a `timeout`, a closed terminal) ends the loop like Ctrl-C does, so the
    sandbox is torn down and the run recorded instead of the process just vanishing."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: the caller owns signals
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Progress:
    """Prints loop events as they come, with the time since the start."""

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.started = time.monotonic()

    def __call__(self, event: ev.LoopEvent) -> None:
        if self.quiet or event.kind == ev.GENERATING and not self.stream.isatty():
            return
        elapsed = time.monotonic() - self.started
        self.stream.write(f"[{elapsed:6.1f}s] {event.message}\n")
        self.stream.flush()


def evidence_lines(result) -> list[str]:
    lines = [f"original: {result.baseline['passed']} passed, {result.baseline['failed']} failed"]
    for candidate in result.candidates:
        written = ", written anew" if candidate.anew else ""  # from the docstring: read its diff closely
        label = f"candidate {candidate.round}.{candidate.index} ({candidate.model}{written}): {candidate.status}"
        if candidate.status == "rejected":
            label += f" ({candidate.reason})"
        elif candidate.tests:
            label += f", tests {candidate.tests['passed']} passed / {candidate.tests['failed']} failed"
        verdict = candidate.verdict or {}
        if verdict.get("speedup") is not None:
            label += (f", {verdict['speedup']:.2f}x (quartiles {verdict['low']:.2f}-{verdict['high']:.2f}, "
                      f"noise ±{(verdict['noise'] - 1) * 100:.0f}%)")
            if verdict.get("cost_ratio"):
                label += f", bytecode {verdict['cost_ratio']:.2f}x"
            if verdict.get("reason"):
                label += f": {verdict['reason']}"
        lines.append(label)
    return lines


def finish(result, args: argparse.Namespace, workspace) -> int:
    """Show the diff and evidence; apply when asked or accepted; the exit code."""
    import json

    from coder.loops.session import apply_candidate, sha256_text

    def apply():
        return apply_candidate(workspace.root, result.target.path, sha256_text(result.original_text),
                               result.best.file_text)

    if args.json:
        applied = apply() if result.success and args.apply else None
        print(json.dumps({
            "outcome": result.outcome, "run_id": result.run_id, "target": result.target.spec,
            "rounds": result.rounds, "solved_by": result.solved_by, "diff": result.diff,
            "applied": applied is not None, "evidence": evidence_lines(result),
        }, indent=2))
        return 0 if result.success else 1
    if result.diff:
        print(result.diff, end="")
    print("\n".join(f"# {line}" for line in evidence_lines(result)), flush=True)
    if result.success:
        if args.apply or _accepted(result):
            apply()
            print(f"# applied to {result.target.path}")
        else:
            print(f"# not applied; `coder runs apply {result.run_id}` applies it" if result.run_id
                  else "# not applied")
    return 0 if result.success else 1


def _accepted(result) -> bool:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        answer = input(f"Apply this change to {result.target.path}? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def open_store(settings):
    from coder.errors import CoderError
    from coder.store import Store

    try:
        return Store.open(settings.store_path)
    except CoderError as error:
        print(f"coder: {error.message} (the run is not recorded)", file=sys.stderr)
        return None


def run_loop(args: argparse.Namespace, start) -> int:
    """What `coder fix` and `coder optimize` share: open the workspace of the target,
    the chat model, the escalation model and the store, run ``start(root, backend,
    options, on_event, store, escalation)`` with SIGTERM handled, close what was
    opened, and print the diff and the evidence."""
    from pathlib import Path

    from coder.loops.api import split_spec
    from coder.loops.escalation import escalation_backend
    from coder.workspace import Workspace

    path, _ = split_spec(args.target)
    with Workspace.open(Path(path) if path else Path.cwd(), explicit_model=args.model) as workspace:
        options = loop_options(args, workspace.settings)
        backend = workspace.chat_backend
        for notice in workspace.notices:
            print(f"coder: {notice}", file=sys.stderr)
        escalation = escalation_backend(workspace.settings)
        store = open_store(workspace.settings)
        try:
            with terminated_cleanly():
                result = start(workspace.root, backend, options, Progress(quiet=args.json), store, escalation)
        finally:
            if escalation is not None:
                escalation.close()
            if store is not None:
                store.close()
        return finish(result, args, workspace)
