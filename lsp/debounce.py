"""How long a completion request waits before the model is asked.

Waiting only pays when another keystroke is likely to come before the model would
have answered: then the request is superseded without costing model time. So the
delay follows the user's typing rhythm (the median gap between recent changes of the
document, within a burst of typing) and applies only while the model's measured
latency on this machine is longer than that gap. A user typing slowly, or a model
faster than their typing, gets no delay at all.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque

BURST_GAP_S = 1.0  # longer pauses are not typing rhythm
MAX_DELAY_S = 0.2
GAPS_KEPT = 8


class Debounce:
    def __init__(self, fixed_ms: int | None = None):
        self.fixed_ms = fixed_ms  # None: adaptive
        self._gaps: dict[str, deque] = {}
        self._last_change: dict[str, float] = {}
        self._latency_s: float | None = None  # moving average of model latency
        self._lock = threading.Lock()

    def note_change(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            last = self._last_change.get(key)
            if last is not None and now - last < BURST_GAP_S:
                self._gaps.setdefault(key, deque(maxlen=GAPS_KEPT)).append(now - last)
            self._last_change[key] = now

    def note_latency(self, seconds: float) -> None:
        with self._lock:
            if self._latency_s is None:
                self._latency_s = seconds
            else:
                self._latency_s = 0.8 * self._latency_s + 0.2 * seconds

    @property
    def latency_s(self) -> float | None:
        return self._latency_s

    def forget(self, key: str) -> None:
        with self._lock:
            self._gaps.pop(key, None)
            self._last_change.pop(key, None)

    def start_at(self, key: str) -> float:
        """The monotonic time at which a request for key should start."""
        with self._lock:
            last = self._last_change.get(key)
            if last is None:
                return 0.0
            if self.fixed_ms is not None:
                return last + self.fixed_ms / 1000
            gaps = self._gaps.get(key)
            if not gaps or len(gaps) < 2 or self._latency_s is None:
                return 0.0
            gap = statistics.median(gaps)
            if self._latency_s <= gap:
                return 0.0
            return last + min(MAX_DELAY_S, gap * 1.5)
