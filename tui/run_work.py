"""The work of the Runs and Review screens, off the event loop: a fix/optimize run, the
tests over the hunks the user kept, a review of the staged change. Like
``tui.workers``, each function runs in a thread worker, calls the core only and reports
by posting messages; none of them touches a widget."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from coder.errors import CoderError
from coder.loops.events import Cancel
from coder.loops.sandbox import Limits
from coder.loops.session import LoopOptions
from tui import messages

Post = Callable[[object], object]


def loop_options(settings) -> LoopOptions:
    """The run's options from the [loops] settings, as `coder fix` makes them without flags."""
    loops = settings.loops
    return LoopOptions(rounds=loops.rounds, candidates=loops.candidates, python=loops.python,
                       limits=Limits(wall_s=float(loops.timeout_s), memory_bytes=loops.memory_mb << 20),
                       escalate_rounds=loops.escalate_rounds)


def escalation_from_settings(settings):
    """The larger model of [loops] escalate_model / escalate_server_url, opened only
    when the run escalates; None when none is configured."""
    from coder.loops.escalation import escalation_backend

    return escalation_backend(settings)


def run_loop(workspace, post: Post, kind: str, spec: str, options: LoopOptions, cancel: Cancel,
             clock: Callable[[], float] = time.monotonic, escalation=None, close_escalation: bool = False) -> None:
    """One fix or optimize run; every event is posted as it comes, then the result.
    With an escalation backend, the task goes to it when the chat model's rounds fail
    (and it is closed after the run when close_escalation: the run opened it)."""
    from coder.loops import api
    from coder.loops.sandbox import require_bubblewrap

    started = clock()

    def on_event(event) -> None:
        post(messages.LoopEventArrived(event, clock() - started))

    store = None
    try:
        if options.isolated:
            require_bubblewrap()
        backend = workspace.chat_backend
        try:
            store = workspace.store()
        except CoderError as error:  # the run goes on unrecorded
            post(messages.WorkFailed("history", f"{error.message} (the run is not recorded)"))
        start = api.fix if kind == "fix" else api.optimize
        result = start(workspace.root, spec, backend, options, on_event=on_event, cancel=cancel, store=store,
                       escalation_backend=escalation)
    except CoderError as error:
        post(messages.WorkFailed(error.title, error.message))
        post(messages.LoopEnded(None, error.message))
        return
    finally:
        if store is not None:
            store.close()
        if escalation is not None and close_escalation:
            escalation.close()
    post(messages.LoopEnded(result))


def test_kept(root: Path, path: str, file_text: str, options: LoopOptions, post: Post) -> None:
    from coder.loops.api import test_text

    started = time.perf_counter()
    try:
        run = test_text(root, path, file_text, options)
    except CoderError as error:
        post(messages.WorkFailed(error.title, error.message))
        return
    post(messages.AcceptedTested(run.summary(), run.ok, time.perf_counter() - started))


def review_staged(workspace, post: Post) -> None:
    """Review the staged change as `coder review` does, and keep the result."""
    from coder.errors import UsageError
    from coder.review.changes import open_repo
    from coder.review.session import choose_changes, diff_key, remember, run_review

    try:
        repo = open_repo(workspace.root)
        changes = choose_changes(repo, workspace.root)
        if not changes.files and not changes.skipped:
            raise UsageError("nothing is staged; stage a change with git add, then review it")
        result = run_review(workspace, changes)
        problem = remember(workspace, result, "reviewed", diff_key(repo, ("--cached",)))
    except CoderError as error:
        post(messages.WorkFailed(error.title, error.message))
        return
    if problem:
        post(messages.WorkFailed("history", problem))
    post(messages.ReviewReady(result, changes))


def last_review(workspace, post: Post) -> None:
    """The previous review from the store, as `coder review --last` shows it."""
    from coder.review.session import last_result

    try:
        found = last_result(workspace)
    except CoderError as error:
        post(messages.WorkFailed(error.title, error.message))
        return
    if found is None:
        post(messages.WorkFailed("review", f"no review of {workspace.root} is recorded yet; press r to run one"))
        return
    result, record = found
    post(messages.ReviewReady(result, None, record["created_at"]))
