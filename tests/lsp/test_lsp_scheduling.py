"""The completion scheduler and the debounce: newest request per document wins,
every job is answered, a failing job does not stop the worker."""

from __future__ import annotations

import threading
import time

from lsp.debounce import Debounce
from lsp.scheduler import CompletionScheduler


def test_a_newer_job_answers_the_waiting_one_stale_at_once():
    scheduler = CompletionScheduler()
    release = threading.Event()
    blocker = scheduler.submit("other", 1, lambda job: release.wait(5) and "blocker")
    first = scheduler.submit("doc", 1, lambda job: "first", stale="")
    second = scheduler.submit("doc", 2, lambda job: "second", stale="")
    assert first.future.result(timeout=1) == ""  # superseded while waiting
    release.set()
    assert blocker.future.result(timeout=5) == "blocker"
    assert second.future.result(timeout=5) == "second"
    scheduler.close()


def test_the_running_job_of_a_document_is_answered_stale_when_superseded():
    scheduler = CompletionScheduler()
    started, release = threading.Event(), threading.Event()

    def slow(job):
        started.set()
        release.wait(5)
        return "old"

    running = scheduler.submit("doc", 1, slow, stale="")
    assert started.wait(5)
    newer = scheduler.submit("doc", 2, lambda job: "new", stale="")
    release.set()
    assert running.future.result(timeout=5) == ""
    assert newer.future.result(timeout=5) == "new"
    scheduler.close()


class _Generation:
    """Stands for a model generation: ends when cancelled (or after 5 s)."""

    def __init__(self):
        self.cancelled = threading.Event()

    def cancel(self):
        self.cancelled.set()


def test_superseding_the_running_job_cancels_its_generation_at_once():
    scheduler = CompletionScheduler()
    started = threading.Event()
    generation = _Generation()

    def generating(job):
        job.cancel.watch(generation)  # what the engine does with the request's cancel
        started.set()
        return "finished" if not generation.cancelled.wait(5) else "cut"

    running = scheduler.submit("doc", 1, generating, stale="")
    other = scheduler.submit("other", 1, lambda job: "other", stale="")
    assert started.wait(5)
    began = time.monotonic()
    newer = scheduler.submit("doc", 2, lambda job: "new", stale="")
    assert running.future.result(timeout=5) == ""
    assert time.monotonic() - began < 1.0  # not the 5 s the generation would have run
    assert generation.cancelled.is_set() and not other.cancel.is_set
    assert other.future.result(timeout=5) == "other" and newer.future.result(timeout=5) == "new"
    assert scheduler.counts["interrupted"] == 1
    scheduler.close()


def test_a_failing_job_answers_stale_and_the_next_one_runs():
    scheduler = CompletionScheduler()

    def boom(job):
        raise RuntimeError("worker died")

    failed = scheduler.submit("doc", 1, boom, stale="")
    assert failed.future.result(timeout=5) == ""
    assert scheduler.submit("doc", 2, lambda job: "ok").future.result(timeout=5) == "ok"
    assert scheduler.counts["failed"] == 1
    scheduler.close()


def test_a_cancelled_job_is_skipped():
    scheduler = CompletionScheduler()
    release = threading.Event()
    scheduler.submit("other", 1, lambda job: release.wait(5))
    ran = []
    cancelled = scheduler.submit("doc", 1, lambda job: ran.append(1))
    assert cancelled.future.cancel()
    release.set()
    assert scheduler.submit("doc2", 1, lambda job: "after").future.result(timeout=5) == "after"
    assert ran == []
    scheduler.close()


def test_debounce_waits_only_when_the_model_is_slower_than_the_typing():
    debounce = Debounce()
    now = 100.0
    for step in range(5):
        debounce.note_change("doc", now + step * 0.08)  # 80 ms between keystrokes
    last = now + 4 * 0.08
    debounce.note_latency(0.05)  # the model answers in 50 ms: no wait
    assert debounce.start_at("doc") == 0.0
    for _ in range(20):
        debounce.note_latency(0.4)  # 400 ms: wait about one keystroke gap
    assert abs(debounce.start_at("doc") - (last + 0.12)) < 1e-6


def test_debounce_ignores_pauses_longer_than_a_burst():
    debounce = Debounce()
    debounce.note_change("doc", 0.0)
    debounce.note_change("doc", 5.0)
    debounce.note_change("doc", 10.0)
    debounce.note_latency(1.0)
    assert debounce.start_at("doc") == 0.0


def test_a_fixed_debounce_waits_its_time_after_the_last_change():
    debounce = Debounce(fixed_ms=50)
    debounce.note_change("doc", 7.0)
    assert debounce.start_at("doc") == 7.05


def test_the_scheduler_honours_the_debounce_and_a_newer_job_cuts_it_short():
    scheduler = CompletionScheduler(Debounce(fixed_ms=300))
    scheduler.debounce.note_change("doc")
    started = time.monotonic()
    first = scheduler.submit("doc", 1, lambda job: "first", stale="")
    second = scheduler.submit("doc", 2, lambda job: "second", stale="")
    assert first.future.result(timeout=1) == ""
    assert time.monotonic() - started < 0.2  # answered at once, not after the wait
    assert second.future.result(timeout=2) == "second"
    assert time.monotonic() - started >= 0.29
    scheduler.close()
