"""A fix or optimize run of one function, live: the rounds as they come, the diff of
the candidate under the cursor, the best speedup per round (optimize); once the run is
over, each hunk of a candidate is accepted or rejected, the accepted ones are written
to the file (only then, and only they), and the tests run again on them."""

from __future__ import annotations

import time
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label

from coder.errors import CoderError
from coder.loops import events as ev
from coder.loops.events import Cancel
from coder.loops.hunks import apply_hunks, split_hunks
from coder.loops.session import apply_candidate, sha256_text
from tui import messages, run_work
from tui.keys import RUN_KEYS
from tui.widgets.hunk_picker import KEPT, HunkPicker
from tui.widgets.run_rounds import RunRounds
from tui.widgets.speedup_chart import SpeedupChart


def tests_line(candidate) -> str:
    """What the candidate's tests said, as the picker shows it beside each hunk."""
    if candidate.tests:
        return f"{candidate.tests['passed']} passed, {candidate.tests['failed']} failed"
    return candidate.reason or candidate.status


class RunScreen(Screen):
    CSS_PATH = "run_screen.tcss"
    BINDINGS = [Binding(k.key, k.action, k.description.removeprefix("Run: "), show=k.show) for k in RUN_KEYS]

    def __init__(self, workspace, kind: str, spec: str, options, *, clock=time.monotonic):
        super().__init__()
        self.workspace = workspace
        self.kind = kind  # "fix" | "optimize"
        self.spec = spec
        self.options = options
        self.clock = clock
        self.cancel = Cancel()
        self.result = None  # the LoopResult, once the run is over
        self.shown = None  # the Candidate whose hunks the picker holds
        self.applied: str | None = None  # the file text written, once applied
        self.kept_test: str = ""
        self._ended = False  # the worker reported its end (a result or a failure)

    def compose(self) -> ComposeResult:
        yield Label(f"{self.kind} {self.spec}: starting", id="run-title")
        with Horizontal(id="run-panes"):
            with Vertical(id="run-left"):
                yield RunRounds(self.kind, id="rounds")
                chart = SpeedupChart(id="chart")
                chart.set_class(self.kind != "optimize", "-hidden")
                yield chart
            with Vertical(id="run-right"):
                yield Label("the candidates' diffs appear here", id="hunk-title")
                yield HunkPicker(id="hunks")
                yield Label("", id="kept-result")
        yield Label("", id="run-log")
        yield Footer()

    @property
    def rounds(self) -> RunRounds:
        return self.query_one(RunRounds)

    @property
    def picker(self) -> HunkPicker:
        return self.query_one(HunkPicker)

    def on_mount(self) -> None:
        self.run_worker(partial(run_work.run_loop, self.workspace, self.post_message, self.kind, self.spec,
                                self.options, self.cancel, self.clock),
                        thread=True, group="run", exit_on_error=False)

    @property
    def running(self) -> bool:
        return not self._ended and not self.cancel.is_set

    # -- what the run reports ----------------------------------------------------------

    async def on_loop_event_arrived(self, message: messages.LoopEventArrived) -> None:
        event = message.event
        self.query_one("#run-log", Label).update(f"[{message.at:6.1f} s] {event.message}")
        row = self.rounds.note(event, message.at)
        if event.kind == ev.ROUND or event.kind == ev.BEST:
            self.query_one(SpeedupChart).show(self.rounds.best_by_round)
        self._show_title(f"round {event.round}" if event.round else event.kind)
        if row is not None and event.kind == ev.TESTED:
            await self._show_row(row)

    async def on_loop_ended(self, message: messages.LoopEnded) -> None:
        self._ended = True
        if message.result is None:
            self._show_title(f"failed: {message.error}")
            return
        result = self.result = message.result
        self.query_one(SpeedupChart).show(self.rounds.best_by_round)
        self._show_title(result.outcome.replace("_", " "))
        offered = result.best or next((c for c in reversed(result.candidates) if c.file_text), None)
        if offered is not None:
            self.rounds.move_cursor(row=self.rounds.get_row_index(f"{offered.round}.{offered.index}"))
            await self._offer(offered)
        else:
            self.query_one("#hunk-title", Label).update("no candidate could be tried")

    def on_work_failed(self, message: messages.WorkFailed) -> None:
        self.notify(message.message, title=message.title, severity="error", timeout=8)

    def on_accepted_tested(self, message: messages.AcceptedTested) -> None:
        verdict = "pass" if message.ok else "FAIL"
        self.kept_test = f"tests on the accepted hunks: {verdict} ({message.summary}, {message.seconds:.1f} s)"
        self.query_one("#kept-result", Label).update(self.kept_test)

    async def on_run_rounds_candidate_chosen(self, message: RunRounds.CandidateChosen) -> None:
        row = message.row
        if self.result is None:
            await self._show_row(row)
            return
        candidate = self._candidate(row.round, row.candidate)
        if candidate is not None and candidate is not self.shown:
            await self._offer(candidate)

    # -- showing -------------------------------------------------------------------

    def _show_title(self, state: str) -> None:
        best = self.rounds.best_speedup
        figure = f", best {best:.2f}x" if best is not None else ""
        self.query_one("#run-title", Label).update(f"{self.kind} {self.spec}: {state}{figure}")

    async def _show_row(self, row) -> None:
        if row.diff:
            self.query_one("#hunk-title", Label).update(f"candidate {row.key}: {row.tests}")
            await self.picker.show_diff(row.diff, row.tests)

    def _candidate(self, round_number: int, index: int):
        return next((c for c in self.result.candidates if c.round == round_number and c.index == index), None)

    async def _offer(self, candidate) -> None:
        self.shown = candidate
        title = self.query_one("#hunk-title", Label)
        if not candidate.file_text:
            title.update(f"candidate {candidate.round}.{candidate.index}: {candidate.status} ({candidate.reason})")
            await self.picker.show_hunks([], "")
            return
        hunks = split_hunks(self.result.original_text, candidate.file_text)
        title.update(f"candidate {candidate.round}.{candidate.index} ({candidate.status}): "
                     f"a accepts, r rejects each hunk; w writes the accepted ones")
        await self.picker.show_hunks(hunks, tests_line(candidate))

    # -- actions -------------------------------------------------------------------

    def _kept_text(self) -> str | None:
        if self.result is None:
            self.notify("the run ended without a candidate" if self._ended else "the run is still going", timeout=3)
            return None
        kept = self.picker.kept
        if not kept:
            self.notify("accept a hunk first (a)", severity="warning", timeout=3)
            return None
        return apply_hunks(self.result.original_text, self.picker.hunks, kept)

    def action_accept_hunk(self) -> None:
        if not self.picker.decide_current(KEPT):
            self.notify("no hunk to accept yet (the run must be over)", timeout=3)

    def action_reject_hunk(self) -> None:
        if not self.picker.decide_current("rejected"):
            self.notify("no hunk to reject yet (the run must be over)", timeout=3)

    def action_apply(self) -> None:
        text = self._kept_text()
        if text is None:
            return
        path = self.result.target.path
        main = getattr(self.app, "main_screen", None)
        editor = main.tabs.editor_for(path) if main is not None else None
        if editor is not None and editor.modified:
            self.notify(f"{path} has unsaved edits; save or reload it, then run again", severity="error")
            return
        try:
            written = apply_candidate(self.workspace.root, path, sha256_text(self.result.original_text), text)
        except CoderError as error:
            self.notify(error.message, title="apply", severity="error")
            return
        if editor is not None:
            editor.reload(text, written.stat().st_mtime_ns)
        self.applied = text
        kept = sorted(self.picker.kept)
        self.notify(f"applied hunk(s) {', '.join(map(str, kept))} of {len(self.picker.hunks)} to {path}", timeout=4)
        self._test(text)

    def action_test_kept(self) -> None:
        text = self.applied or self._kept_text()
        if text is not None:
            self._test(text)

    def _test(self, text: str) -> None:
        self.query_one("#kept-result", Label).update("tests on the accepted hunks: running…")
        self.run_worker(partial(run_work.test_kept, self.workspace.root, self.result.target.path, text,
                                self.options, self.post_message), thread=True, group="kept-tests",
                        exclusive=True, exit_on_error=False)

    def action_stop(self) -> None:
        if self.running:
            self.cancel.set()
            self._show_title("stopping")

    def action_close(self) -> None:
        if self.running:
            self.cancel.set()
            self.notify(f"the {self.kind} run was stopped", timeout=3)
        self.dismiss(None)
