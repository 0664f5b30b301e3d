"""A backend that replays scripted replies, for tests that need a known outcome.

Only for tests of what surrounds the model (loops, review, ask, fronts): it answers
chat requests with the next scripted reply, or with what a function of the messages
returns, and records every request. The proof that a feature works with a real model
is a test on the real model; this one pins down the mechanics around it.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterator, Sequence

from coder.errors import BackendError
from coder.models.backend import (
    Backend,
    ChatRequest,
    Generation,
    GenerationRequest,
    GenerationStats,
    ModelInfo,
    SpecialTokens,
)

Reply = str | Callable[[ChatRequest], str]


class _ScriptedGeneration(Generation):
    def __init__(self, text: str, piece_chars: int, delay_s: float):
        self.stats = GenerationStats()
        self.tokens: list[tuple[str, float]] = []
        self._text = text
        self._piece_chars = piece_chars
        self._delay_s = delay_s
        self._cancelled = threading.Event()

    def __iter__(self) -> Iterator[str]:
        text = self._text
        for start in range(0, len(text), self._piece_chars):
            if self._cancelled.wait(self._delay_s) if self._delay_s else self._cancelled.is_set():
                self.stats.finish_reason = "cancelled"
                return
            piece = text[start:start + self._piece_chars]
            self.tokens.append((piece, 0.0))
            self.stats.generated_tokens += 1
            yield piece
        self.stats.finish_reason = "stop"

    def cancel(self) -> None:
        self._cancelled.set()


class ScriptedBackend(Backend):
    """Chat replies from a script: a list consumed in order, or one function.

    ``delay_s`` waits between pieces, so a test can watch streaming or cancel midway.
    Plain ``stream`` calls (completions) get ``completion_reply``."""

    supports_grammar = False

    def __init__(self, replies: Sequence[Reply] | Reply, *, completion_reply: str = "",
                 piece_chars: int = 8, delay_s: float = 0.0, name: str = "scripted"):
        self._replies = list(replies) if isinstance(replies, (list, tuple)) else None
        self._function = None if self._replies is not None else replies
        self.completion_reply = completion_reply
        self.piece_chars = piece_chars
        self.delay_s = delay_s
        self.name = name
        self.chat_requests: list[ChatRequest] = []
        self.generation_requests: list[GenerationRequest] = []
        self.closed = False

    def info(self) -> ModelInfo:
        return ModelInfo(name=self.name, architecture="scripted", context_length=32768,
                         chat_template="scripted", specials=SpecialTokens())

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        return [ord(c) for c in text]

    def detokenize(self, ids: Sequence[int]) -> str:
        return "".join(chr(i) for i in ids)

    def stream(self, request: GenerationRequest) -> Generation:
        self._check_open()
        self.generation_requests.append(request)
        return _ScriptedGeneration(self.completion_reply, self.piece_chars, self.delay_s)

    def chat(self, request: ChatRequest) -> Generation:
        self._check_open()
        self.chat_requests.append(request)
        if self._function is not None:
            reply = self._function(request)
        elif self._replies:
            reply = self._replies.pop(0)
            reply = reply(request) if callable(reply) else reply
        else:
            raise BackendError("the scripted backend has no replies left")
        return _ScriptedGeneration(reply, self.piece_chars, self.delay_s)

    def close(self) -> None:
        self.closed = True

    def _check_open(self) -> None:
        if self.closed:
            raise BackendError(f"the model {self.name} has been closed")
