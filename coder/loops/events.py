"""What a loop reports while it runs, and how a front stops it.

The CLI prints events as lines, the LSP server turns them into work-done progress and
the TUI into a live table; all of them pass ``on_event`` and hold a ``Cancel``. Events
are plain data so a front on another thread can queue them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

# Event kinds, in the order a run emits them.
STARTED = "started"  # data: target, tests, model
BASELINE = "baseline"  # the original's test run (data: passed, failed)
ROUND = "round"  # a new round begins (round)
GENERATING = "generating"  # the model is writing a candidate (round, candidate)
REJECTED = "rejected"  # did not parse / changed the signature (message: why)
TESTED = "tested"  # a candidate's test run (data: passed, failed, summary)
MEASURED = "measured"  # optimize: a candidate's timing verdict (data: speedup, faster, ...)
BEST = "best"  # a new best candidate (data: speedup or passed)
ESCALATED = "escalated"  # handed to the larger model (data: model)
FINISHED = "finished"  # the run is over (data: outcome, run_id)


@dataclass(frozen=True)
class LoopEvent:
    kind: str
    message: str
    round: int | None = None
    candidate: int | None = None
    data: dict = field(default_factory=dict)


EventSink = Callable[[LoopEvent], None]


class Cancel:
    """Set from any thread; the loop stops at its next step and kills what runs."""

    def __init__(self):
        self.event = threading.Event()
        self._generations = []
        self._lock = threading.Lock()

    def set(self) -> None:
        self.event.set()
        with self._lock:
            for generation in self._generations:
                generation.cancel()

    @property
    def is_set(self) -> bool:
        return self.event.is_set()

    def watch(self, generation) -> None:
        """Cancel this model generation too when the loop is cancelled."""
        with self._lock:
            self._generations.append(generation)
        if self.event.is_set():
            generation.cancel()

    def unwatch(self, generation) -> None:
        with self._lock:
            if generation in self._generations:
                self._generations.remove(generation)
