"""What the fix and optimize loops share: the run's setup, model calls, candidates, records.

A ``LoopSession`` holds one run: the target function, the sandbox with its snapshot,
the interpreter that runs the project's tests, the conversation with the model, the
candidates tried, and the run's row in the history store. The loops themselves
(fix_loop.py, optimize_loop.py) decide what to ask and what counts as better.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from coder.errors import CoderError, UsageError
from coder.loops import events as ev
from coder.loops.events import Cancel, EventSink, LoopEvent
from coder.loops.sandbox import Limits, Sandbox, interpreter_paths, python_for
from coder.loops.target import CandidateRejected, FunctionTarget, candidate_definition, replace_function, same_code
from coder.loops.test_feedback import TestRun, install_plugin, run_tests
from coder.models.backend import ChatMessage, ChatRequest

REPLY_TOKENS = 384  # the least a reply may take, for a short function and a sentence before it
UNCHANGED = "it is the original function unchanged"
REPEATS = "it repeats candidate"  # + " R.I, tried already"
REDRAWS = 2  # sampled replies more, each time the model gives back what it had
CLOSED_BLOCK = re.compile(r"```[\w+-]*[ \t]*\n.*?\bdef\b.*?\n[ \t]*```", re.S)
HISTORY_EXCHANGES = 2  # earlier (candidate, feedback) pairs the model still sees


class LoopCancelled(CoderError):
    title = "cancelled"
    exit_code = 130


@dataclass
class LoopOptions:
    rounds: int = 3
    candidates: int = 1  # per round; the first that passes wins (fix)
    test_args: str | None = None
    isolated: bool = True
    limits: Limits = field(default_factory=Limits)
    python: str | None = None
    feedback_chars: int = 3000
    escalate_rounds: int = 0  # rounds the larger model gets when the small one fails
    env: dict = field(default_factory=dict)  # more environment for the test runs
    test_output: bool = True  # fix: show the model the tests' output (False: only that they fail)
    redraws: int = REDRAWS  # 0: a reply that gives back what was tried is the candidate (the one-shot baseline)

    @classmethod
    def from_settings(cls, loops) -> "LoopOptions":
        """The options of a [loops] settings section, sandboxed (for fronts without flags)."""
        return cls(rounds=loops.rounds, candidates=loops.candidates, python=loops.python,
                   limits=Limits(wall_s=float(loops.timeout_s), memory_bytes=loops.memory_mb << 20),
                   escalate_rounds=loops.escalate_rounds)


@dataclass
class Candidate:
    round: int
    index: int
    model: str
    reply: str
    status: str = "new"  # rejected | failed | passed | faster | not_faster
    reason: str = ""
    definition: str | None = None
    file_text: str | None = None
    tests: dict | None = None
    verdict: dict | None = None
    feedback: str = ""
    id: int | None = None
    anew: bool = False  # written from the function's signature and docstring, its body not shown


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}",
    ))


def reply_budget(function_source: str) -> int:
    """Tokens a reply may take: the function again, half as long once more, and a few lines
    of talk (code runs about three characters a token). A fixed 768 cut the rewrite of a
    long function short, and let a degenerate reply of a short one (the 0.5B repeating a
    docstring line until the cap) cost half a minute."""
    return max(REPLY_TOKENS, len(function_source) // 2 + 192)


def given_back(candidate: "Candidate") -> bool:
    """Whether the model gave back the original or a version tried already."""
    return candidate.reason == UNCHANGED or candidate.reason.startswith(REPEATS)


def model_name(backend) -> str:
    try:
        return backend.info().name
    except Exception:  # a backend that cannot describe itself still serves
        return type(backend).__name__


class LoopSession:
    def __init__(self, *, kind: str, root: Path, target: FunctionTarget, original_text: str,
                 backend, options: LoopOptions, sandbox: Sandbox, python: Path,
                 on_event: EventSink | None = None, cancel: Cancel | None = None, store=None,
                 escalation_backend=None):
        self.kind = kind
        self.root = Path(root).resolve()
        self.target = target
        self.original_text = original_text
        self.backend = backend
        self.escalation_backend = escalation_backend
        self.options = options
        self.on_event = on_event or (lambda event: None)
        self.cancel = cancel or Cancel()
        self.store = store
        self.candidates: list[Candidate] = []
        self.run_id: int | None = None
        self.python = python
        self.sandbox = sandbox

    # -- events and cancellation -------------------------------------------------

    def emit(self, kind: str, message: str, *, round: int | None = None, candidate: int | None = None, **data) -> None:
        self.on_event(LoopEvent(kind, message, round=round, candidate=candidate, data=data))

    def check_cancelled(self) -> None:
        if self.cancel.is_set:
            raise LoopCancelled("the loop was cancelled")

    # -- tests -----------------------------------------------------------------

    def test_copy(self, file_text: str | None, env: dict | None = None) -> tuple[TestRun, Path]:
        """Run the tests over a fresh copy holding file_text (None: the original); the
        caller discards the copy."""
        replaced = {self.target.path: file_text} if file_text is not None else None
        copy = self.sandbox.new_copy(replaced)
        run = run_tests(self.sandbox, copy, self.python, self.options.test_args,
                        limits=self.options.limits, cancelled=self.cancel.event,
                        env={**self.options.env, **(env or {})})
        return run, copy

    # -- the model ---------------------------------------------------------------

    def ask(self, backend, messages: list[ChatMessage], *, temperature: float, seed: int | None) -> str:
        self.check_cancelled()
        generation = backend.chat(ChatRequest(messages=tuple(messages),
                                              max_tokens=reply_budget(self.target.source),
                                              temperature=temperature, seed=seed))
        self.cancel.watch(generation)
        text = ""
        try:
            for piece in generation:
                text += piece
                # The reply is one code block: once it is closed, what follows is talk
                # (a small model explains at length) and costs time for nothing.
                if CLOSED_BLOCK.search(text):
                    generation.cancel()
                    break
        finally:
            self.cancel.unwatch(generation)
        self.check_cancelled()
        return text

    def conversation(self, system: str, task: str, exchanges: list[tuple[str, str]]) -> list[ChatMessage]:
        """The system prompt, the task, and the last exchanges (candidate, feedback)."""
        messages = [ChatMessage("system", system), ChatMessage("user", task)]
        for reply, feedback in exchanges[-HISTORY_EXCHANGES:]:
            messages += [ChatMessage("assistant", reply), ChatMessage("user", feedback)]
        return messages

    def propose(self, backend, messages: list[ChatMessage], round_number: int, index: int, *,
                anew: bool = False) -> Candidate:
        """Ask the model for one candidate: the first of a round greedy, the others
        sampled (a seed per round and candidate, so a run can be replayed). After a
        round that got the function back unchanged, the first is sampled too: greedy,
        a small model mostly gives the same reply again, however the feedback is worded
        (Qwen 1.5B fixing planted wrong comparisons, three rounds running; the 0.5B
        optimizing running_max). The first one written anew is greedy: its prompt is new."""
        written = f" to write {self.target.name} anew" if anew else ""
        self.emit(ev.GENERATING, f"round {round_number}, candidate {index}: asking {model_name(backend)}{written}",
                  round=round_number, candidate=index, anew=anew)
        if anew:
            greedy = not any(c.anew for c in self.candidates)
        else:
            greedy = index == 1 and not any(given_back(c) for c in self.candidates if c.round == round_number - 1)
        reply = self.ask(backend, messages, temperature=0.0 if greedy else 0.8,
                         seed=None if greedy else round_number * 100 + index)
        return Candidate(round=round_number, index=index, model=model_name(backend), reply=reply, anew=anew)

    def prepare(self, candidate: Candidate) -> bool:
        """Turn the reply into a new file text; False (and the reason kept) when rejected."""
        try:
            candidate.definition = candidate_definition(candidate.reply, self.target)
            candidate.file_text = replace_function(self.original_text, self.target, candidate.definition)
        except CandidateRejected as rejected:
            candidate.status, candidate.reason = "rejected", rejected.reason
            self.emit(ev.REJECTED, f"candidate rejected: {rejected.reason}",
                      round=candidate.round, candidate=candidate.index)
            return False
        if same_code(self.original_text, candidate.file_text):
            candidate.status, candidate.reason = "rejected", UNCHANGED
            self.emit(ev.REJECTED, "candidate rejected: unchanged", round=candidate.round, candidate=candidate.index)
            return False
        earlier = next((c for c in self.candidates if c.status != "rejected" and c.file_text is not None
                        and same_code(c.file_text, candidate.file_text)), None)
        if earlier is not None:
            candidate.status = "rejected"
            candidate.reason = f"{REPEATS} {earlier.round}.{earlier.index}, tried already"
            self.emit(ev.REJECTED, f"candidate rejected: the same as {earlier.round}.{earlier.index}",
                      round=candidate.round, candidate=candidate.index)
            return False
        return True

    def draw(self, backend, messages: list[ChatMessage], round_number: int, explain,
             anew: list[ChatMessage] | None = None) -> Candidate:
        """The round's next candidate, prepared, or rejected (explain(candidate), what the
        model is told, as its feedback) for the caller to record. A reply that gives back
        the original or a version tried already is recorded here and drawn again (sampled,
        or written anew), up to options.redraws times: the 0.5B, fixing planted bugs, gave its round 1 candidate
        back in every later round (32 of 32 failing candidates of rounds 2 and 3), so
        each repeat cost a test run and a round for nothing. With ``anew`` (a conversation
        that shows the function's signature and docstring but not its body) the redraws ask
        for the function written anew: shown the body, the 0.5B copies it, sampled at 0.8
        too (122 of 125 rejected replies in bench_fix), and it cannot copy what it is not shown."""
        redraws = 0
        while True:
            index = 1 + sum(1 for c in self.candidates if c.round == round_number)
            written_anew = redraws > 0 and anew is not None
            candidate = self.propose(backend, anew if written_anew else messages, round_number, index,
                                     anew=written_anew)
            if self.prepare(candidate):
                return candidate
            candidate.feedback = explain(candidate)
            if not given_back(candidate) or redraws >= self.options.redraws:
                return candidate
            redraws += 1
            self.record(candidate)

    def backends(self):
        """(backend, rounds) in the order they get the task: the small model, then the larger."""
        yield self.backend, self.options.rounds
        if self.escalation_backend is not None and self.options.escalate_rounds > 0:
            yield self.escalation_backend, self.options.escalate_rounds

    # -- history ---------------------------------------------------------------

    def start_record(self, model: str) -> None:
        if self.store is None:
            return
        self.run_id = self.store.start_loop_run(
            kind=self.kind, target=self.target.spec, path=self.target.path, repo_root=str(self.root),
            model=model, original_sha256=sha256_text(self.original_text),
            options=json.dumps({"rounds": self.options.rounds, "candidates": self.options.candidates,
                                "tests": self.options.test_args, "sandbox": self.options.isolated}),
        )

    def record(self, candidate: Candidate) -> None:
        self.candidates.append(candidate)
        if self.store is None or self.run_id is None:
            return
        candidate.id = self.store.record_loop_candidate(
            run_id=self.run_id, round=candidate.round, index=candidate.index, model=candidate.model,
            status=candidate.status, reason=candidate.reason, reply=candidate.reply,
            definition=candidate.definition, file_text=candidate.file_text,
            evidence=json.dumps({"tests": candidate.tests, "verdict": candidate.verdict, "anew": candidate.anew}),
            feedback=candidate.feedback,
        )

    def finish_record(self, *, rounds: int, outcome: str, best: Candidate | None, details: dict) -> None:
        if self.store is None or self.run_id is None:
            return
        self.store.finish_loop_run(
            self.run_id, rounds=rounds, outcome=outcome,
            best_candidate_id=best.id if best else None, solved_by=best.model if best else None,
            details=json.dumps(details),
        )



def open_sandbox(root: Path, options: LoopOptions) -> tuple[Sandbox, Path]:
    """The run's sandbox (snapshot taken now) and the interpreter that runs the tests."""
    python = python_for(Path(root), options.python)
    if not python.exists():
        raise UsageError(f"{python}: no such interpreter; set [loops] python in .coder.toml")
    sandbox = Sandbox(Path(root), isolated=options.isolated, limits=options.limits,
                      read_only_paths=interpreter_paths(python))
    install_plugin(sandbox)
    return sandbox, python


@dataclass
class LoopResult:
    kind: str
    outcome: str  # fixed | not_fixed | optimized | not_faster | cancelled
    target: FunctionTarget
    original_text: str
    best: Candidate | None
    rounds: int
    candidates: list[Candidate]
    baseline: dict
    run_id: int | None = None
    solved_by: str | None = None

    @property
    def success(self) -> bool:
        return self.best is not None

    @property
    def diff(self) -> str:
        if self.best is None or self.best.file_text is None:
            return ""
        return unified_diff(self.target.path, self.original_text, self.best.file_text)


def apply_candidate(root: Path, path: str, original_sha256: str, file_text: str) -> Path:
    """Write a kept candidate to the user's file, refusing when the file changed since the run."""
    file = Path(root) / path
    try:
        current = file.read_bytes().decode("utf-8")
    except OSError as error:
        raise UsageError(f"{file}: cannot be read ({error.strerror}); not applied") from None
    if sha256_text(current) != original_sha256:
        raise UsageError(f"{file} changed since the run; not applied (run the loop again on the new version)")
    file.write_bytes(file_text.encode("utf-8"))  # bytes: line endings stay as they were
    return file
