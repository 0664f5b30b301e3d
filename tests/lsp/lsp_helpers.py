"""Shared by the language-server tests: a temp git repository, the server command and
its environment, and a wait for the server to be ready."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

SERVER = [sys.executable, "-m", "coder", "lsp"]

MODULE = '''"""Small statistics helpers."""


def mean(values):
    return sum(values) / len(values)


def total(values):
    result = 0
    for value in values:
        result += value
    return result
'''


def make_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "stats.py").write_text(MODULE)
    (root / "main.py").write_text("from stats import mean\n\nprint(mean([1, 2, 3]))\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t",
                    "commit", "-qm", "init"], check=True)
    return root


def server_env(model: Path, home: Path, **extra) -> dict:
    env = dict(os.environ)
    env.update({"CODER_MODEL": str(model), "CODER_HOME": str(home), "CODER_THREADS": "2", **extra})
    env.pop("VIRTUAL_ENV", None)
    return env


def send_raw(client, message: dict):
    """Send a JSON-RPC message as given (the client's own types would refuse bad
    params); the answer's future when it has an id."""
    from concurrent.futures import Future

    future = None
    if "id" in message:
        future = Future()
        client.protocol._request_futures[message["id"]] = future
    client.protocol._send_data(message)
    return asyncio.wrap_future(future) if future is not None else None


def plain(value):
    """A custom request's result as plain dicts (pygls hands back named tuples)."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


async def status(client) -> dict:
    return plain(await client.protocol.send_request_async("coder/status", {}))


async def wait_ready(client, timeout: float = 120.0, index: bool = True) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        now = await status(client)
        if now["ready"] and (now["indexReady"] or not index):
            return now
        if now.get("loadError"):
            raise AssertionError(f"model did not load: {now['loadError']}")
        if time.monotonic() > deadline:
            raise AssertionError(f"server not ready after {timeout}s: {now}")
        await asyncio.sleep(0.1)
