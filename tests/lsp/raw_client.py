"""A minimal LSP client over a real server process's stdio, that can send anything:
malformed frames, bad JSON, invalid params. Responses are collected by id."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
import time


class RawClient:
    def __init__(self, command: list[str], env: dict, cwd=None):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=env, cwd=cwd)
        self.responses: dict = {}
        self.notifications: list[dict] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self.stderr_tail: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- sending -------------------------------------------------------------------

    def send_bytes(self, data: bytes) -> None:
        with self._write_lock:
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def send_body(self, body: bytes) -> None:
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, message: dict) -> None:
        self.send_body(json.dumps(message).encode("utf-8"))

    def request(self, method: str, params=None, msg_id=None):
        msg_id = next(self._ids) if msg_id is None else msg_id
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return msg_id

    def notify(self, method: str, params=None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def call(self, method: str, params=None, timeout: float = 60.0) -> dict:
        return self.wait(self.request(method, params), timeout)

    # -- receiving ---------------------------------------------------------------------

    def wait(self, msg_id, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"no response to {msg_id!r} (server exit code {self.process.poll()}); "
                                         f"stderr: {''.join(self.stderr_tail[-10:])}")
                self._cond.wait(min(left, 0.5))
            return self.responses[msg_id]

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            message = json.loads(stream.read(length))
            with self._cond:
                if "id" in message and "method" not in message:
                    self.responses[message["id"]] = message
                elif "id" in message:  # a request from the server: answer it plainly
                    threading.Thread(target=self.send, args=({"jsonrpc": "2.0", "id": message["id"], "result": None},),
                                     daemon=True).start()
                    self.notifications.append(message)
                else:
                    self.notifications.append(message)
                self._cond.notify_all()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr_tail.append(line.decode("utf-8", "replace"))
            del self.stderr_tail[:-50]

    # -- session -------------------------------------------------------------------------

    def initialize(self, root, options=None, process_id=None, encodings=None) -> dict:
        capabilities = {"textDocument": {"inlineCompletion": {}}, "window": {"workDoneProgress": False}}
        if encodings:
            capabilities["general"] = {"positionEncodings": encodings}
        return self.call("initialize", {
            "processId": process_id, "rootUri": root.as_uri(),
            "capabilities": capabilities,
            "initializationOptions": options or {},
        })

    def status(self) -> dict:
        return self.call("coder/status", {})["result"]

    def wait_ready(self, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if status["ready"] and status["indexReady"]:
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"not ready: {status}")
            time.sleep(0.1)

    def close(self) -> int:
        if self.process.poll() is None:
            try:
                self.call("shutdown", None, timeout=30)
                self.notify("exit")
                return self.process.wait(30)
            except Exception:  # noqa: BLE001
                self.process.kill()
        return self.process.wait(30)
