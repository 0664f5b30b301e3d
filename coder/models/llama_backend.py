"""The local backend: llama.cpp in a worker subprocess, driven from this process.

One scheduler thread owns the worker's pipes and runs one job at a time, which is
what serializes every call to the model. A job submitted on a channel cancels the
older jobs of that channel, queued or running. When the worker dies mid-job, that job
fails with a ``BackendError`` naming the signal, and a new worker is started at once
so the next request works.
"""

from __future__ import annotations

import collections
import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

from coder.errors import BackendError, ModelError
from coder.models import worker_protocol
from coder.models.backend import (
    Backend,
    Generation,
    GenerationRequest,
    GenerationStats,
    ModelInfo,
    SpecialTokens,
)

STDERR_LINES_KEPT = 20


class _Job:
    def __init__(self, job_id: int, message: dict, channel: str | None = None):
        self.id = job_id
        self.message = {**message, "id": job_id}
        self.channel = channel
        self.events: queue.Queue = queue.Queue()
        self.cancelled = threading.Event()
        self.submitted = time.perf_counter()
        self.started: float | None = None

    def finish(self, reply: dict) -> None:
        self.events.put(("done", reply))

    def fail(self, error: Exception) -> None:
        self.events.put(("error", error))


class _WorkerGeneration(Generation):
    def __init__(self, backend: "LlamaWorkerBackend", job: _Job):
        self._backend = backend
        self._job = job
        self.stats = GenerationStats()
        self._consumed = False

    def __iter__(self) -> Iterator[str]:
        if self._consumed:
            return
        self._consumed = True
        job = self._job
        while True:
            kind, payload = job.events.get()
            if kind == "piece":
                if not job.cancelled.is_set():
                    yield payload
                continue
            if kind == "error":
                raise payload
            self._fill_stats(payload)
            return

    def _fill_stats(self, reply: dict) -> None:
        job = self._job
        stats = reply.get("stats") or {}
        for key in ("prompt_tokens", "reused_tokens", "evaluated_tokens", "generated_tokens"):
            setattr(self.stats, key, stats.get(key, 0))
        self.stats.time_to_first_token_s = stats.get("time_to_first_token_s")
        started = job.started or job.submitted
        self.stats.queue_s = started - job.submitted
        self.stats.total_s = time.perf_counter() - job.submitted
        reason = stats.get("finish_reason", "cancelled")
        self.stats.finish_reason = "cancelled" if job.cancelled.is_set() else reason

    def cancel(self) -> None:
        self._backend._cancel(self._job)


