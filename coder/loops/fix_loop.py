"""`coder fix`: failing tests, a model's new version of the function, the tests again.

Round after round the model gets the trimmed test output of its last attempt (and of
the one before), until a candidate passes every selected test or the rounds run out.
With several candidates per round the first is greedy and the others sampled; the
first that passes wins. A reply that gives the function back is drawn again with the
function written anew from its signature and docstring, the body not shown (a small
model copies what it is shown). When the small model's rounds are spent, a larger model
from the config can take over with the same history (escalation, off by default).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from coder.errors import UsageError
from coder.loops import events as ev
from coder.loops.locate import is_test_file
from coder.loops.session import (
    REPEATS, UNCHANGED, Candidate, LoopCancelled, LoopResult, LoopSession, model_name, unified_diff,
)
from coder.loops.target import TargetError, find_function, function_spec
from coder.loops.test_feedback import TestRun, feedback
from coder.models.backend import ChatMessage
from coder.prompt_templates import render, template


def failing_test_sources(root: Path, run: TestRun, budget: int = 2500) -> str:
    """The source of the failing test functions (what they expect is half the diagnosis)."""
    parts, used = [], 0
    for failure in run.failures:
        path, _, rest = failure.nodeid.partition("::")
        name = rest.split("::")[-1].split("[", 1)[0]
        if not name or not is_test_file(path):
            continue
        try:
            text = (root / path).read_bytes().decode("utf-8")
            source = find_function(path, text, name).source
        except (OSError, UnicodeDecodeError, TargetError):
            continue
        if source in parts or used + len(source) > budget:
            continue
        parts.append(source)
        used += len(source)
    return "\n\n".join(parts)


def run_fix(session: LoopSession, baseline: TestRun) -> LoopResult:
    """The loop, given a session whose baseline run has failures."""
    target, options = session.target, session.options
    sources = failing_test_sources(session.root, baseline)
    tests = render("loops/fix_tests", sources=sources) if sources else ""
    failures = _feedback(baseline, options)
    task = render("loops/fix_task", function_name=target.name, path=target.path, function=target.source,
                  tests=tests, feedback=failures)
    spec, documented = function_spec(target)
    anew_task = render("loops/fix_anew", function_name=target.name, path=target.path, spec=spec,
                       what="its signature and docstring" if documented else "its signature",
                       tests=tests, feedback=failures)
    system = template("loops/fix_system")
    # Written anew, the task stands alone, the same every round: shown an earlier attempt,
    # the 0.5B copies that one instead (HumanEval/1: the first one written anew, five times over).
    anew = session.conversation(system, anew_task, [])
    exchanges: list[tuple[str, str]] = []
    best: Candidate | None = None
    rounds_run = 0
    outcome = "cancelled"  # what the record says if anything (Ctrl-C) ends the loop early
    session.start_record(model_name(session.backend))
    try:
        for backend, rounds in session.backends():
            if backend is not session.backend:
                session.emit(ev.ESCALATED, f"handing the task to {model_name(backend)}", model=model_name(backend))
            for _ in range(rounds):
                rounds_run += 1
                best = _one_round(session, backend, rounds_run, system, task, exchanges, anew)
                if best is not None:
                    break
            if best is not None:
                break
        outcome = "fixed" if best is not None else "not_fixed"
    except LoopCancelled:
        outcome = "cancelled"
    finally:
        session.finish_record(rounds=rounds_run, outcome=outcome, best=best,
                              details={"baseline": baseline.as_dict()})
    session.emit(ev.FINISHED, f"{outcome} after {rounds_run} round(s)", outcome=outcome, run_id=session.run_id)
    return LoopResult(kind="fix", outcome=outcome, target=target, original_text=session.original_text, best=best,
                      rounds=rounds_run, candidates=session.candidates, baseline=baseline.as_dict(),
                      run_id=session.run_id, solved_by=best.model if best else None)


def _one_round(session: LoopSession, backend, round_number: int, system: str, task: str,
               exchanges: list[tuple[str, str]], anew: list[ChatMessage]) -> Candidate | None:
    target, options = session.target, session.options
    session.emit(ev.ROUND, f"round {round_number}", round=round_number)
    messages = session.conversation(system, task, exchanges)
    for _ in range(options.candidates):
        candidate = session.draw(backend, messages, round_number, partial(_rejection_feedback, target),
                                 anew=anew)
        if candidate.status == "rejected":
            session.record(candidate)
            continue
        index = candidate.index
        run, copy = session.test_copy(candidate.file_text)
        session.sandbox.discard(copy)
        session.check_cancelled()
        candidate.tests = run.as_dict()
        candidate.status = "passed" if run.ok else "failed"
        session.emit(ev.TESTED, f"round {round_number}, candidate {index}: {run.summary()}",
                     round=round_number, candidate=index, passed=run.passed, failed=run.failed,
                     ok=run.ok, summary=run.summary(), wall_s=run.run.wall_s,
                     diff=unified_diff(target.path, session.original_text, candidate.file_text))
        if run.ok:
            session.record(candidate)
            session.emit(ev.BEST, f"candidate {round_number}.{index} passes the tests",
                         round=round_number, candidate=index, passed=run.passed)
            return candidate
        candidate.feedback = render("loops/fix_feedback", feedback=_feedback(run, options),
                                    function_name=target.name)
        session.record(candidate)
    # What the model sees of this round next time: its first tested failure (which says
    # more than a rejection), else its first reply.
    this_round = [c for c in session.candidates if c.round == round_number]
    shown = next((c for c in this_round if c.status == "failed"), this_round[0] if this_round else None)
    if shown is not None:
        exchanges.append((shown.reply, shown.feedback))
    return None


def _rejection_feedback(target, candidate: Candidate) -> str:
    if candidate.reason == UNCHANGED:
        return render("loops/fix_unchanged", function_name=target.name)
    if candidate.reason.startswith(REPEATS):
        return render("loops/fix_repeated", function_name=target.name)
    return render("loops/rejected", reason=candidate.reason, function_name=target.name, signature=target.header)


def _feedback(run: TestRun, options) -> str:
    if not options.test_output:  # the one-shot baseline of the benchmark: no test output
        return f"Test results: {run.summary()}."
    return feedback(run, budget=options.feedback_chars)


def require_failing(baseline: TestRun, test_args: str | None) -> None:
    if baseline.ok:
        raise UsageError(f"the tests pass already ({baseline.summary()}); nothing to fix"
                         + ("" if test_args else " (select others with --tests)"))
    if not baseline.results and baseline.finished:
        raise UsageError("pytest collected no tests; select them with --tests")
