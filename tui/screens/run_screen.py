"""A fix or optimize run of one function, live: the rounds as they come, the diff of
the candidate under the cursor, the best speedup per round (optimize); once the run is
over, each hunk of a candidate is accepted or rejected, the accepted ones are written
to the file (only then, and only they), and the tests run again on them; two
candidates can be compared (the compare screen).

Leaving the screen does not stop the run: the main screen keeps it installed, so its
worker goes on posting here, and F9 brings it back as it is."""

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
from tui.widgets.candidate_compare import SIDE_BY_SIDE, Side
from tui.widgets.run_rounds import RunRounds
from tui.widgets.speedup_chart import SpeedupChart


def timing_line(candidate) -> str:
    """An optimize candidate's measured speedup with its spread (the quartiles)."""
    verdict = candidate.verdict if isinstance(candidate.verdict, dict) else {}
    if verdict.get("speedup") is None:
        return ""
    line = f"{verdict['speedup']:.2f}x"
    if verdict.get("low") is not None and verdict.get("high") is not None:
        line += f" (quartiles {verdict['low']:.2f}-{verdict['high']:.2f}x)"
    if verdict.get("candidate_s") is not None:
        line += f", {verdict['candidate_s'] * 1000:.1f} ms a run"
    return line


def candidate_facts(candidate, seconds: float | None) -> str:
    """What the compare screen says above a candidate: status, tests, timings."""
    parts = [candidate.status.replace("_", " ") + (f" ({candidate.reason})" if candidate.reason else "")
             + (", written anew" if candidate.anew else "")]  # from its docstring: read the diff closely
    if candidate.tests:
        parts.append(f"tests {candidate.tests['passed']} passed, {candidate.tests['failed']} failed"
                     f" in {candidate.tests.get('wall_s', 0):.1f} s")
    if timing_line(candidate):
        parts.append(timing_line(candidate))
    if seconds is not None:
        parts.append(f"{seconds:.1f} s in the run")
    return "; ".join(parts)


def tests_line(candidate) -> str:
    """What the candidate's tests said, as the picker shows it beside each hunk."""
    if candidate.tests:
        return f"{candidate.tests['passed']} passed, {candidate.tests['failed']} failed"
    return candidate.reason or candidate.status