class LlamaWorkerBackend(Backend):
    """A GGUF model served by llama.cpp in a crash-isolated worker process."""

    def __init__(
        self,
        model_path: str | os.PathLike,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        load_timeout_s: float = 120.0,
    ):
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelError(
                f"model file {self.model_path} does not exist; "
                "run `coder model list` to see the models you have"
            )
        self._load_message = {
            "op": "load",
            "path": str(self.model_path),
            "n_ctx": n_ctx,
            "n_threads": n_threads or max(1, (os.cpu_count() or 2)),
            "n_batch": n_batch,
        }
        self._load_timeout_s = load_timeout_s
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._queue: collections.deque[_Job] = collections.deque()
        self._current: _Job | None = None
        self._write_lock = threading.Lock()
        self._closed = False
        self._process: subprocess.Popen | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
        self._info: ModelInfo | None = None
        self.restarts = 0
        self.load_s = 0.0
        self._start_worker()  # raises ModelError when the model cannot be loaded
        self._scheduler = threading.Thread(
            target=self._run_scheduler, name="coder-llama-scheduler", daemon=True
        )
        self._scheduler.start()

    # -- the worker process ----------------------------------------------------

    def _start_worker(self) -> None:
        self._stderr_tail.clear()
        process = subprocess.Popen(
            [sys.executable, "-m", "coder.models.llama_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C in the terminal is the parent's to handle
        )
        self._process = process
        threading.Thread(
            target=self._drain_stderr, args=(process,), name="coder-llama-stderr", daemon=True
        ).start()
        started = time.perf_counter()
        reply_box: list = []
        reader = threading.Thread(
            target=lambda: reply_box.append(self._load(process)), daemon=True
        )
        reader.start()
        reader.join(self._load_timeout_s)
        if reader.is_alive():
            self._kill(process)
            raise ModelError(
                f"loading {self.model_path} took longer than {self._load_timeout_s:.0f}s; "
                "the file may be too large for this machine"
            )
        reply = reply_box[0]
        if reply is None or "error" in reply:
            self._kill(process)
            raise ModelError(self._load_failure(process, reply))
        self.load_s = time.perf_counter() - started
        self._info = _model_info(reply["info"])

    def _load(self, process: subprocess.Popen) -> dict | None:
        try:
            worker_protocol.send(process.stdin, {**self._load_message, "id": 0})
            return worker_protocol.receive(process.stdout)
        except (OSError, ValueError):
            return None

    def _load_failure(self, process: subprocess.Popen, reply: dict | None) -> str:
        name = self.model_path
        if reply is None:
            code = process.wait()
            how = _describe_exit(code)
            return (
                f"llama.cpp could not load {name}: the worker {how}; the file is corrupt "
                "or not a model this llama.cpp supports (check it with `coder model info`)"
            )
        return (
            f"llama.cpp could not load {name} ({reply['error'].split(': ', 1)[-1]}); "
            "check the file with `coder model info` or pull it again"
        )

    def _drain_stderr(self, process: subprocess.Popen) -> None:
        for raw in process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self._stderr_tail.append(line)

    @staticmethod
    def _kill(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    # -- scheduling ------------------------------------------------------------

    def _submit(self, message: dict, channel: str | None = None) -> _Job:
        job = _Job(next(self._ids), message, channel)
        with self._cond:
            if self._closed:
                raise BackendError(f"the model {self.model_path.name} has been closed")
            if channel is not None:
                for older in self._queue:
                    if older.channel == channel:
                        older.cancelled.set()
                if self._current is not None and self._current.channel == channel:
                    self._send_cancel(self._current)
            self._queue.append(job)
            self._cond.notify()
        return job

    def _cancel(self, job: _Job) -> None:
        with self._cond:
            if self._current is job:
                self._send_cancel(job)
            else:
                job.cancelled.set()

    def _send_cancel(self, job: _Job) -> None:
        job.cancelled.set()
        try:
            with self._write_lock:
                worker_protocol.send(self._process.stdin, {"op": "cancel", "id": job.id})
        except (OSError, ValueError):
            pass  # the worker is gone; the scheduler reports that

    def _run_scheduler(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job = self._queue.popleft()
                if job.cancelled.is_set():
                    job.finish({"stats": {"finish_reason": "cancelled"}})
                    continue
                self._current = job
                job.started = time.perf_counter()
            try:
                self._run_job(job)
            finally:
                with self._cond:
                    self._current = None

    def _run_job(self, job: _Job) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            try:
                self._restart()
            except ModelError as error:
                job.fail(BackendError(error.message))
                return
            process = self._process
        try:
            with self._write_lock:
                worker_protocol.send(process.stdin, job.message)
            while True:
                reply = worker_protocol.receive(process.stdout)
                if reply is None:
                    raise EOFError
                if "piece" in reply:
                    job.events.put(("piece", reply["piece"]))
                    continue
                break
        except (OSError, ValueError, EOFError):
            self._report_crash(job, process)
            return
        if "error" in reply:
            job.fail(BackendError(f"{self.model_path.name}: {reply['error'].split(': ', 1)[-1]}"))
        else:
            job.finish(reply)

    def _report_crash(self, job: _Job, process: subprocess.Popen) -> None:
        code = process.wait()
        what = {"generate": "generating", "tokenize": "tokenizing"}.get(
            job.message.get("op"), "working"
        )
        try:
            self._restart()
            after = "it has been restarted"
        except ModelError as error:
            after = f"restarting it failed: {error.message}"
        job.fail(
            BackendError(
                f"the llama.cpp worker for {self.model_path.name} {_describe_exit(code)} "
                f"while {what}; {after}"
            )
        )

    def _restart(self) -> None:
        if self._process is not None:
            self._kill(self._process)
        self.restarts += 1
        self._start_worker()

    def _call(self, message: dict) -> dict:
        job = self._submit(message)
        kind, payload = job.events.get()
        if kind == "error":
            raise payload
        return payload

    # -- Backend ---------------------------------------------------------------

    def info(self) -> ModelInfo:
        return self._info

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        return self._call({"op": "tokenize", "text": text, "special": special})["ids"]

    def detokenize(self, ids: Sequence[int]) -> str:
        return self._call({"op": "detokenize", "ids": list(ids)})["text"]

    def stream(self, request: GenerationRequest) -> Generation:
        prompt = request.prompt if isinstance(request.prompt, str) else list(request.prompt)
        message = {
            "op": "generate",
            "prompt": prompt,
            "max_tokens": request.max_tokens,
            "stop": list(request.stop),
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "grammar": request.grammar,
        }
        return _WorkerGeneration(self, self._submit(message, request.channel))

    @property
    def worker_pid(self) -> int | None:
        return self._process.pid if self._process else None

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            pending = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        for job in pending:
            job.fail(BackendError(f"the model {self.model_path.name} has been closed"))
        process = self._process
        if process is not None:
            try:
                with self._write_lock:
                    worker_protocol.send(process.stdin, {"op": "shutdown"})
                process.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
            self._kill(process)

    def __del__(self):  # pragma: no cover - best effort when a caller forgets close()
        try:
            self.close()
        except Exception:
            pass


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"crashed ({signal.Signals(-code).name})"
        except ValueError:
            return f"crashed (signal {-code})"
    return f"exited with status {code}"


def _model_info(raw: dict) -> ModelInfo:
    specials = raw.get("specials", {})
    return ModelInfo(
        name=raw["name"],
        architecture=raw["architecture"],
        context_length=raw["context_length"],
        train_context_length=raw.get("train_context_length"),
        add_bos=raw.get("add_bos", False),
        chat_template=raw.get("chat_template"),
        specials=SpecialTokens(**specials, by_text=raw.get("by_text", {})),
        path=raw.get("path"),
    )
