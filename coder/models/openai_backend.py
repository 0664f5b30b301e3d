"""A shared model behind an OpenAI-compatible HTTP server (llama-server, vLLM, Ollama).

Generation uses ``/v1/completions`` with server-sent events. Tokenization is not part
of the OpenAI API; llama.cpp's servers offer it (``/tokenize`` on llama-server,
``/extras/tokenize`` on llama-cpp-python's), and the first that answers is remembered.

Servers differ in what they accept, and this backend degrades rather than fails:
- a server that takes only text prompts gets token-id prompts detokenized to text;
- a server whose tokenizer always parses control tokens is given text split at
  every ``<`` when ``special=False`` is asked, so no control token can form from file
  text (``<|fim_prefix|>`` in a file stays plain text);
- a server that rejects ``grammar`` is remembered (``supports_grammar = False``) and
  asked again without it; grounded completions then only check names afterwards.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from typing import Iterator, Sequence
from urllib.parse import urlsplit

from coder.errors import BackendError
from coder.models.backend import (
    Backend,
    Generation,
    GenerationRequest,
    GenerationStats,
    ModelInfo,
)


class _HTTPGeneration(Generation):
    def __init__(self, backend: "OpenAICompatibleBackend", request: GenerationRequest):
        self._backend = backend
        self._request = request
        self._cancelled = threading.Event()
        self._connection: http.client.HTTPConnection | None = None
        self.stats = GenerationStats()
        self.submitted = time.perf_counter()

    def cancel(self) -> None:
        self._cancelled.set()
        connection = self._connection
        if connection is not None and connection.sock is not None:
            try:  # wakes a read blocked on the socket
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def __iter__(self) -> Iterator[str]:
        backend = self._backend
        with backend._serialize(self):
            self.stats.queue_s = time.perf_counter() - self.submitted
            if self.cancelled:
                self.stats.finish_reason = "cancelled"
                return
            yield from self._run()

    def _run(self) -> Iterator[str]:
        backend, request = self._backend, self._request
        body = backend._completion_body(request)
        started = time.perf_counter()
        try:
            response, self._connection = backend._open_stream("/completions", body)
            if response.status >= 400 and not isinstance(body["prompt"], str):
                response.read()  # this server takes text prompts only
                backend.supports_token_prompts = False
                body = backend._completion_body(request)
                response, self._connection = backend._open_stream("/completions", body)
            if response.status >= 400 and "grammar" in body:
                response.read()
                backend.supports_grammar = False
                body.pop("grammar")
                response, self._connection = backend._open_stream("/completions", body)
            backend._check(response, "/completions")
            if request.grammar:
                backend.supports_grammar = backend.supports_grammar is not False
            for event in _server_sent_events(response):
                if event == "[DONE]":
                    break
                data = json.loads(event)
                choice = (data.get("choices") or [{}])[0]
                piece = choice.get("text") or ""
                if piece:
                    if self.stats.time_to_first_token_s is None:
                        self.stats.time_to_first_token_s = time.perf_counter() - started
                    self.stats.generated_tokens += 1
                    yield piece
                if choice.get("finish_reason"):
                    self.stats.finish_reason = choice["finish_reason"]
                usage = data.get("usage") or {}
                if usage:
                    self.stats.prompt_tokens = usage.get("prompt_tokens", 0)
                    self.stats.generated_tokens = usage.get("completion_tokens", self.stats.generated_tokens)
                if self.cancelled:
                    break
        except (OSError, http.client.HTTPException, ValueError) as error:
            if not self.cancelled:
                raise backend._unreachable(error) from None
        finally:
            if self._connection is not None:
                self._connection.close()
            self.stats.total_s = time.perf_counter() - self.submitted
        if self.cancelled:
            self.stats.finish_reason = "cancelled"
        elif self.stats.finish_reason not in ("stop", "length"):
            self.stats.finish_reason = self.stats.finish_reason or "stop"
        self.stats.evaluated_tokens = self.stats.prompt_tokens - self.stats.reused_tokens


def _server_sent_events(response) -> Iterator[str]:
    for raw in response:
        line = raw.decode("utf-8", "replace").strip()
        if line.startswith("data:"):
            yield line[5:].strip()


class OpenAICompatibleBackend(Backend):
    def __init__(self, base_url: str, *, model: str | None = None, api_key: str | None = None, timeout_s: float = 60):
        parts = urlsplit(base_url if "://" in base_url else f"http://{base_url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackendError(f"server_url {base_url!r} is not an http(s) URL like http://127.0.0.1:8080/v1")
        self.base_url = base_url.rstrip("/")
        self._parts = parts
        root = parts.path.rstrip("/")
        self._root = root[: -len("/v1")] if root.endswith("/v1") else root
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.supports_grammar: bool | None = None
        self.supports_token_prompts: bool | None = None
        self._tokenize_style: str | None = None  # "llama-server" | "llama-cpp-python"
        self._bos_prefix: list[int] | None = None
        self._lock = threading.Lock()
        self._running: _HTTPGeneration | None = None
        self._channels: dict[str, _HTTPGeneration] = {}
        self.model = model or self._first_model()

    # -- HTTP ------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        return cls(self._parts.hostname, self._parts.port, timeout=self.timeout_s)

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _unreachable(self, error: Exception) -> BackendError:
        return BackendError(
            f"the model server at {self.base_url} did not answer ({type(error).__name__}: {error}); "
            "is it running? check server_url in your config"
        )

    def _check(self, response, path: str) -> None:
        if response.status == 401 or response.status == 403:
            response.read()
            raise BackendError(
                f"the model server at {self.base_url} refused the request (HTTP {response.status}); "
                "set the right API key in CODER_API_KEY"
            )
        if response.status >= 400:
            detail = response.read().decode("utf-8", "replace").strip().replace("\n", " ")[:200]
            raise BackendError(f"the model server at {self.base_url} answered HTTP {response.status} on {path}: {detail}")

    def _request(self, method: str, path: str, body: dict | None = None, *, api: bool = True) -> tuple[int, object]:
        connection = self._connection()
        url = f"{self._root}{'/v1' if api else ''}{path}"
        try:
            connection.request(method, url, body=json.dumps(body) if body is not None else None, headers=self._headers())
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise self._unreachable(error) from None
        finally:
            connection.close()
        if response.status in (401, 403):
            raise BackendError(
                f"the model server at {self.base_url} refused the request (HTTP {response.status}); "
                "set the right API key in CODER_API_KEY"
            )
        if response.status >= 400:
            return response.status, raw.decode("utf-8", "replace")
        try:
            return response.status, json.loads(raw)
        except ValueError:
            raise BackendError(f"the model server at {self.base_url} sent something that is not JSON on {url}") from None

    def _open_stream(self, path: str, body: dict):
        connection = self._connection()
        connection.request("POST", f"{self._root}/v1{path}", body=json.dumps(body), headers=self._headers())
        return connection.getresponse(), connection

    def _first_model(self) -> str:
        status, data = self._request("GET", "/models")
        if status >= 400 or not isinstance(data, dict) or not data.get("data"):
            raise BackendError(
                f"{self.base_url}/models did not list a model (HTTP {status}); "
                "is server_url the server's OpenAI API root (usually ending in /v1)?"
            )
        return data["data"][0]["id"]

    # -- scheduling ------------------------------------------------------------

    def _serialize(self, generation: _HTTPGeneration):
        backend = self

        class _Turn:
            def __enter__(self):
                backend._lock.acquire()
                backend._running = generation

            def __exit__(self, *exc):
                backend._running = None
                backend._lock.release()

        return _Turn()

    def _completion_body(self, request: GenerationRequest) -> dict:
        prompt = request.prompt
        if not isinstance(prompt, str):
            prompt = list(prompt)
            if self.supports_token_prompts is False:
                prompt = self.detokenize(prompt)
        body = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stream": True,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.seed is not None:
            body["seed"] = request.seed
        if request.grammar and self.supports_grammar is not False:
            body["grammar"] = request.grammar
        return body

    # -- Backend ---------------------------------------------------------------

    def info(self) -> ModelInfo:
        context = 4096
        status, props = self._request("GET", "/props", api=False)
        if status < 400 and isinstance(props, dict):
            settings = props.get("default_generation_settings") or {}
            context = int(settings.get("n_ctx") or props.get("n_ctx") or context)
        return ModelInfo(name=self.model, architecture="remote", context_length=context)

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        if self._tokenize_style in (None, "llama-server"):
            status, data = self._request(
                "POST", "/tokenize", {"content": text, "add_special": False, "parse_special": special}, api=False
            )
            if status < 400 and isinstance(data, dict) and "tokens" in data:
                self._tokenize_style = "llama-server"
                return list(data["tokens"])
        if self._tokenize_style in (None, "llama-cpp-python"):
            # This server always parses control tokens and adds BOS: strip the BOS and,
            # for file text, split at "<" so no control token can form.
            if self._bos_prefix is None:
                self._bos_prefix = self._extras_tokenize("")
            pieces = [text] if special or "<" not in text else _split_before_angles(text)
            ids: list[int] = []
            for piece in pieces:
                tokens = self._extras_tokenize(piece)
                ids += tokens[len(self._bos_prefix):] if tokens[: len(self._bos_prefix)] == self._bos_prefix else tokens
            return ids
        raise BackendError(f"the model server at {self.base_url} has no tokenize endpoint; use llama-server or vLLM")

    def _extras_tokenize(self, text: str) -> list[int]:
        status, data = self._request("POST", "/extras/tokenize", {"input": text, "model": self.model}, api=False)
        if status >= 400 or not isinstance(data, dict) or "tokens" not in data:
            raise BackendError(
                f"the model server at {self.base_url} has no tokenize endpoint; use llama-server or vLLM"
            )
        self._tokenize_style = "llama-cpp-python"
        return list(data["tokens"])

    def detokenize(self, ids: Sequence[int]) -> str:
        if self._tokenize_style is None:
            self.tokenize("a")  # finds out which endpoints the server has
        if self._tokenize_style == "llama-server":
            status, data = self._request("POST", "/detokenize", {"tokens": list(ids)}, api=False)
            key = "content"
        else:
            status, data = self._request("POST", "/extras/detokenize", {"tokens": list(ids), "model": self.model}, api=False)
            key = "text"
        if status >= 400 or not isinstance(data, dict) or key not in data:
            raise BackendError(f"the model server at {self.base_url} could not detokenize (HTTP {status})")
        return data[key]

    def stream(self, request: GenerationRequest) -> Generation:
        generation = _HTTPGeneration(self, request)
        if request.channel is not None:
            older = self._channels.get(request.channel)
            if older is not None:
                older.cancel()
            self._channels[request.channel] = generation
        return generation


def _split_before_angles(text: str) -> list[str]:
    pieces, start = [], 0
    for index, char in enumerate(text):
        if char == "<" and index > start:
            pieces.append(text[start:index])
            start = index
    pieces.append(text[start:])
    # "<" alone, then the rest: a control token needs "<" joined to what follows.
    split = []
    for piece in pieces:
        if piece.startswith("<") and len(piece) > 1:
            split += ["<", piece[1:]]
        else:
            split.append(piece)
    return split