class RunScreen(Screen):
    CSS_PATH = "run_screen.tcss"
    BINDINGS = [Binding(k.key, k.action, k.description.removeprefix("Run: "), show=k.show) for k in RUN_KEYS]

    def __init__(self, workspace, kind: str, spec: str, options, *, clock=time.monotonic, escalation=None,
                 close_escalation: bool = False):
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
        # The end is shown in full: title, chart, and the offered candidate's hunks ready to decide. The result
        # is set first (the offer reads it), so a key pressed between the two would meet read-only hunks.
        self.settled = False
        self.escalation, self.close_escalation = escalation, close_escalation
        self.escalated_to: str | None = None  # the larger model, once the run handed it the task
        self.state = "starting"  # what the title and the main screen's status bar say
        self.compare_layout = SIDE_BY_SIDE

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
                                self.options, self.cancel, self.clock, self.escalation, self.close_escalation),
                        thread=True, group="run", exit_on_error=False)

    @property
    def running(self) -> bool:
        return not self._ended and not self.cancel.is_set

    # -- what the run reports ----------------------------------------------------------

    async def on_loop_event_arrived(self, message: messages.LoopEventArrived) -> None:
        event = message.event
        self.query_one("#run-log", Label).update(f"[{message.at:6.1f} s] {event.message}")
        row = self.rounds.note(event, message.at)
        if event.kind == ev.ESCALATED:
            self.escalated_to = event.data.get("model")
        if event.kind == ev.ROUND or event.kind == ev.BEST:
            self.query_one(SpeedupChart).show(self.rounds.best_by_round)
        self._show_title(f"round {event.round}" if event.round else event.kind)
        if row is not None and event.kind == ev.TESTED:
            await self._show_row(row)

    async def on_loop_ended(self, message: messages.LoopEnded) -> None:
        self._ended = True
        if message.result is None:
            self._show_title(f"failed: {message.error}")
            self._tell_if_away(f"the {self.kind} run of {self.spec} failed: {message.error}")
            self.settled = True
            return
        result = self.result = message.result
        self.query_one(SpeedupChart).show(self.rounds.best_by_round)
        outcome = result.outcome.replace("_", " ")
        if result.solved_by:  # which model found it: the chat model or the larger one escalated to
            outcome += f" by {result.solved_by}" + (" (escalated)" if result.solved_by == self.escalated_to else "")
        self._show_title(outcome)
        self._tell_if_away(f"the {self.kind} run of {self.spec} is over: {outcome} (F9 shows it)")
        offered = result.best or next((c for c in reversed(result.candidates) if c.file_text), None)
        if offered is not None:
            self.rounds.move_cursor(row=self.rounds.get_row_index(f"{offered.round}.{offered.index}"))
            await self._offer(offered)
        else:
            self.query_one("#hunk-title", Label).update("no candidate could be tried")
        self.settled = True

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
        if self.escalated_to and not self._ended:
            state += f" ({self.escalated_to}, escalated)"
        self.state = f"{state}{figure}"
        self.query_one("#run-title", Label).update(f"{self.kind} {self.spec}: {self.state}")
        main = getattr(self.app, "main_screen", None)
        if main is not None and main.is_mounted:
            main.status.run_state = f"{self.kind} {self.target_name}: {self.state}"

    @property
    def target_name(self) -> str:
        return self.spec.rpartition("::")[2] or self.spec

    def _tell_if_away(self, text: str) -> None:
        """The user left the screen while the run went on: say it is over."""
        if self.app.screen is not self:
            self.app.notify(text, title=self.kind, timeout=8)

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

    def action_mark(self) -> None:
        key = self.rounds.current_key
        if key is None:
            self.notify("no candidate yet", timeout=3)
            return
        self.rounds.mark(None if key == self.rounds.marked_key else key)
        if self.rounds.marked_key:
            self.notify(f"candidate {key} marked: c compares the one under the cursor with it", timeout=3)

    def _side(self, key: str | None) -> Side | None:
        if key is None:
            original = self.result.baseline or {}
            facts = (f"tests {original['passed']} passed, {original['failed']} failed"
                     if "passed" in original else "the file before the run")
            return Side("the original", self.result.original_text, facts)
        round_number, _, index = key.partition(".")
        candidate = self._candidate(int(round_number), int(index))
        if candidate is None or not candidate.file_text:
            return None
        row = self.rounds.rows_by_key.get(key)
        return Side(f"candidate {key} ({candidate.model})", candidate.file_text,
                    candidate_facts(candidate, row.seconds if row else None))

    def action_compare(self) -> None:
        """The candidate under the cursor against the marked one, or the original."""
        from tui.screens.compare_screen import CompareScreen

        if self.result is None:
            self.notify("compare once the run is over" if not self._ended else "the run ended without a candidate",
                        timeout=3)
            return
        current, marked = self.rounds.current_key, self.rounds.marked_key
        right = self._side(current)
        if right is None:
            self.notify(f"candidate {current} has no code to compare (it was rejected)", severity="warning",
                        timeout=4)
            return
        if marked == current:
            marked = None  # the marked one against itself says nothing: against the original instead
        left = self._side(marked)
        if left is None:
            self.notify(f"the marked candidate {marked} has no code; comparing with the original", timeout=4)
            left = self._side(None)

        def closed(layout: str | None) -> None:
            if layout:
                self.compare_layout = layout  # the next comparison opens the way this one was left

        self.app.push_screen(CompareScreen(left, right, self.compare_layout), closed)

    def action_close(self) -> None:
        if self.running:
            self.notify(f"the {self.kind} run goes on; F9 comes back to it", timeout=3)
        self.app.pop_screen()
