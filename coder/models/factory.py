"""Open the backend the settings ask for: local llama.cpp worker or a shared server."""

from __future__ import annotations

import os
from dataclasses import dataclass

from coder.errors import ConfigError
from coder.models.backend import Backend


@dataclass(frozen=True)
class OpenedBackend:
    backend: Backend
    description: str  # e.g. "llama.cpp worker: /path/model.gguf (from config)"
    notice: str | None  # one line to show the user once (demo model, ...)


def open_backend(settings, explicit_model: str | None = None) -> OpenedBackend:
    """The backend for these settings; the model is resolved only for the local one."""
    if settings.backend == "openai":
        from coder.models.openai_backend import OpenAICompatibleBackend

        if not settings.server_url:
            raise ConfigError(
                "backend = \"openai\" needs server_url (e.g. http://127.0.0.1:8080/v1); "
                "set it in .coder.toml or CODER_SERVER_URL"
            )
        backend = OpenAICompatibleBackend(
            settings.server_url, model=explicit_model or settings.model, api_key=settings.api_key
        )
        return OpenedBackend(backend, f"OpenAI-compatible server at {settings.server_url}", None)

    from coder.models.llama_backend import LlamaWorkerBackend
    from coder.models.resolve import resolve_model

    resolved = resolve_model(explicit_model, settings.model, env=os.environ)
    backend = LlamaWorkerBackend(
        resolved.path, n_ctx=settings.context_length, n_threads=settings.threads
    )
    return OpenedBackend(
        backend, f"llama.cpp worker: {resolved.path} ({resolved.source})", resolved.notice
    )


def open_chat_backend(settings, explicit_model: str | None = None, *, completion: Backend | None = None) -> OpenedBackend:
    """The backend for chat-shaped work (ask, review, loops).

    A server serves chat on the same endpoint. Locally the chat role's model is
    used (``chat_model``, else the best installed instruct model that fits), in a
    worker of its own even when it is the completion model's file: one worker runs
    one job at a time, and a loop's or a review's minutes of generation would hold
    every completion behind them (the weights are mapped, so the file's pages are
    shared by both processes)."""
    if settings.backend == "openai":
        if completion is not None:
            return OpenedBackend(completion, f"OpenAI-compatible server at {settings.server_url}", None)
        return open_backend(settings, explicit_model)

    from coder.models.llama_backend import LlamaWorkerBackend
    from coder.models.resolve import resolve_chat_model

    resolved = resolve_chat_model(explicit_model, settings.chat_model, env=os.environ)
    backend = LlamaWorkerBackend(resolved.path, n_ctx=settings.chat_context_length, n_threads=settings.threads)
    return OpenedBackend(backend, f"llama.cpp worker: {resolved.path} ({resolved.source})", resolved.notice)
