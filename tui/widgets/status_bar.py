"""The bottom line: which model, where it runs, how fast it writes, how long the last
completion took, and what the index is doing."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from tui.styles import css_beside


class StatusBar(Static):
    DEFAULT_CSS = css_beside(__file__)

    model = reactive("model: not loaded")
    tokens_per_second: reactive[float | None] = reactive(None)
    latency_ms: reactive[float | None] = reactive(None)
    index_state = reactive("index: waiting")
    note = reactive("")  # a short-lived word: "saved", "generating"
    run_state = reactive("")  # the last fix/optimize run, also while its screen is left: "fix f: round 2"
    escalation = reactive(False)  # the next runs escalate to the larger model

    def render(self) -> str:
        speed = "-" if self.tokens_per_second is None else f"{self.tokens_per_second:.1f}"
        latency = "-" if self.latency_ms is None else f"{self.latency_ms:.0f} ms"
        parts = [self.model, f"{speed} tok/s", f"completion {latency}", self.index_state]
        if self.run_state:
            parts.append(self.run_state)
        if self.escalation:
            parts.append("escalation on")
        if self.note:
            parts.append(self.note)
        return " │ ".join(parts)
