"""A real OpenAI-compatible server on 127.0.0.1 for tests: llama-cpp-python's own.

The server runs as a child process on a free port; the context manager waits until
``/v1/models`` answers (bounded), and always stops the process on exit, also when
the test body fails. On Linux the child also dies with its parent, so a killed test
run leaves no orphan server behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _ready(port: int, api_key: str | None) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        connection.request("GET", "/v1/models", headers=headers)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def local_openai_server(model: Path, *, api_key: str | None = None, n_ctx: int = 2048, timeout_s: float = 120):
    """Yield the base URL (ending in /v1) of a server that is ready to answer."""
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", "2", "--verbose", "false",
    ]
    if api_key:
        command += ["--api_key", api_key]
    # The log goes to a file, not a pipe: an unread pipe fills up and stalls the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while not _ready(port, api_key):
                if process.poll() is not None:
                    log.seek(0)
                    tail = log.read().decode("utf-8", "replace")[-2000:]
                    raise RuntimeError(f"the test server exited with {process.returncode}: {tail}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the test server did not answer within {timeout_s:g}s")
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
