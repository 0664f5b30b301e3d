"""A review of one function as an editor holds it (unsaved text included).

    result = review_function(workspace, "src/stats.py", buffer_text, "mean", cancel=cancel)

``coder review PATH::FUNCTION`` reads the file on disk; an editor's code action
reviews the buffer, which may differ from it, so the change is built from the text
given. Every line of the function counts as changed. A ``Cancel`` (from the loops'
events module: the same object the fronts already hold) stops the model at once:
the generation running when it is set is cancelled, and what was not reviewed is
named in the result as for a time budget.
"""

from __future__ import annotations

from coder.loops.events import Cancel
from coder.review.changes import Changes, FileChange, Hunk, function_lines
from coder.review.findings import ReviewResult
from coder.review.reviewer import Reviewer


def function_changes(relative: str, text: str, qualname: str) -> Changes:
    """The function ``qualname`` of ``text`` (the file at ``relative``) as a change."""
    normalised = text.replace("\r\n", "\n")
    start, end = function_lines(relative, normalised, qualname)
    lines = tuple(normalised.split("\n")[start - 1:end])
    change = FileChange(path=relative, status="W", text=normalised, hunks=[Hunk(start, end - start + 1, (), lines)],
                        crlf="\r\n" in text)
    return Changes(files=[change], label=f"{relative}::{qualname}")


class _CancellableChat:
    """The chat backend, with each generation handed to the Cancel."""

    def __init__(self, backend, cancel: Cancel):
        self._backend = backend
        self._cancel = cancel

    def chat(self, request):
        generation = self._backend.chat(request)
        self._cancel.watch(generation)
        return generation

    def __getattr__(self, name):
        return getattr(self._backend, name)


def review_function(workspace, relative: str, text: str, qualname: str, *, index=None,
                    cancel: Cancel | None = None, deadline: float | None = None) -> ReviewResult:
    """``index``: the workspace's index when the caller has one ready (None: reviewed
    without cross-file context and name checks)."""
    changes = function_changes(relative, text, qualname)
    cancel = cancel or Cancel()
    # Opened lazily, as run_review does: a function the sure checks settle loads no model.
    reviewer = Reviewer(workspace.settings.review, index=index,
                        open_model=lambda: _CancellableChat(workspace.chat_backend, cancel))
    return reviewer.review(changes, deadline=deadline)
