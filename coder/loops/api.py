"""The loops as one call each, for every front: ``fix(...)`` and ``optimize(...)``.

A front passes the repository root, the target (``path::function``, or a path, or
nothing for fix), the chat backend, options, an event sink and a ``Cancel``; it gets
a ``LoopResult`` with the best candidate, its diff and the evidence. Nothing here
writes the user's files: applying is the front's decision (``apply_candidate``).
"""

from __future__ import annotations

from pathlib import Path

from coder.errors import UsageError
from coder.loops import events as ev
from coder.loops.events import Cancel, EventSink
from coder.loops.fix_loop import require_failing, run_fix
from coder.loops.locate import locate_failing_function
from coder.loops.optimize_loop import FEEDBACK_MODES, record_workload, run_optimize
from coder.loops.session import LoopOptions, LoopResult, LoopSession, model_name, open_sandbox
from coder.loops.target import FunctionTarget, find_function
from coder.loops.test_feedback import TestRun, run_tests


def split_spec(spec: str | None) -> tuple[str | None, str | None]:
    """"path::function" -> (path, function); "path" -> (path, None)."""
    if not spec:
        return None, None
    path, _, function = spec.partition("::")
    return path or None, function or None


def _relative(root: Path, path: str) -> str:
    """path as given on a command line (from the current folder), or relative to the root."""
    given = Path(path)
    resolved = (given if given.is_absolute() or given.exists() else root / given).resolve()
    try:
        relative = resolved.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{path} is outside the repository {root}") from None
    if not resolved.is_file():
        raise UsageError(f"{path}: no such file")
    if resolved.suffix != ".py":
        raise UsageError(f"{path}: the loops work on Python files (.py)")
    return relative


def _read(root: Path, relative: str) -> str:
    try:
        return (root / relative).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{relative}: is not UTF-8 text") from None


def _check_runnable(run: TestRun, python: Path) -> None:
    if run.results or run.finished:
        return
    if "No module named pytest" in run.run.output:
        raise UsageError(f"pytest is not installed in {python}; install it there, or set [loops] python")
    if run.run.limit_hit:
        raise UsageError(f"the original tests did not finish ({run.run.limit_hit}); select fewer with --tests "
                         "or raise the limit ([loops] timeout_s)")
    last = (run.run.output.strip().splitlines() or ["no output"])[-1]
    raise UsageError(f"pytest did not run the tests ({last[:200]})")


def fix(root: Path, spec: str | None, backend, options: LoopOptions, *, on_event: EventSink | None = None,
        cancel: Cancel | None = None, store=None, escalation_backend=None) -> LoopResult:
    root = Path(root).resolve()
    path, function = split_spec(spec)
    relative = _relative(root, path) if path else None
    sandbox, python = open_sandbox(root, options)
    try:
        emit = on_event or (lambda event: None)
        baseline_copy = sandbox.new_copy()
        baseline = run_tests(sandbox, baseline_copy, python, options.test_args, limits=options.limits,
                             cancelled=(cancel or Cancel()).event, env=options.env)
        sandbox.discard(baseline_copy)
        _check_runnable(baseline, python)
        require_failing(baseline, options.test_args)
        emit(ev.LoopEvent(ev.BASELINE, f"the original: {baseline.summary()}",
                          data={"passed": baseline.passed, "failed": baseline.failed}))
        snapshot_root = sandbox.snapshot
        if function:
            target = find_function(relative, _read(snapshot_root, relative), function)
        else:
            target = locate_failing_function(snapshot_root, baseline, within=relative)
            if target is None:
                raise UsageError("could not tell which function the failing tests point at; "
                                 "name it as PATH::FUNCTION")
        session = _session("fix", root, target, snapshot_root, backend, options, sandbox, python, on_event,
                           cancel, store, escalation_backend)
        return run_fix(session, baseline)
    finally:
        sandbox.close()


def optimize(root: Path, spec: str, backend, options: LoopOptions, *, bench: str | None = None,
             feedback_mode: str = "profile", on_event: EventSink | None = None, cancel: Cancel | None = None,
             store=None, escalation_backend=None) -> LoopResult:
    root = Path(root).resolve()
    path, function = split_spec(spec)
    if not path or not function:
        raise UsageError(f"{spec!r}: name the function to optimize as PATH::FUNCTION")
    if feedback_mode not in FEEDBACK_MODES:
        raise UsageError(f"feedback must be one of {', '.join(FEEDBACK_MODES)}")
    relative = _relative(root, path)
    sandbox, python = open_sandbox(root, options)
    try:
        target = find_function(relative, _read(sandbox.snapshot, relative), function)
        session = _session("optimize", root, target, sandbox.snapshot, backend, options, sandbox, python,
                           on_event, cancel, store, escalation_backend)
        workload, baseline = record_workload(session, bench)
        _check_runnable(baseline, python)
        if not baseline.ok:
            raise UsageError(f"the tests do not pass on the original ({baseline.summary()}); "
                             "optimize needs passing tests (try `coder fix` first)")
        return run_optimize(session, workload, baseline, feedback_mode=feedback_mode)
    finally:
        sandbox.close()


def _session(kind, root, target: FunctionTarget, snapshot_root, backend, options, sandbox, python, on_event,
             cancel, store, escalation_backend) -> LoopSession:
    session = LoopSession(
        kind=kind, root=root, target=target, original_text=_read(snapshot_root, target.path), backend=backend,
        options=options, sandbox=sandbox, python=python, on_event=on_event, cancel=cancel, store=store,
        escalation_backend=escalation_backend,
    )
    session.emit(ev.STARTED, f"{kind} {target.spec} with {model_name(backend)}", target=target.spec,
                 model=model_name(backend), tests=options.test_args)
    return session


def test_text(root: Path, path: str, file_text: str, options: LoopOptions, *, cancel: Cancel | None = None) -> TestRun:
    """The project's tests over a sandbox copy of the repository with path holding
    file_text: how a front checks the parts of a candidate the user kept, before or
    after writing them."""
    root = Path(root).resolve()
    sandbox, python = open_sandbox(root, options)
    try:
        copy = sandbox.new_copy({path: file_text})
        run = run_tests(sandbox, copy, python, options.test_args, limits=options.limits,
                        cancelled=(cancel or Cancel()).event, env=options.env)
        sandbox.discard(copy)
        return run
    finally:
        sandbox.close()
