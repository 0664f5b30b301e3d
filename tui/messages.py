"""What workers report to the interface. Workers run in threads and only post these;
the widgets change themselves in the handlers, on the event loop."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class FilesListed(Message):
    """The repository's files (gitignore respected), repo-relative."""

    files: list[str]


@dataclass
class IndexProgress(Message):
    state: str  # what the status bar shows: "index: building", "index: 1,234 files, ...", "index: failed"
    done: bool = False
    seconds: float = 0.0  # how long the build took, once done


@dataclass
class ModelLoaded(Message):
    role: str  # "completion" | "chat"
    name: str
    where: str  # "llama.cpp worker, 2 threads" | "server http://..."


@dataclass
class CompletionReady(Message):
    path: str
    version: int  # the editor's edit count when the request was made
    line: int
    column: int
    text: str
    latency_ms: float
    cached: bool
    tokens_per_second: float | None


@dataclass
class AskStarted(Message):
    about: str  # the target, as the user reads it
    question: str
    sources: list  # coder.ask.Source


@dataclass
class AskPiece(Message):
    text: str


@dataclass
class AskFinished(Message):
    cancelled: bool
    tokens_per_second: float | None
    seconds: float


@dataclass
class WorkFailed(Message):
    """A CoderError in a worker: shown as a notification, never a traceback."""

    title: str
    message: str


@dataclass
class LoopEventArrived(Message):
    """One event of a fix/optimize run (coder.loops.events.LoopEvent), stamped when it came."""

    event: object
    at: float  # seconds since the run started


@dataclass
class LoopEnded(Message):
    result: object | None  # coder.loops.session.LoopResult; None when the run failed to start or run
    error: str | None = None


@dataclass
class AcceptedTested(Message):
    """The tests over the hunks the user kept."""

    summary: str
    ok: bool
    seconds: float


@dataclass
class ReviewReady(Message):
    result: object  # coder.review.findings.ReviewResult
    changes: object | None  # coder.review.changes.Changes; None for a result read back from the store
    when: float | None = None  # for a stored result: when it was made (time.time())
