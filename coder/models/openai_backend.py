"""A shared model behind an OpenAI-compatible HTTP server (llama-server, vLLM, Ollama).

Generation uses ``/v1/completions`` with server-sent events. Requests are queued and
sent one at a time by a scheduler thread (like the local backend), so a generation
that is superseded releases the server as soon as its stream is closed, whether or
not anyone is still iterating it.

Tokenization is not part of the OpenAI API. llama-server and vLLM offer ``/tokenize``,
llama-cpp-python's server ``/extras/tokenize``; the first that answers is remembered.
Ollama has none, so it can generate but not tokenize. Servers differ, and this
backend degrades rather than fails:
- a server that takes only text prompts gets token-id prompts as text (control ids
  written as their text; such a server then also reads control text in files);
- a server whose tokenizer always parses control tokens gets file text cut before
  and after every ``<`` (and the first character of any discovered control text
  without one) wherever a control token could otherwise form from file text;
- a server that rejects ``grammar`` is remembered (``supports_grammar = False``) and
  asked again without it; grounded completions then only check names afterwards.
  A server that silently ignores the field (vLLM, Ollama) cannot be told apart.
"""

from __future__ import annotations

import collections
import http.client
import json
import queue
import socket
import threading
import time
from typing import Iterator, Sequence
from urllib.parse import urlsplit

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

