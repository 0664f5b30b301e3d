"""`coder optimize`: passing tests, a model's faster version, measured against the original.

Each candidate must pass the same tests, then is timed against the original on the
same workload (the user's benchmark expression, or the calls the tests make, recorded
in the baseline run) with the verdict of timing.py. The model's feedback is what
EffiLearner found to work: its candidate's timings, and the line profile of the best
version so far. The best candidate that is faster beyond the noise wins.
"""

from __future__ import annotations

import shutil
from functools import partial

from coder.errors import UsageError
from coder.loops import events as ev
from coder.loops.profile import format_profile
from coder.loops.session import Candidate, LoopCancelled, LoopResult, LoopSession, model_name, unified_diff
from coder.loops.test_feedback import TestRun, feedback
from coder.loops.timing import Verdict, Workload, install_runner, judge, measure, module_name
from coder.prompt_templates import render, template

FEEDBACK_MODES = ("profile", "timings", "none")
CALLS_FILE = "coder_loop_calls.pickle"


def record_workload(session: LoopSession, bench: str | None) -> tuple[Workload, TestRun]:
    """The baseline test run (recording the target's calls when no benchmark is named)."""
    target = session.target
    module = module_name(target.path)
    copy = session.sandbox.new_copy()
    env = dict(session.options.env)
    if not bench:
        env.update(CODER_LOOP_RECORD=f"{module}:{target.qualname}", CODER_LOOP_RECORD_OUT=str(copy / CALLS_FILE))
    from coder.loops.test_feedback import run_tests

    baseline = run_tests(session.sandbox, copy, session.python, session.options.test_args,
                         limits=session.options.limits, cancelled=session.cancel.event, env=env)
    calls_file = None
    if not bench and baseline.ok:
        recorded = copy / CALLS_FILE
        if not recorded.exists():
            session.sandbox.discard(copy)
            raise UsageError(f"the selected tests never call {target.qualname} (or its arguments do not "
                             "pickle); name a workload with --bench EXPR")
        shared = session.sandbox.support / CALLS_FILE
        shutil.copyfile(recorded, shared)
        calls_file = str(shared)
    session.sandbox.discard(copy)
    return Workload(module=module, module_path=target.path, qualname=target.qualname, bench=bench,
                    calls_file=calls_file), baseline


def _measure(session: LoopSession, workload: Workload, file_text: str | None, modes) -> tuple[dict, Verdict]:
    copy = session.sandbox.new_copy({session.target.path: file_text} if file_text is not None else None)
    try:
        measured = measure(session.sandbox, copy, session.python, workload, modes=modes,
                           limits=session.options.limits, cancelled=session.cancel.event, env=session.options.env)
    finally:
        session.sandbox.discard(copy)
    session.check_cancelled()
    verdict = judge(measured)
    verdict.profile = measured.get("profile")
    return measured, verdict


def _profile_text(session: LoopSession, verdict: Verdict | None, source: str) -> str:
    if verdict is None or not verdict.profile:
        return ""
    # Every version sits where the original's definition starts, so its lines map the same way.
    table = format_profile(verdict.profile, source, session.target.start_line + 1)
    return f"Line profile of the best version so far (hits, share of its time):\n{table}\n" if table else ""


def describe_workload(workload: Workload) -> str:
    return f"`{workload.bench}`" if workload.bench else "the calls its tests make"


