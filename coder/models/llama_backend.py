"""The local backend: llama.cpp in a worker subprocess, driven from this process.

One scheduler thread owns the worker's pipes and runs one job at a time, which is
what serializes every call to the model. A job submitted on a channel cancels the
older jobs of that channel, queued or running. When the worker dies mid-job, that job
fails with a ``BackendError`` naming the signal, and a new worker is started at once
so the next request works.

The state lives in ``_WorkerHost``; ``LlamaWorkerBackend`` is a thin handle on it with
a finalizer, so a backend nobody closes still stops its worker when it is collected
(the scheduler thread references only the host, never the handle).
"""

from __future__ import annotations

import collections
import itertools
import os
import queue
import signal
import subprocess
import threading
import time
import weakref
from pathlib import Path
from typing import Iterator, Sequence

from coder import isolation
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

STDERR_LINES_KEPT = 40
GGUF_MAGIC = b"GGUF"


class _Job:
    def __init__(self, job_id: int, message: dict, channel: str | None = None, background: bool = False):
        self.id = job_id
        self.message = {**message, "id": job_id}
        self.channel = channel
        self.background = background  # yields to any other job (cache warming)
        self.events: queue.Queue = queue.Queue()
        self.cancelled = threading.Event()
        self.submitted = time.perf_counter()
        self.started: float | None = None

    def finish(self, reply: dict) -> None:
        self.events.put(("done", reply))

    def fail(self, error: Exception) -> None:
        self.events.put(("error", error))


class _WorkerGeneration(Generation):
    def __init__(self, host: "_WorkerHost", job: _Job):
        self._host = host
        self._job = job
        self.stats = GenerationStats()
        self.tokens: list[tuple[str, float]] = []
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
        self.tokens = [(str(text), float(logprob)) for text, logprob in reply.get("tokens") or ()]
        started = job.started or time.perf_counter()
        self.stats.queue_s = started - job.submitted
        self.stats.total_s = time.perf_counter() - job.submitted
        reason = stats.get("finish_reason", "cancelled")
        self.stats.finish_reason = "cancelled" if job.cancelled.is_set() else reason

    def cancel(self) -> None:
        self._host.cancel(self._job)


class LlamaWorkerBackend(Backend):
    """A GGUF model served by llama.cpp in a crash-isolated worker process."""

    supports_background = True

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
        _check_model_file(self.model_path)
        self._host = _WorkerHost(self.model_path, n_ctx, n_threads, n_batch, load_timeout_s)
        # Runs close() when this handle is collected or at interpreter exit.
        self._finalizer = weakref.finalize(self, self._host.close)

    def info(self) -> ModelInfo:
        return self._host.info

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        return self._host.call({"op": "tokenize", "text": text, "special": special})["ids"]

    def detokenize(self, ids: Sequence[int]) -> str:
        return self._host.call({"op": "detokenize", "ids": [int(i) for i in ids]})["text"]

    def stream(self, request: GenerationRequest) -> Generation:
        prompt = request.prompt if isinstance(request.prompt, str) else [int(i) for i in request.prompt]
        message = {
            "op": "generate",
            "prompt": prompt,
            "max_tokens": request.max_tokens,
            "stop": list(request.stop),
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "grammar": request.grammar,
            "first_token_bias": [[int(token), float(bias)] for token, bias in request.first_token_bias],
            "logprobs": request.logprobs,
        }
        host = self._host
        return _WorkerGeneration(host, host.submit(message, request.channel, background=request.background))

    def close(self) -> None:
        self._finalizer()

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id (it changes when the worker is restarted)."""
        process = self._host.process
        return process.pid if process else None

    @property
    def restarts(self) -> int:
        return self._host.restarts

    def lower_priority(self, niceness: int) -> None:
        """Run this worker at a lower CPU priority from now on (restarts included).

        Used for the chat worker beside a completion worker: on a laptop's few cores a
        loop or a review generating for minutes must not slow the keystrokes down."""
        self._host.niceness = max(self._host.niceness, niceness)
        self._host.apply_niceness()

    @property
    def niceness(self) -> int:
        """The worker's own niceness as the kernel reports it (0 when not running)."""
        process = self._host.process
        if process is None or process.poll() is not None:
            return 0
        try:
            return os.getpriority(os.PRIO_PROCESS, process.pid)
        except OSError:
            return 0

    @property
    def load_s(self) -> float:
        """Seconds the last (re)load of the model took, process start included."""
        return self._host.load_s


def _check_model_file(path: Path) -> None:
    """Refuse what cannot be a model before starting a process for it."""
    if not path.is_file():
        raise ModelError(
            f"model file {path} does not exist; run `coder model list` to see the models you have"
        )
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise ModelError(f"cannot read model file {path}: {error.strerror}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{path} is not a GGUF model file; point coder at a .gguf file "
            "(`coder model list` shows the ones you have)"
        )


