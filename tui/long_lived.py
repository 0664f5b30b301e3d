"""Keep the garbage collector's full passes off the key path.

A full (oldest-generation) collection walks every object the process holds: the
imported modules, the widgets, the index's and the models' state, about 140,000
objects once a repository is open. Python runs one whenever enough new objects have
survived, and on the event loop it is a pause: measured in bench_tui while an answer
streamed, 10 full collections of up to 194-582 ms (under load) held keys that far
behind. Two measures:

- What exists once the app has settled (started, indexed, a model loaded) lives as
  long as the app, so it is moved out of the collector's sight (``gc.freeze``);
  collections then walk only what was made since. Objects frozen are still freed when
  their last reference goes; only a cycle among them would stay, and they are made
  once per start, index build or model load.
- What is made since still grows while an answer streams (its Markdown blocks, the
  styles and segments of each frame): with the freeze alone bench_tui still saw full
  passes of 58-102 ms among the keys (p95 67 ms a key against the 50 ms target). So
  Python's own full passes are held, and the app runs them itself in a pause of the
  user's input (FullCollections), or after AT_MOST_S of input without one. The young
  generations are collected as usual: their passes are short (7-12 ms at most)."""

from __future__ import annotations

import gc
import time
from typing import Callable

HELD = 1 << 30  # a full-pass threshold Python never reaches
IDLE_S = 0.75  # no key or paste for this long: a full pass will not be in the way
AT_MOST_S = 30.0  # however steady the typing, a full pass at least this often
DUE_AFTER = 10  # middle-generation passes since the last full one (Python's own default)


def freeze_what_exists() -> None:
    """Call when the app reaches a settled state; cheap (no walk) and repeatable."""
    gc.freeze()


class FullCollections:
    """Full collections moved to the pauses in the user's input. ``hold`` while the
    app runs, ``input_seen`` at each key, ``tick`` from a timer, ``release`` at exit
    (the process, a test run's included, gets Python's own schedule back)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 collect: Callable[[int], int] = gc.collect,
                 due: Callable[[], int] = lambda: gc.get_count()[2]):
        self._clock, self._collect, self._due = clock, collect, due
        self._last_input = self._last_full = clock()
        self._saved: tuple[int, int, int] | None = None
        self.runs = 0  # full passes this object ran

    def hold(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(self._saved[0], self._saved[1], HELD)

    def release(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    @property
    def last_input(self) -> float:
        """When the last key or paste came (the clock's time)."""
        return self._last_input

    def input_seen(self) -> None:
        self._last_input = self._clock()

    def tick(self) -> bool:
        """Run a full pass if one is due and the user paused (or waited too long for
        a pause); True when it ran."""
        now = self._clock()
        if self._due() < DUE_AFTER:
            return False
        if now - self._last_input < IDLE_S and now - self._last_full < AT_MOST_S:
            return False
        self._collect(2)
        self._last_full = self._clock()
        self.runs += 1
        return True