def run_optimize(session: LoopSession, workload: Workload, baseline: TestRun, *,
                 feedback_mode: str = "profile") -> LoopResult:
    target, options = session.target, session.options
    install_runner(session.sandbox)
    modes = ("time", "cost", "profile") if feedback_mode == "profile" else ("time", "cost")
    _, original = _measure(session, workload, None, ("time", "profile"))
    if original.error:
        raise UsageError(f"the workload cannot run on the original {target.qualname}: {original.error}")
    session.start_record(model_name(session.backend))
    session.emit(ev.BASELINE, f"original: {original.original_s * 1e3:.3f} ms per run of {describe_workload(workload)}",
                 original_s=original.original_s, passed=baseline.passed)
    measured_text = f"One run of {describe_workload(workload)} takes {original.original_s * 1e3:.3f} ms."
    if feedback_mode == "profile":
        measured_text += "\n" + _profile_text(session, original, target.source).replace("the best version so far", "it")
    task = render("loops/optimize_task", function_name=target.name, path=target.path, function=target.source,
                  measured=measured_text)
    system = template("loops/optimize_system")
    exchanges: list[tuple[str, str]] = []
    best: Candidate | None = None
    best_verdict: Verdict | None = None
    rounds_run, outcome = 0, "cancelled"  # what the record says if anything ends the loop early
    try:
        for backend, rounds in session.backends():
            if backend is not session.backend:
                if best is not None:
                    break
                session.emit(ev.ESCALATED, f"handing the task to {model_name(backend)}", model=model_name(backend))
            for _ in range(rounds):
                rounds_run += 1
                session.emit(ev.ROUND, f"round {rounds_run}", round=rounds_run)
                messages = session.conversation(system, task, exchanges)
                last: tuple[str, str] | None = None
                for _ in range(options.candidates):
                    candidate, verdict = _one_candidate(session, backend, workload, messages, rounds_run, modes)
                    if verdict is not None and verdict.faster and (
                            best_verdict is None or verdict.speedup > best_verdict.speedup):
                        best, best_verdict = candidate, verdict
                        session.emit(ev.BEST, f"best so far: {verdict.speedup:.2f}x "
                                     f"(candidate {rounds_run}.{candidate.index})",
                                     round=rounds_run, candidate=candidate.index, speedup=verdict.speedup)
                    candidate.feedback = _feedback(session, candidate, verdict, best, best_verdict, feedback_mode)
                    session.record(candidate)
                    last = last or (candidate.reply, candidate.feedback)
                if last is not None:
                    exchanges.append(last)
        outcome = "optimized" if best is not None else "not_faster"
    except LoopCancelled:
        outcome = "cancelled"
    finally:
        session.finish_record(rounds=rounds_run, outcome=outcome, best=best, details={
            "baseline": baseline.as_dict(), "workload": describe_workload(workload),
            "original_s": original.original_s, "best": best_verdict.as_dict() if best_verdict else None,
            "feedback": feedback_mode,
        })
    session.emit(ev.FINISHED, f"{outcome} after {rounds_run} round(s)", outcome=outcome, run_id=session.run_id,
                 speedup=best_verdict.speedup if best_verdict else None)
    return LoopResult(kind="optimize", outcome=outcome, target=target, original_text=session.original_text,
                      best=best, rounds=rounds_run, candidates=session.candidates, baseline=baseline.as_dict(),
                      run_id=session.run_id, solved_by=best.model if best else None)


def _one_candidate(session: LoopSession, backend, workload: Workload, messages, round_number: int,
                   modes) -> tuple[Candidate, Verdict | None]:
    candidate = session.draw(backend, messages, round_number, partial(_rejection_feedback, session))
    if candidate.status == "rejected":
        return candidate, None
    index = candidate.index
    run, copy = session.test_copy(candidate.file_text)
    session.sandbox.discard(copy)
    session.check_cancelled()
    candidate.tests = run.as_dict()
    session.emit(ev.TESTED, f"round {round_number}, candidate {index}: {run.summary()}", round=round_number,
                 candidate=index, passed=run.passed, failed=run.failed, ok=run.ok, summary=run.summary(),
                 wall_s=run.run.wall_s,
                 diff=unified_diff(session.target.path, session.original_text, candidate.file_text))
    if not run.ok:
        candidate.status, candidate.reason = "failed", run.summary()
        candidate.verdict = {"tests": feedback(run, budget=session.options.feedback_chars)}
        return candidate, None
    _, verdict = _measure(session, workload, candidate.file_text, modes)
    candidate.verdict = verdict.as_dict()
    candidate.status = "faster" if verdict.faster else "not_faster"
    session.emit(ev.MEASURED, f"round {round_number}, candidate {index}: {verdict.line()}", round=round_number,
                 candidate=index, speedup=verdict.speedup, faster=verdict.faster, noise=verdict.noise,
                 cost_ratio=verdict.cost_ratio)
    return candidate, verdict


def _feedback(session: LoopSession, candidate: Candidate, verdict: Verdict | None, best: Candidate | None,
              best_verdict: Verdict | None, mode: str) -> str:
    name = session.target.name
    if candidate.status == "rejected":
        return _rejection_feedback(session, candidate)
    if candidate.status == "failed":
        outcome = "That version breaks the tests, so it cannot be used:\n" + candidate.verdict["tests"]
    elif mode == "none":
        outcome = "That version passes the tests."
    else:
        outcome = f"That version passes the tests. Measured against the original: {verdict.line()}."
    if best_verdict is not None and mode != "none":
        outcome += f"\nThe best version so far is {best_verdict.speedup:.2f}x faster than the original."
    profile = ""
    if mode == "profile":
        shown = best_verdict if best_verdict is not None else verdict
        source = best.definition if best is not None else (candidate.definition or "")
        profile = _profile_text(session, shown, source) if source else ""
    return render("loops/optimize_feedback", outcome=outcome, profile=profile, function_name=name)


def _rejection_feedback(session: LoopSession, candidate: Candidate) -> str:
    return render("loops/rejected", reason=candidate.reason, function_name=session.target.name,
                  signature=session.target.header)