class _WorkerHost:
    """The worker process, its pipes, and the queue of jobs waiting for it."""

    def __init__(self, model_path: Path, n_ctx: int, n_threads: int | None, n_batch: int,
                 load_timeout_s: float):
        from coder import paths

        self.model_path = model_path
        self.load_message = {
            "op": "load",
            "path": str(model_path),
            "n_ctx": n_ctx,
            "n_threads": n_threads or max(1, os.cpu_count() or 2),
            "n_batch": n_batch,
            "cache_dir": str(paths.cache_dir() / "models"),
        }
        self.load_timeout_s = load_timeout_s
        self.ids = itertools.count(1)
        self.cond = threading.Condition()
        self.queue: collections.deque[_Job] = collections.deque()
        self.current: _Job | None = None
        self.write_lock = threading.Lock()
        self.closed = False
        self.process: subprocess.Popen | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
        self.info: ModelInfo | None = None
        self.restarts = 0
        self.load_s = 0.0
        self.niceness = 0  # added to the worker's threads after each start
        self.cpu_features = ""  # what llama.cpp was compiled for, as the worker reports it
        self.start_worker()  # raises ModelError when the model cannot be loaded
        self.scheduler = threading.Thread(
            target=self.run_scheduler, name="coder-llama-scheduler", daemon=True
        )
        self.scheduler.start()

    # -- the worker process ----------------------------------------------------

    def start_worker(self) -> None:
        self.stderr_tail.clear()
        started = time.perf_counter()
        process = subprocess.Popen(
            # Isolated and outside the repository: see coder.isolation.
            isolation.python_command("coder.models.llama_worker"),
            cwd=isolation.neutral_directory(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C in the terminal is the parent's to handle
        )
        self.process = process
        threading.Thread(
            target=self.drain_stderr, args=(process,), name="coder-llama-stderr", daemon=True
        ).start()
        reply_box: list = []
        reader = threading.Thread(target=lambda: reply_box.append(self.load(process)), daemon=True)
        reader.start()
        reader.join(self.load_timeout_s)
        if reader.is_alive():
            self.kill(process)
            raise ModelError(
                f"loading {self.model_path} took longer than {self.load_timeout_s:.0f}s; "
                "the file may be too large for this machine"
            )
        reply = reply_box[0] if reply_box else None
        if reply is None or "error" in reply:
            self.kill(process)
            raise ModelError(self.load_failure(process, reply))
        self.load_s = time.perf_counter() - started
        self.info = _model_info(reply["info"])
        self.cpu_features = reply.get("cpu_features", "")
        self.apply_niceness()

    def apply_niceness(self) -> None:
        """Renice every thread of the worker: Linux keeps a niceness per thread, and the
        threads llama.cpp starts later inherit it from the ones that exist now."""
        process = self.process
        if not self.niceness or process is None or process.poll() is not None:
            return
        try:
            threads = [int(name) for name in os.listdir(f"/proc/{process.pid}/task")]
        except OSError:
            threads = [process.pid]  # no /proc: the main thread, which starts the others
        for thread in threads:
            try:
                if os.getpriority(os.PRIO_PROCESS, thread) < self.niceness:
                    os.setpriority(os.PRIO_PROCESS, thread, self.niceness)
            except OSError:  # the thread ended meanwhile, or the platform has no such call
                pass

    def load(self, process: subprocess.Popen) -> dict | None:
        try:
            worker_protocol.send(process.stdin, {**self.load_message, "id": 0})
            return worker_protocol.receive(process.stdout)
        except (OSError, ValueError):
            return None

    def load_failure(self, process: subprocess.Popen, reply: dict | None) -> str:
        name = self.model_path
        detail = self.last_error_line()
        if reply is None:
            how = _describe_exit(process.wait())
            why = f" ({detail})" if detail else ""
            return (
                f"llama.cpp could not load {name}: the worker {how}{why}; the file is corrupt "
                "or not a model this llama.cpp supports (check it with `coder model info`)"
            )
        if reply.get("startup"):
            # The worker could not import what it runs on: the model is not the cause.
            return f"the llama.cpp worker could not start: {reply['error']}"
        why = detail or reply["error"].split(": ", 1)[-1]
        return (
            f"llama.cpp could not load {name} ({why}); "
            "check the file with `coder model info` or pull it again"
        )

    def last_error_line(self) -> str | None:
        """The last line of llama.cpp's log that says what went wrong, if any."""
        time.sleep(0.05)  # let the stderr reader catch the final lines of a dead worker
        for line in reversed(self.stderr_tail):
            lowered = line.lower()
            if "error" in lowered or "failed" in lowered or "assert" in lowered:
                return line.strip()[:200]
        return None

    def drain_stderr(self, process: subprocess.Popen) -> None:
        # llama.cpp logs here even with verbose=False; keep the tail for error messages
        # instead of letting it reach the user's terminal.
        for raw in process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.stderr_tail.append(line)
        process.stderr.close()

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.kill()
        process.wait()  # reaped: no zombie
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    # -- scheduling ------------------------------------------------------------

    def submit(self, message: dict, channel: str | None = None, background: bool = False) -> _Job:
        job = _Job(next(self.ids), message, channel, background)
        with self.cond:
            if self.closed:
                raise BackendError(f"the model {self.model_path.name} has been closed")
            if not background:
                # A request from the user preempts warming work, queued or running.
                for waiting in self.queue:
                    if waiting.background:
                        waiting.cancelled.set()
                if self.current is not None and self.current.background:
                    self.send_cancel(self.current)
            if channel is not None:
                for older in self.queue:
                    if older.channel == channel:
                        older.cancelled.set()
                if self.current is not None and self.current.channel == channel:
                    self.send_cancel(self.current)
            self.queue.append(job)
            self.cond.notify()
        return job

    def cancel(self, job: _Job) -> None:
        with self.cond:
            if self.current is job:
                self.send_cancel(job)
            else:
                job.cancelled.set()

    def send_cancel(self, job: _Job) -> None:
        job.cancelled.set()
        try:
            with self.write_lock:
                worker_protocol.send(self.process.stdin, {"op": "cancel", "id": job.id})
        except (OSError, ValueError, AttributeError):
            pass  # the worker is gone; the scheduler reports that

    def run_scheduler(self) -> None:
        while True:
            with self.cond:
                while not self.queue and not self.closed:
                    self.cond.wait()
                if self.closed:
                    return
                job = self.queue.popleft()
                job.started = time.perf_counter()
                if job.cancelled.is_set():
                    job.finish({"stats": {"finish_reason": "cancelled"}})
                    continue
                self.current = job
            try:
                self.run_job(job)
            finally:
                with self.cond:
                    self.current = None

    def run_job(self, job: _Job) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            try:
                self.restart()
            except ModelError as error:
                job.fail(BackendError(error.message))
                return
            process = self.process
        try:
            with self.write_lock:
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
            if self.closed:
                job.fail(BackendError(f"the model {self.model_path.name} has been closed"))
            else:
                self.report_crash(job, process)
            return
        if "error" in reply:
            job.fail(BackendError(f"{self.model_path.name}: {reply['error'].split(': ', 1)[-1]}"))
        else:
            job.finish(reply)

    def report_crash(self, job: _Job, process: subprocess.Popen) -> None:
        code = process.wait()
        detail = self.last_error_line()
        what = {"generate": "generating", "tokenize": "tokenizing"}.get(
            job.message.get("op"), "working"
        )
        why = f" [{detail}]" if detail else ""
        # The dead process is reaped: forget it before the caller hears, so nobody sees
        # its pid as the live worker. The caller hears at once; the reload follows (if
        # it fails, the next job gets the reason).
        self.kill(process)
        self.process = None
        job.fail(
            BackendError(
                f"the llama.cpp worker for {self.model_path.name} {_describe_exit(code)} "
                f"while {what}{why}; it is being restarted{_fault_hint(code, self.cpu_features)}"
            )
        )
        try:
            self.restart()
        except ModelError:
            self.process = None  # run_job retries the start for the next job

    def restart(self) -> None:
        if self.process is not None:
            self.kill(self.process)
            self.process = None
        if self.closed:
            return
        self.restarts += 1
        self.start_worker()
        if self.closed:  # close() ran while the new worker was loading
            self.kill(self.process)

    def call(self, message: dict) -> dict:
        job = self.submit(message)
        kind, payload = job.events.get()
        if kind == "error":
            raise payload
        return payload

    def close(self) -> None:
        with self.cond:
            if self.closed:
                return
            self.closed = True
            pending = list(self.queue)
            self.queue.clear()
            running = self.current
            self.cond.notify_all()
        for job in pending:
            job.fail(BackendError(f"the model {self.model_path.name} has been closed"))
        process = self.process
        if process is None:
            return
        if running is not None:
            self.send_cancel(running)
        try:
            with self.write_lock:
                worker_protocol.send(process.stdin, {"op": "shutdown"})
            process.wait(timeout=5)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        self.kill(process)


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"crashed ({signal.Signals(-code).name})"
        except ValueError:
            return f"crashed (signal {-code})"
    return f"exited with status {code}"


def _fault_hint(code: int | None, cpu_features: str) -> str:
    """What to do when a worker built with AMX dies on a fault: some virtual machines
    report AMX without running it, and such a build dies on every first decode."""
    faults = (-signal.SIGSEGV, -signal.SIGILL, -signal.SIGBUS)
    if code not in faults or "AMX_INT8 = 1" not in cpu_features:
        return ""
    return ("; llama-cpp-python was compiled with AMX, which this machine may not run: rebuild it "
            "without (scripts/install_llama_cpp.sh VENV in coder's source does it)")


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
