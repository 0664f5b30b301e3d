"""The model backend interface every front and engine part talks to.

A backend turns a prompt (text or token ids) into a stream of text pieces. Two
implementations: ``LlamaWorkerBackend`` (llama.cpp in a worker subprocess) and
``OpenAICompatibleBackend`` (a shared llama-server / vLLM / Ollama over HTTP).

Rules every backend keeps:
- calls to one model are serialized (one generation at a time);
- a request with a ``channel`` cancels any older request on the same channel that
  is still queued or running, so the newest keystroke always wins;
- failures surface as ``BackendError`` / ``ModelError`` with a one-line message.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Iterator, Sequence


@dataclass(frozen=True)
class SpecialTokens:
    """Control tokens the model's vocabulary carries (ids), None where absent."""

    bos: int | None = None
    eos: int | None = None
    fim_prefix: int | None = None
    fim_suffix: int | None = None
    fim_middle: int | None = None
    fim_pad: int | None = None
    file_sep: int | None = None
    repo_name: int | None = None
    # Every id the vocabulary marks as a control/special token, as text -> id. Used
    # to pick a prompt format by name (StarCoder, DeepSeek, CodeLlama ...).
    by_text: dict[str, int] = field(default_factory=dict)

    @property
    def has_fim(self) -> bool:
        return None not in (self.fim_prefix, self.fim_suffix, self.fim_middle)


@dataclass(frozen=True)
class ModelInfo:
    """What the engine needs to know about the loaded model."""

    name: str  # file name or server model id
    architecture: str  # e.g. "qwen2", "gemma3"
    context_length: int  # the context the backend was opened with
    train_context_length: int | None = None
    add_bos: bool = False  # the tokenizer expects BOS at the start of a prompt
    chat_template: str | None = None
    specials: SpecialTokens = field(default_factory=SpecialTokens)
    path: str | None = None  # local file, when there is one


@dataclass(frozen=True)
class GenerationRequest:
    """One generation. ``prompt`` as token ids is used verbatim (no BOS added)."""

    prompt: str | Sequence[int]
    max_tokens: int = 64
    stop: tuple[str, ...] = ()
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    seed: int | None = None
    # GBNF grammar constraining the output (llama.cpp grammar syntax); None = free.
    grammar: str | None = None
    # (token id, logit bias) pairs added to the logits of the first generated token
    # only: a prior over how the output starts. Backends without a per-step hook
    # (an OpenAI-compatible server applies logit_bias to every token) ignore it.
    first_token_bias: tuple[tuple[int, float], ...] = ()
    # Requests on the same channel supersede each other (e.g. one per document).
    channel: str | None = None
    # Report each generated token's text and log-probability (Generation.tokens).
    logprobs: bool = False
    # Run only while nothing else waits: any other request cancels it (cache warming).
    background: bool = False


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """One chat turn: the messages so far in, the assistant's reply out (streamed).

    The prompt is laid out with the model's own chat template (from the GGUF, ChatML
    for Qwen) and generation stops at its end-of-turn token; an OpenAI-compatible
    server gets the messages as they are (``/v1/chat/completions``)."""

    messages: tuple[ChatMessage, ...]
    max_tokens: int = 1024
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    grammar: str | None = None  # GBNF constraining the reply (e.g. a JSON shape)
    logprobs: bool = False
    channel: str | None = None


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens served from the KV cache
    evaluated_tokens: int = 0  # prompt tokens that had to be evaluated
    generated_tokens: int = 0
    queue_s: float = 0.0  # waiting for an earlier request to finish
    time_to_first_token_s: float | None = None
    total_s: float = 0.0
    finish_reason: str = ""  # "stop" | "length" | "cancelled"

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Completion:
    text: str
    stats: GenerationStats


class Generation(abc.ABC):
    """A running generation: iterate for text pieces; ``stats`` is final after it ends.

    Iteration ends normally on a stop sequence, EOS or max_tokens. A cancelled
    generation ends its iteration early with ``stats.finish_reason == "cancelled"``;
    it does not raise, because being superseded is normal while typing.
    """

    stats: GenerationStats
    # (token text, log-probability) per generated token, when the request asked for
    # logprobs and the backend can tell; complete once iteration has ended.
    tokens: list[tuple[str, float]]

    @abc.abstractmethod
    def __iter__(self) -> Iterator[str]: ...

    @abc.abstractmethod
    def cancel(self) -> None:
        """Stop as soon as possible; safe to call from any thread, and twice."""

    def text(self) -> str:
        return "".join(self)


class Backend(abc.ABC):
    """A loaded model, ready to tokenize and generate."""

    # Whether GenerationRequest.grammar is applied: True, False, or None while not
    # yet known (a server is asked on first use).
    supports_grammar: bool | None = True
    # Whether GenerationRequest.background yields to other requests (cache warming is
    # only worth it where it can never delay the user).
    supports_background: bool = False

    @abc.abstractmethod
    def info(self) -> ModelInfo: ...

    @abc.abstractmethod
    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        """Token ids for ``text``; never adds BOS. ``special=False`` keeps control
        tokens written in the text as plain text (file text must use that)."""

    @abc.abstractmethod
    def detokenize(self, ids: Sequence[int]) -> str: ...

    @abc.abstractmethod
    def stream(self, request: GenerationRequest) -> Generation:
        """Start a generation; it runs when earlier ones have finished."""

    def chat(self, request: ChatRequest) -> Generation:
        """Start a chat reply; ``ModelError`` when the model has no chat template."""
        from coder.models.chat_template import chat_prompt_ids

        ids = chat_prompt_ids(self, request.messages)
        return self.stream(
            GenerationRequest(
                ids, max_tokens=request.max_tokens, stop=request.stop,
                temperature=request.temperature, top_p=request.top_p, seed=request.seed,
                grammar=request.grammar, logprobs=request.logprobs, channel=request.channel,
            )
        )

    def complete(self, request: GenerationRequest) -> Completion:
        generation = self.stream(request)
        text = generation.text()
        return Completion(text=text, stats=generation.stats)

    def close(self) -> None:
        """Release the model; further calls raise BackendError."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
