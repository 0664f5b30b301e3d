"""Completion jobs: one worker thread, the newest request per document wins.

The model serves one request at a time, so jobs run one after another on a single
thread (the event loop stays free to read the editor's messages). A new job for a
document answers that document's waiting jobs at once with the stale value, and
marks its running job superseded and sets its ``cancel``: the work hands that to the
core, which cancels the model's generation at once, so the model is free for the new
job instead of finishing an answer nobody will see (the superseded job is answered
with the stale value); no request is ever left without an answer. A job whose future was cancelled
($/cancelRequest) before it started is skipped. A job that raises answers the stale
value too: an editor forgives a missing suggestion, not a dead server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import Any, Callable

from coder.loops.events import Cancel

from lsp.debounce import Debounce

log = logging.getLogger(__name__)


class Job:
    def __init__(self, key: str, version: int, work: Callable[["Job"], Any], stale: Any, measure: bool = True):
        self.key = key
        self.measure = measure  # its time counts as the model's latency (not for cache warming)
        self.version = version
        self.work = work
        self.stale = stale
        self.future: Future = Future()
        self.superseded = threading.Event()
        self.cancel = Cancel()  # set when superseded or cancelled while running
        self.submitted = time.monotonic()

    def answer(self, value: Any) -> None:
        if not self.future.done():
            try:
                self.future.set_result(value)
            except Exception:  # cancelled meanwhile (InvalidStateError)
                pass

    @property
    def dropped(self) -> bool:
        return self.superseded.is_set() or self.future.cancelled()


class CompletionScheduler:
    def __init__(self, debounce: Debounce | None = None):
        self.debounce = debounce or Debounce()
        self._pending: deque[Job] = deque()
        self._running: Job | None = None
        self._cond = threading.Condition()
        self._closed = False
        self.counts = {"run": 0, "superseded": 0, "interrupted": 0, "cancelled": 0, "failed": 0}
        self._thread = threading.Thread(target=self._loop, name="coder-completions", daemon=True)
        self._thread.start()

    def submit(self, key: str, version: int, work: Callable[[Job], Any], stale: Any = None,
               measure: bool = True) -> Job:
        job = Job(key, version, work, stale, measure)
        with self._cond:
            if self._closed:
                job.answer(stale)
                return job
            for older in [j for j in self._pending if j.key == key]:
                self._pending.remove(older)
                older.superseded.set()
                older.answer(older.stale)
                self.counts["superseded"] += 1
            if self._running is not None and self._running.key == key:
                self._running.superseded.set()
                self._running.cancel.set()
                self.counts["interrupted"] += 1
            self._pending.append(job)
            self._cond.notify_all()
        return job

    def _next(self) -> Job | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                if not self._pending:
                    self._cond.wait()
                    continue
                job = self._pending[0]
                if job.future.cancelled():
                    self._pending.popleft()
                    self.counts["cancelled"] += 1
                    continue
                wait = self.debounce.start_at(job.key) - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)  # a newer job or a cancel wakes us early
                    continue
                self._pending.popleft()
                self._running = job
                return job

    def _loop(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            try:
                if not job.future.set_running_or_notify_cancel():
                    self.counts["cancelled"] += 1
                    continue
                started = time.monotonic()
                value = job.work(job)
                if job.measure:
                    self.debounce.note_latency(time.monotonic() - started)
                self.counts["run"] += 1
                job.answer(job.stale if job.superseded.is_set() else value)
            except BaseException:  # noqa: BLE001 - the worker thread must survive anything
                log.exception("completion job failed")
                self.counts["failed"] += 1
                job.answer(job.stale)
            finally:
                with self._cond:
                    self._running = None

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            for job in self._pending:
                job.answer(job.stale)
            self._pending.clear()
            self._cond.notify_all()
