"""Framing between the parent and the llama.cpp worker: one JSON object per line.

JSON lines are cheap at our message rate (a few hundred small messages a second at
most) and readable when debugging a worker by hand. The worker writes protocol
messages to a private duplicate of its stdout; fd 1 itself is pointed at stderr so a
stray print from native code can never corrupt the stream.
"""

from __future__ import annotations

import json
from typing import IO, Any


def send(stream: IO[bytes], message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")
    stream.flush()


def receive(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next message, or None at end of stream (the other side is gone)."""
    line = stream.readline()
    if not line:
        return None
    return json.loads(line)
