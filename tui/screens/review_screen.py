"""The staged change reviewed by the model, with the findings inline. Enter on a finding
opens its file at that line in the editor (the screen returns (path, line)); r runs the
review again, l shows the previous result from the history (as `coder review --last`)."""

from __future__ import annotations

import time
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Label

from tui import messages, run_work
from tui.keys import REVIEW_KEYS
from tui.widgets.review_diff import ReviewDiff


class ReviewScreen(Screen[tuple[str, int] | None]):
    CSS_PATH = "review_screen.tcss"
    BINDINGS = [Binding(k.key, k.action, k.description.removeprefix("Review: "), show=k.show)
                for k in REVIEW_KEYS if k.action != "jump"]

    def __init__(self, workspace, *, start: str = "review"):
        super().__init__()
        self.workspace = workspace
        self.start = start  # "review": review the staged change now; "last": show the previous result
        self.result = None
        self.changes = None  # what the shown result read (None for a stored result)
        self.reviewing = False

    def compose(self) -> ComposeResult:
        yield Label("review of the staged change", id="review-title")
        yield ReviewDiff(id="review-diff")
        yield Label("", id="review-summary")
        yield Footer()

    @property
    def diff(self) -> ReviewDiff:
        return self.query_one(ReviewDiff)

    def on_mount(self) -> None:
        if self.start == "last":
            self.action_show_last()
        else:
            self.action_run_again()

    def action_run_again(self) -> None:
        if self.reviewing:
            return
        self.reviewing = True
        self.query_one("#review-title", Label).update("review of the staged change: reviewing…")
        self.run_worker(partial(run_work.review_staged, self.workspace, self.post_message), thread=True,
                        group="review", exclusive=True, exit_on_error=False)

    def action_show_last(self) -> None:
        self.run_worker(partial(run_work.last_review, self.workspace, self.post_message), thread=True,
                        group="review-last", exit_on_error=False)

    def on_work_failed(self, message: messages.WorkFailed) -> None:
        self.reviewing = False
        self.query_one("#review-title", Label).update(f"review: {message.message}")
        self.notify(message.message, title=message.title, severity="error", timeout=8)

    def on_review_ready(self, message: messages.ReviewReady) -> None:
        result = self.result = message.result
        self.changes = message.changes
        if message.changes is not None:
            self.reviewing = False
            title = f"review of the {result.label} change ({result.seconds:.1f} s, {result.model or 'no model'})"
        else:
            made = time.strftime("%Y-%m-%d %H:%M", time.localtime(message.when)) if message.when else "-"
            title = f"previous review ({result.label}, {made}); r reviews again"
        self.query_one("#review-title", Label).update(title)
        self.diff.show(result, message.changes, self._read)
        summary = f"{len(result.findings)} finding(s) in {result.reviewed_hunks} hunk(s)"
        if result.model_error:
            summary += f"; the model did not run: {result.model_error}"
        if result.unreviewed:
            summary += f"; not reviewed: {', '.join(result.unreviewed)}"
        self.query_one("#review-summary", Label).update(summary + " · Enter opens the finding")
        self.diff.focus()

    def _read(self, path: str) -> str:
        try:
            return (self.workspace.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def action_jump(self) -> None:
        """The finding under the cursor (Enter on the list does the same)."""
        finding = self.diff.current_finding
        if finding is None:
            self.notify("no finding is highlighted", timeout=3)
        else:
            self.dismiss((finding.path, finding.line))

    def on_review_diff_finding_chosen(self, message: ReviewDiff.FindingChosen) -> None:
        self.dismiss((message.path, message.line))

    def action_close(self) -> None:
        self.dismiss(None)