# Control texts probed on the server's tokenizer (the OpenAI API cannot list them).
# FIM families in the order prompt formats prefer them: (prefix, suffix, middle).
FIM_FAMILIES = (
    ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
    ("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
    ("▁<PRE>", "▁<SUF>", "▁<MID>"),
    ("[PREFIX]", "[SUFFIX]", "[MIDDLE]"),
)
FIM_PAD_TEXTS = ("<|fim_pad|>", "<fim_pad>")
FILE_SEP_TEXTS = ("<|file_sep|>", "<file_sep>")
REPO_NAME_TEXTS = ("<|repo_name|>", "<reponame>")
COMMON_CONTROL_TEXTS = (
    "<bos>", "<eos>", "<s>", "</s>", "<|endoftext|>", "<|begin_of_text|>", "<|end_of_text|>",
    "<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>", "<|eot_id|>",
)
CANDIDATE_TEXTS = (
    tuple(text for family in FIM_FAMILIES for text in family)
    + FIM_PAD_TEXTS + FILE_SEP_TEXTS + REPO_NAME_TEXTS + COMMON_CONTROL_TEXTS
)


class _Cancelled(Exception):
    """Raised inside the scheduler when a job turns out to be cancelled."""


class _HTTPGeneration(Generation):
    def __init__(self, backend: "OpenAICompatibleBackend", request: GenerationRequest,
                 chat: ChatRequest | None = None):
        self._backend = backend
        self.request = request
        self.chat = chat  # a chat turn goes to /chat/completions instead
        self.stats = GenerationStats()
        self.tokens: list[tuple[str, float]] = []
        self.submitted = time.perf_counter()
        self.events: queue.Queue = queue.Queue()  # ("piece", str) then ("done"|"error", ...)
        self._cancelled = threading.Event()
        self.connection: http.client.HTTPConnection | None = None
        self._ended = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._backend._withdraw(self)

    def close_stream(self) -> None:
        """Close the HTTP stream from any thread; a blocked read wakes up."""
        connection = self.connection
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __iter__(self) -> Iterator[str]:
        while not self._ended:
            kind, value = self.events.get()
            if kind == "piece":
                if not self.cancelled:
                    yield value
                continue
            self._ended = True
            if kind == "error":
                raise value


class OpenAICompatibleBackend(Backend):
    def __init__(self, base_url: str, *, model: str | None = None, api_key: str | None = None, timeout_s: float = 60):
        parts = urlsplit(base_url if "://" in base_url else f"http://{base_url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackendError(f"server_url {base_url!r} is not an http(s) URL like http://127.0.0.1:8080/v1")
        try:
            parts.port
        except ValueError:
            raise BackendError(f"server_url {base_url!r} has a bad port; use a URL like http://127.0.0.1:8080/v1") from None
        self.base_url = base_url.rstrip("/")
        self._parts = parts
        root = parts.path.rstrip("/")
        self._root = root[: -len("/v1")] if root.endswith("/v1") else root
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.supports_grammar: bool | None = None
        self.supports_token_prompts: bool | None = None
        # None until probed; False when the tokenizer reads control text whatever we ask.
        self.tokenize_honours_plain: bool | None = None
        self._tokenize_style: str | None = None  # "llama-server" | "llama-cpp-python" | "none"
        self._bos_prefix: list[int] | None = None  # what the server adds to every tokenization
        self._split_chars: str | None = None  # where file text is cut when it must be
        self._plain_tokenize_error: BackendError | None = None
        self._info: ModelInfo | None = None
        self._props_cache: dict | None = None
        self._model_entry: dict = {}  # this model's /v1/models entry, when it was listed
        self._call_lock = threading.Lock()
        self._call_connection: http.client.HTTPConnection | None = None
        self._cond = threading.Condition()
        self._queue: collections.deque[_HTTPGeneration] = collections.deque()
        self._running: _HTTPGeneration | None = None
        self._channels: dict[str, _HTTPGeneration] = {}
        self._scheduler: threading.Thread | None = None
        self._closed = False
        self.model = model or self._first_model()

    # -- HTTP ------------------------------------------------------------------

    def _new_connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        return cls(self._parts.hostname, self._parts.port, timeout=self.timeout_s)

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _url(self, path: str, api: bool) -> str:
        return f"{self._root}{'/v1' if api else ''}{path}"

    def _unreachable(self, error: Exception) -> BackendError:
        if isinstance(error, ConnectionRefusedError):
            reason = "refused the connection"
        elif isinstance(error, (TimeoutError, socket.timeout)):
            reason = f"did not answer within {self.timeout_s:g}s"
        else:
            reason = f"did not answer ({type(error).__name__}: {str(error) or 'no detail'})"
        return BackendError(
            f"the model server at {self.base_url} {reason}; is it running? set server_url to its address"
        )

    def _refused(self, status: int) -> BackendError:
        if self.api_key:
            return BackendError(
                f"the model server at {self.base_url} rejected the API key (HTTP {status}); check CODER_API_KEY or api_key"
            )
        return BackendError(
            f"the model server at {self.base_url} needs an API key (HTTP {status}); set CODER_API_KEY or api_key"
        )

    def _http_error(self, status: int, raw: bytes, path: str) -> BackendError:
        if status in (401, 403):
            return self._refused(status)
        detail = raw.decode("utf-8", "replace")
        try:
            error = json.loads(detail).get("error")
            detail = error.get("message", detail) if isinstance(error, dict) else (error or detail)
        except (ValueError, AttributeError):
            pass
        detail = " ".join(str(detail).split())[:200]
        return BackendError(f"the model server at {self.base_url} answered HTTP {status} on {path}: {detail or 'no detail'}")

    def _call(self, method: str, path: str, body: dict | None = None, *, api: bool = True) -> tuple[int, bytes]:
        """One request on a kept-alive connection; a stale connection is retried once."""
        url = self._url(path, api)
        payload = json.dumps(body) if body is not None else None
        with self._call_lock:
            for attempt in (0, 1):
                reused = self._call_connection is not None
                connection = self._call_connection or self._new_connection()
                self._call_connection = None
                try:
                    connection.request(method, url, body=payload, headers=self._headers())
                    response = connection.getresponse()
                    raw = response.read()
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                    connection.close()
                    if reused and attempt == 0:
                        continue  # the server closed an idle keep-alive connection
                    raise self._unreachable(error) from None
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    raise self._unreachable(error) from None
                if response.will_close:
                    connection.close()
                else:
                    self._call_connection = connection
                return response.status, raw
        raise AssertionError("unreachable")

    def _call_json(self, method: str, path: str, body: dict | None = None, *, api: bool = True) -> tuple[int, object]:
        """(status, parsed JSON) for 2xx; (status, None) for 4xx/5xx other than 401/403."""
        status, raw = self._call(method, path, body, api=api)
        if status in (401, 403):
            raise self._refused(status)
        if status >= 400:
            return status, None
        try:
            return status, json.loads(raw)
        except ValueError:
            raise BackendError(
                f"the model server at {self.base_url} sent something that is not JSON on {self._url(path, api)}; "
                "is server_url an OpenAI-compatible server?"
            ) from None

    def _first_model(self) -> str:
        status, data = self._call_json("GET", "/models")
        models = data.get("data") if isinstance(data, dict) else None
        if not models or not isinstance(models[0], dict) or "id" not in models[0]:
            raise BackendError(
                f"{self.base_url}/models did not list a model (HTTP {status}); "
                "is server_url the server's OpenAI API root (usually ending in /v1)?"
            )
        self._model_entry = models[0]
        return models[0]["id"]

    # -- scheduling ------------------------------------------------------------

    def stream(self, request: GenerationRequest) -> Generation:
        return self._submit(_HTTPGeneration(self, request))

    def chat(self, request: ChatRequest) -> Generation:
        """A chat turn through the server's own chat template (/v1/chat/completions)."""
        as_generation = GenerationRequest(
            "", max_tokens=request.max_tokens, stop=request.stop, temperature=request.temperature,
            top_p=request.top_p, seed=request.seed, grammar=request.grammar,
            logprobs=request.logprobs, channel=request.channel,
        )
        return self._submit(_HTTPGeneration(self, as_generation, chat=request))

    def _submit(self, generation: _HTTPGeneration) -> Generation:
        request = generation.request
        with self._cond:
            if self._closed:
                raise BackendError(f"the connection to {self.base_url} is closed; open the backend again")
            if request.channel is not None:
                older = self._channels.get(request.channel)
                self._channels[request.channel] = generation
            else:
                older = None
            self._queue.append(generation)
            if self._scheduler is None:
                self._scheduler = threading.Thread(target=self._run_scheduler, name="coder-http-scheduler", daemon=True)
                self._scheduler.start()
            self._cond.notify()
        if older is not None:
            older.cancel()
        return generation

    def _withdraw(self, generation: _HTTPGeneration) -> None:
        """Cancel: drop a queued generation at once, or close a running one's stream."""
        with self._cond:
            queued = generation in self._queue
            if queued:
                self._queue.remove(generation)
                if self._channels.get(generation.request.channel) is generation:
                    del self._channels[generation.request.channel]
        if queued:
            generation.stats.queue_s = time.perf_counter() - generation.submitted
            self._finish(generation)
        else:
            generation.close_stream()

    def _run_scheduler(self) -> None:
        while True:
            with self._cond:
                if not self._queue and not self._closed:
                    self._cond.wait(timeout=30)
                if not self._queue:
                    # Idle (or closed): end, so an unclosed backend leaves no thread
                    # behind; stream() starts a new one when needed.
                    self._scheduler = None
                    return
                generation = self._queue.popleft()
                self._running = generation
            try:
                self._run(generation)
            finally:
                with self._cond:
                    self._running = None
                    if self._channels.get(generation.request.channel) is generation:
                        del self._channels[generation.request.channel]

    def _finish(self, generation: _HTTPGeneration, error: BackendError | None = None) -> None:
        stats = generation.stats
        stats.total_s = time.perf_counter() - generation.submitted
        if generation.cancelled:
            stats.finish_reason = "cancelled"
        elif stats.finish_reason not in ("stop", "length"):
            stats.finish_reason = "stop" if stats.finish_reason in ("", "eos") else stats.finish_reason
        if stats.evaluated_tokens == 0 and stats.prompt_tokens:
            stats.evaluated_tokens = max(stats.prompt_tokens - stats.reused_tokens, 0)
        if error is not None and not generation.cancelled:
            generation.events.put(("error", error))
        else:
            generation.events.put(("done", None))

    def _run(self, generation: _HTTPGeneration) -> None:
        started = time.perf_counter()
        generation.stats.queue_s = started - generation.submitted
        error = None
        try:
            if not generation.cancelled:
                self._generate(generation, started)
        except _Cancelled:
            pass
        except BackendError as failure:
            error = failure
        except (OSError, http.client.HTTPException) as failure:
            error = self._unreachable(failure)
        finally:
            if generation.connection is not None:
                generation.connection.close()
        self._finish(generation, error)

    # -- generation --------------------------------------------------------------

    def _completion_body(self, request: GenerationRequest) -> dict:
        prompt = request.prompt if isinstance(request.prompt, str) else [int(i) for i in request.prompt]
        if not isinstance(prompt, str) and self.supports_token_prompts is False:
            prompt = self._ids_as_text(prompt)
        return {"model": self.model, "prompt": prompt, **self._sampling(request)}

    def _sampling(self, request: GenerationRequest) -> dict:
        """The body fields that /completions and /chat/completions share."""
        body = {
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.seed is not None:
            body["seed"] = request.seed
        if request.grammar and self.supports_grammar is not False:
            body["grammar"] = request.grammar
        return body

    def _open(self, generation: _HTTPGeneration, body: dict, path: str = "/completions"):
        if generation.connection is not None:
            generation.connection.close()
        connection = generation.connection = self._new_connection()
        connection.connect()
        if generation.cancelled:  # cancel() may have run before there was a socket to close
            raise _Cancelled()
        connection.request("POST", self._url(path, True), body=json.dumps(body), headers=self._headers())
        return connection.getresponse()

    def _chat_body(self, generation: _HTTPGeneration) -> dict:
        messages = [{"role": m.role, "content": m.content} for m in generation.chat.messages]
        body = {"model": self.model, "messages": messages, **self._sampling(generation.request)}
        if generation.chat.logprobs:
            body["logprobs"] = True  # chat's boolean form (on /completions it is a count)
        return body

    def _generate_chat(self, generation: _HTTPGeneration, started: float) -> None:
        stats = generation.stats
        body = self._chat_body(generation)
        path = "/chat/completions"
        response = self._open(generation, body, path)
        if response.status >= 400 and "grammar" in body and self.supports_grammar is None:
            response.read()  # perhaps this server has no grammar support
            body.pop("grammar")
            response = self._open(generation, body, path)
            if response.status < 400:
                self.supports_grammar = False
        if response.status >= 400:
            raise self._http_error(response.status, response.read(), self._url(path, True))
        for data in self._events(generation, response, path):
            choices = data.get("choices") or []
            choice = choices[0] if choices and isinstance(choices[0], dict) else {}
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            piece = delta.get("content") or ""
            if piece:
                if stats.time_to_first_token_s is None:
                    stats.time_to_first_token_s = time.perf_counter() - started
                stats.generated_tokens += 1
                generation.events.put(("piece", piece))
            logprobs = choice.get("logprobs")
            if isinstance(logprobs, dict):
                for entry in logprobs.get("content") or ():
                    if isinstance(entry, dict) and "logprob" in entry:
                        generation.tokens.append((str(entry.get("token", "")), float(entry["logprob"])))
            if choice.get("finish_reason"):
                stats.finish_reason = choice["finish_reason"]
            _read_usage(stats, data)

    def _events(self, generation: _HTTPGeneration, response, path: str):
        """The JSON events of a streamed response, until [DONE] or a cancel."""
        for event in _server_sent_events(response):
            if generation.cancelled or event == "[DONE]":
                return
            try:
                data = json.loads(event)
            except ValueError:
                raise BackendError(
                    f"the model server at {self.base_url} sent a malformed event on {path}; "
                    "is server_url an OpenAI-compatible server?"
                ) from None
            if not isinstance(data, dict):
                continue
            if data.get("error"):
                raise self._http_error(500, json.dumps(data).encode(), self._url(path, True))
            yield data

    def _generate(self, generation: _HTTPGeneration, started: float) -> None:
        if generation.chat is not None:
            self._generate_chat(generation, started)
            return
        request, stats = generation.request, generation.stats
        body = self._completion_body(request)
        response = self._open(generation, body)
        if response.status >= 400 and response.status not in (401, 403):
            if not isinstance(body["prompt"], str) and self.supports_token_prompts is None:
                response.read()  # perhaps this server takes text prompts only
                body["prompt"] = self._ids_as_text(body["prompt"])
                response = self._open(generation, body)
                if response.status < 400:
                    self.supports_token_prompts = False
            if response.status >= 400 and "grammar" in body and self.supports_grammar is None:
                response.read()  # perhaps this server has no grammar support
                body.pop("grammar")
                response = self._open(generation, body)
                if response.status < 400:
                    self.supports_grammar = False
        if response.status >= 400:
            raise self._http_error(response.status, response.read(), self._url("/completions", True))
        if not isinstance(body["prompt"], str):
            self.supports_token_prompts = True
        if not isinstance(request.prompt, str):
            stats.prompt_tokens = len(request.prompt)  # servers that report usage overwrite it
        if "grammar" in body:
            self.supports_grammar = True
        for data in self._events(generation, response, "/completions"):
            choices = data.get("choices") or []
            choice = choices[0] if choices and isinstance(choices[0], dict) else {}
            piece = choice.get("text") or ""
            if piece:
                if stats.time_to_first_token_s is None:
                    stats.time_to_first_token_s = time.perf_counter() - started
                stats.generated_tokens += 1
                generation.events.put(("piece", piece))
            if choice.get("finish_reason"):
                stats.finish_reason = choice["finish_reason"]
            _read_usage(stats, data)

    # -- tokenizer ---------------------------------------------------------------

    def _no_tokenizer(self) -> BackendError:
        return BackendError(
            f"the model server at {self.base_url} has no tokenize endpoint; "
            "use llama-server or llama-cpp-python's server, which have one"
        )

    def _raw_tokenize(self, text: str, parse_special: bool) -> list[int]:
        """The server's own tokenization, without BOS; ``parse_special`` may be ignored."""
        if self._tokenize_style in (None, "llama-server"):
            status, data = self._call_json("POST", "/tokenize", self._root_tokenize_body(text, False, parse_special), api=False)
            if isinstance(data, dict) and isinstance(data.get("tokens"), list):
                self._tokenize_style = "llama-server"
                return [t["id"] if isinstance(t, dict) else int(t) for t in data["tokens"]]
            if self._tokenize_style == "llama-server":
                raise BackendError(f"the model server at {self.base_url} could not tokenize (HTTP {status} on /tokenize)")
        if self._tokenize_style in (None, "llama-cpp-python"):
            # This server always parses control tokens and adds BOS; strip the BOS.
            tokens = self._extras_tokenize(text)
            if self._bos_prefix is None:
                self._bos_prefix = self._extras_tokenize("")
            prefix = self._bos_prefix
            return tokens[len(prefix):] if prefix and tokens[: len(prefix)] == prefix else tokens
        self._tokenize_style = "none"
        raise self._no_tokenizer()

    def _root_tokenize_body(self, text: str, add_special: bool, parse_special: bool) -> dict:
        # llama-server reads content/add_special/parse_special; vLLM's /tokenize reads
        # model/prompt/add_special_tokens (and always parses control text). Each
        # ignores the other's fields, so one body serves both.
        return {
            "content": text, "add_special": add_special, "parse_special": parse_special,
            "model": self.model, "prompt": text, "add_special_tokens": add_special,
        }

    def _extras_tokenize(self, text: str) -> list[int]:
        status, data = self._call_json("POST", "/extras/tokenize", {"input": text, "model": self.model}, api=False)
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
            if self._tokenize_style == "llama-cpp-python":
                raise BackendError(f"the model server at {self.base_url} could not tokenize (HTTP {status} on /extras/tokenize)")
            self._tokenize_style = "none"
            raise self._no_tokenizer()
        self._tokenize_style = "llama-cpp-python"
        return [int(t) for t in data["tokens"]]

    def _probe_plain_tokenizing(self) -> None:
        """Find out whether the server can tokenize without reading control text."""
        if self._tokenize_style is None:
            self._raw_tokenize("a", False)
        if self._tokenize_style == "llama-cpp-python":
            self.tokenize_honours_plain = False
        else:
            self.tokenize_honours_plain = False  # unproven: split, which is always safe
            for text in COMMON_CONTROL_TEXTS:
                ids = self._raw_tokenize(text, True)
                if len(ids) == 1:
                    self.tokenize_honours_plain = self._raw_tokenize(text, False) != ids
                    break
        if not self.tokenize_honours_plain:
            # Pieces are tokenized one by one; a tokenizer that puts a space before
            # each call (SentencePiece's prefix) would change the text: refuse then.
            joined = self._raw_tokenize("a", False) + self._raw_tokenize("<", False) + self._raw_tokenize("b", False)
            if self.detokenize(joined) != "a<b":
                self._plain_tokenize_error = BackendError(
                    f"the model server at {self.base_url} always reads control tokens in text and cannot "
                    "tokenize file text safely; use a recent llama-server, which honours parse_special"
                )

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        if special:
            return self._raw_tokenize(text, True)
        if self.tokenize_honours_plain is None:
            self._probe_plain_tokenizing()
        if self._plain_tokenize_error is not None:
            raise self._plain_tokenize_error
        if not self.tokenize_honours_plain and self._split_chars is None:
            # Cut at "<" and at the first character of any control text without one
            # (Codestral's "[PREFIX]"), so no control token can form from file text.
            by_text = self.info().specials.by_text
            self._split_chars = "".join(sorted({"<"} | {t[0] for t in by_text if "<" not in t}))
        if self.tokenize_honours_plain or not any(c in text for c in self._split_chars):
            return self._raw_tokenize(text, False)
        if self._tokenize_style == "llama-cpp-python":
            # Its detokenizer hides control text, so a whole-text tokenization that
            # reads back unchanged and holds no known control id formed none: two
            # requests instead of two per "<".
            ids = self._raw_tokenize(text, False)
            known = set(self.info().specials.by_text.values())
            if not known.intersection(ids) and self.detokenize(ids) == text:
                return ids
        ids = []
        for piece in _split_around(text, self._split_chars):
            ids += self._raw_tokenize(piece, False)
        return ids

    def detokenize(self, ids: Sequence[int]) -> str:
        ids = [int(i) for i in ids]
        if not ids:
            return ""
        if self._tokenize_style is None:
            self._raw_tokenize("a", False)  # finds out which endpoints the server has
        if self._tokenize_style == "llama-server":
            status, data = self._call_json("POST", "/detokenize", {"tokens": ids, "model": self.model}, api=False)
            key = "prompt" if isinstance(data, dict) and "prompt" in data else "content"  # vLLM / llama-server
        elif self._tokenize_style == "llama-cpp-python":
            status, data = self._call_json("POST", "/extras/detokenize", {"tokens": ids, "model": self.model}, api=False)
            key = "text"
        else:
            raise self._no_tokenizer()
        if not isinstance(data, dict) or not isinstance(data.get(key), str):
            raise BackendError(f"the model server at {self.base_url} could not detokenize (HTTP {status})")
        return data[key]

    def _ids_as_text(self, ids: Sequence[int]) -> str:
        """A token-id prompt as text, for servers that take text only: control ids are
        written as their text (such servers parse it) and a leading BOS is left to the
        server, which adds its own."""
        info = self.info()
        control = {i: text for text, i in info.specials.by_text.items()}
        ids = list(ids)
        if ids and info.add_bos and ids[0] == info.specials.bos:
            ids = ids[1:]
        parts: list[str] = []
        run: list[int] = []
        for i in ids:
            if i in control:
                parts += [self.detokenize(run), control[i]]
                run = []
            else:
                run.append(i)
        parts.append(self.detokenize(run))
        return "".join(parts)

    # -- model info -------------------------------------------------------------

    def _discover_specials(self) -> SpecialTokens:
        """Control ids found by tokenizing candidate texts with special parsing on."""
        by_text: dict[str, int] = {}
        for text in CANDIDATE_TEXTS:
            ids = self._raw_tokenize(text, True)
            if len(ids) != 1:
                continue
            # A single id can also be ordinary text ("<s>" in an HTML-heavy vocabulary).
            # A control token tokenizes differently as plain text; where the server
            # cannot be asked that, short texts must detokenize to something else
            # (llama-cpp-python hides control text), longer ones are taken as control.
            if self.tokenize_honours_plain:
                is_control = self._raw_tokenize(text, False) != ids
            else:
                is_control = len(text) > 4 or self.detokenize(ids) != text
            if is_control:
                by_text[text] = ids[0]

        def first(texts) -> int | None:
            return next((by_text[t] for t in texts if t in by_text), None)

        fim = next((family for family in FIM_FAMILIES if all(t in by_text for t in family)), (None, None, None))
        if self._tokenize_style == "llama-server":
            _, data = self._call_json("POST", "/tokenize", self._root_tokenize_body("", True, False), api=False)
            leading = data.get("tokens", []) if isinstance(data, dict) else []
        else:
            leading = self._bos_prefix or []
        bos = leading[0] if leading and isinstance(leading[0], int) else None
        props = self._props()
        eos_text = props.get("eos_token")
        eos = by_text.get(eos_text) if isinstance(eos_text, str) else None
        if eos is None and isinstance(eos_text, str) and eos_text:
            eos_ids = self._raw_tokenize(eos_text, True)
            eos = eos_ids[0] if len(eos_ids) == 1 else None
        return SpecialTokens(
            bos=bos,
            eos=eos,
            fim_prefix=by_text.get(fim[0]) if fim[0] else None,
            fim_suffix=by_text.get(fim[1]) if fim[1] else None,
            fim_middle=by_text.get(fim[2]) if fim[2] else None,
            fim_pad=first(FIM_PAD_TEXTS),
            file_sep=first(FILE_SEP_TEXTS),
            repo_name=first(REPO_NAME_TEXTS),
            by_text=by_text,
        )

    def _props(self) -> dict:
        """llama-server's /props (n_ctx, chat template, eos text); {} elsewhere."""
        if self._props_cache is None:
            _, data = self._call_json("GET", "/props", api=False)
            self._props_cache = data if isinstance(data, dict) else {}
        return self._props_cache

    def info(self) -> ModelInfo:
        if self._info is not None:
            return self._info
        props = self._props()
        if not self._model_entry:  # the model was named by the caller: find its entry
            _, data = self._call_json("GET", "/models")
            models = data.get("data") if isinstance(data, dict) else None
            self._model_entry = next((m for m in models or [] if isinstance(m, dict) and m.get("id") == self.model), {})
        entry = self._model_entry
        meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
        settings = props.get("default_generation_settings") or {}
        context = settings.get("n_ctx") or props.get("n_ctx") or entry.get("max_model_len") or 4096
        train = meta.get("n_ctx_train")
        try:
            if self.tokenize_honours_plain is None:
                self._probe_plain_tokenizing()
            specials = self._discover_specials()
        except BackendError:
            if self._tokenize_style != "none":
                raise
            specials = SpecialTokens()  # no tokenizer: plain text prompts only
        template = props.get("chat_template")
        self._info = ModelInfo(
            name=self.model,
            architecture="remote",  # servers do not report it
            context_length=int(context),
            train_context_length=int(train) if isinstance(train, int) else None,
            add_bos=specials.bos is not None,
            chat_template=template if isinstance(template, str) and template else None,
            specials=specials,
        )
        return self._info

    def close(self) -> None:
        with self._cond:
            self._closed = True
            pending = list(self._queue)
            running = self._running
            self._cond.notify_all()
        for generation in pending + ([running] if running is not None else []):
            generation.cancel()
        with self._call_lock:
            if self._call_connection is not None:
                self._call_connection.close()
                self._call_connection = None


def _split_around(text: str, chars: str) -> list[str]:
    """Text cut before and after each of ``chars``: no control token can span a cut."""
    pieces: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if char in chars:
            if index > start:
                pieces.append(text[start:index])
            pieces.append(char)
            start = index + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _read_usage(stats: GenerationStats, data: dict) -> None:
    """Fill stats from what servers report: OpenAI ``usage``, llama-server ``timings``."""
    usage = data.get("usage")
    if isinstance(usage, dict):
        stats.prompt_tokens = usage.get("prompt_tokens") or stats.prompt_tokens
        stats.generated_tokens = usage.get("completion_tokens") or stats.generated_tokens
        details = usage.get("prompt_tokens_details")
        if isinstance(details, dict) and details.get("cached_tokens"):
            stats.reused_tokens = details["cached_tokens"]
    timings = data.get("timings")
    if isinstance(timings, dict):
        if timings.get("cache_n") is not None:
            stats.reused_tokens = timings["cache_n"]
        if timings.get("prompt_n") is not None:
            stats.evaluated_tokens = timings["prompt_n"]
    if data.get("tokens_cached") is not None:
        stats.reused_tokens = data["tokens_cached"]


def _server_sent_events(response) -> Iterator[str]:
    for raw in response:
        line = raw.decode("utf-8", "replace").strip()
        if line.startswith("data:"):
            yield line[5:].strip()
