"""The larger model a loop hands its task to when the small one fails (off by default).

Configured as ``[loops] escalate_model`` (a local GGUF by name or path, e.g. the 1.5B)
or ``escalate_server_url`` (an OpenAI-compatible endpoint). It is opened only when
the loop actually escalates: a run the small model solves never loads it.
"""

from __future__ import annotations

import threading

from coder.models.backend import Backend, ChatRequest, Generation, GenerationRequest


class LazyBackend(Backend):
    """A backend opened on its first use; ``name`` describes it before that."""

    def __init__(self, opener, name: str):
        self._opener = opener
        self.name = name
        self._backend: Backend | None = None
        self._lock = threading.Lock()

    def _open(self) -> Backend:
        with self._lock:
            if self._backend is None:
                self._backend = self._opener()
            return self._backend

    @property
    def opened(self) -> bool:
        return self._backend is not None

    def info(self):
        return self._open().info()

    def tokenize(self, text, *, special=False):
        return self._open().tokenize(text, special=special)

    def detokenize(self, ids):
        return self._open().detokenize(ids)

    def stream(self, request: GenerationRequest) -> Generation:
        return self._open().stream(request)

    def chat(self, request: ChatRequest) -> Generation:
        return self._open().chat(request)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


def escalation_backend(settings) -> LazyBackend | None:
    loops = settings.loops
    if loops.escalate_server_url:
        def open_server():
            from coder.models.openai_backend import OpenAICompatibleBackend

            return OpenAICompatibleBackend(loops.escalate_server_url, model=loops.escalate_model,
                                           api_key=settings.api_key)

        return LazyBackend(open_server, loops.escalate_model or loops.escalate_server_url)
    if loops.escalate_model:
        def open_local():
            from coder.models.factory import open_chat_backend

            return open_chat_backend(settings, loops.escalate_model).backend

        return LazyBackend(open_local, loops.escalate_model)
    return None
