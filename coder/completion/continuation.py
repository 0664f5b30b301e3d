"""Finishing a suggestion that was shown early, in the background.

While the user types, a suggestion is shown at the typing deadline with what the model
has written by then (on this machine the 0.5B writes ~17 tokens/s, so a whole line
takes longer than a pause in typing). The model goes on writing the rest as background
work, which any request from the user preempts; the finished text lands in the
suggestion cache, so typing on into the suggestion (or accepting it) is answered with
the longer one without a model call.

Only the raw text is collected here, on a thread of its own; turning it into a
suggestion (post-processing and the checks, which use the index and so belong to the
engine's thread) happens when the engine next runs.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Callable

from coder.models.backend import Generation

_TRAILING_WORD = re.compile(r"[\w$]+\Z")


def shown_part(raw: str) -> str | None:
    """What of an unfinished output may be shown: up to the last whole word (the
    last word may still be growing: `self.app` may become `self.appname`), or None
    when nothing visible is left yet."""
    cut = _TRAILING_WORD.sub("", raw)
    return cut if cut.strip() else None


@dataclass
class Finished:
    """A continuation's outcome: the whole raw output (the part shown early and the
    rest), for the document, prefix and suffix it was written for."""

    document: str
    prefix: str
    suffix: str
    raw: str
    model_ended: bool = False  # the model stopped by itself (not the caller's ended(), not the token limit)


class Continuation:
    """The rest of one suggestion, written by a background generation.

    ``ended(raw_so_far)`` tells when the output is complete before the model stops
    (the end of the block in multi-line mode)."""

    def __init__(self, generation: Generation, *, document: str, prefix: str, suffix: str, written: str,
                 ended: Callable[[str], bool]):
        self._generation = generation
        self._finished: Finished | None = None
        self._lock = threading.Lock()
        self.document = document
        self._thread = threading.Thread(
            target=self._collect, args=(prefix, suffix, written, ended), name="coder-continuation", daemon=True
        )
        self._thread.start()

    def _collect(self, prefix: str, suffix: str, written: str, ended: Callable[[str], bool]) -> None:
        raw = written
        stopped_here = False
        try:
            for piece in self._generation:
                raw += piece
                if ended(raw):
                    stopped_here = True
                    self._generation.cancel()  # the rest would be cut away
                    break
            for _ in self._generation:
                pass
        except Exception:  # noqa: BLE001 - a lost continuation only means a shorter suggestion
            return
        # Preempted by a request from the user: what was written may be cut mid-line.
        if self._generation.stats.finish_reason == "cancelled" and not ended(raw):
            return
        with self._lock:
            model_ended = not stopped_here and self._generation.stats.finish_reason == "stop"
            self._finished = Finished(self.document, prefix, suffix, raw, model_ended)

    def take(self) -> Finished | None:
        """The outcome once, when the generation has finished; None before that."""
        with self._lock:
            finished, self._finished = self._finished, None
        return finished

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._generation.cancel()

    def wait(self, timeout: float | None = None) -> None:
        """For tests and benchmarks: until the background generation is over."""
        self._thread.join(timeout)
