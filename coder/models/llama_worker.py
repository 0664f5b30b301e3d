"""The llama.cpp worker process: hosts one long-lived ``Llama`` and serves requests.

Run as ``python -m coder.models.llama_worker``. The model lives here, not in the LSP
server, the TUI or the hook, so a native crash (a GGML assert, a SIGABRT on a broken
vocabulary) kills only this process; the parent reports it and starts a new one.

Threads: the main thread is the only one that touches the ``Llama`` object (two
threads on one ``Llama`` abort the process). A reader thread reads stdin and turns
``cancel`` messages into flags the generation loop checks after every token, so a
superseded generation stops within one token step.
"""

from __future__ import annotations

import codecs
import os
import queue
import sys
import threading
import time

from coder.models import worker_protocol

# Token texts that mark fill-in-the-middle and repository formats, for vocabularies
# whose GGUF metadata does not name them (llama.cpp finds most on its own).
FIM_TEXTS = {
    "fim_prefix": ("<|fim_prefix|>", "<fim_prefix>", "<｜fim▁begin｜>", "▁<PRE>"),
    "fim_suffix": ("<|fim_suffix|>", "<fim_suffix>", "<｜fim▁hole｜>", "▁<SUF>"),
    "fim_middle": ("<|fim_middle|>", "<fim_middle>", "<｜fim▁end｜>", "▁<MID>"),
    "fim_pad": ("<|fim_pad|>", "<fim_pad>"),
    "file_sep": ("<|file_sep|>", "<file_sep>"),
    "repo_name": ("<|repo_name|>", "<reponame>"),
}


class Worker:
    def __init__(self, out_stream):
        self.out = out_stream
        self.llm = None
        self.requests: queue.Queue = queue.Queue()
        self.cancelled: set[int] = set()
        self.grammars: dict[str, object] = {}

    # -- input -----------------------------------------------------------------

    def read_stdin(self) -> None:
        """Reader thread: never touches the model, only queues work and sets flags."""
        stdin = sys.stdin.buffer
        while True:
            message = worker_protocol.receive(stdin)
            if message is None:
                self.requests.put({"op": "shutdown"})
                return
            if message.get("op") == "cancel":
                self.cancelled.add(message["id"])
            else:
                self.requests.put(message)

    def serve(self) -> None:
        threading.Thread(target=self.read_stdin, daemon=True).start()
        while True:
            message = self.requests.get()
            op = message.get("op")
            if op == "shutdown":
                return
            handler = getattr(self, f"op_{op}", None)
            try:
                if handler is None:
                    raise ValueError(f"unknown operation {op!r}")
                reply = handler(message)
            except Exception as error:  # reported to the parent, which owns the message
                reply = {"error": f"{type(error).__name__}: {error}"}
            reply["id"] = message.get("id")
            reply.setdefault("done", True)
            worker_protocol.send(self.out, reply)
            self.cancelled.discard(message.get("id"))

    # -- operations ------------------------------------------------------------

    def op_load(self, message: dict) -> dict:
        import llama_cpp

        started = time.perf_counter()
        self.llm = llama_cpp.Llama(
            model_path=message["path"],
            n_ctx=message.get("n_ctx", 4096),
            n_threads=message.get("n_threads"),
            n_threads_batch=message.get("n_threads"),
            n_batch=message.get("n_batch", 512),
            verbose=False,
        )
        info = self.model_info(message["path"])
        return {"info": info, "load_s": time.perf_counter() - started}

    def model_info(self, path: str) -> dict:
        import llama_cpp

        llm = self.llm
        vocab = llm._model.vocab
        metadata = llm.metadata
        by_text: dict[str, int] = {}
        special_mask = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED
        for token in range(llama_cpp.llama_vocab_n_tokens(vocab)):
            if llama_cpp.llama_vocab_get_attr(vocab, token) & special_mask:
                text = llama_cpp.llama_vocab_get_text(vocab, token)
                if text:
                    by_text[text.decode("utf-8", "replace")] = token

        def native(function_name: str) -> int | None:
            function = getattr(llama_cpp, function_name, None)
            token = function(vocab) if function else -1
            return token if token is not None and token >= 0 else None

        specials = {
            "bos": native("llama_vocab_bos"),
            "eos": native("llama_vocab_eos"),
            "fim_prefix": native("llama_vocab_fim_pre"),
            "fim_suffix": native("llama_vocab_fim_suf"),
            "fim_middle": native("llama_vocab_fim_mid"),
            "fim_pad": native("llama_vocab_fim_pad"),
            "file_sep": native("llama_vocab_fim_sep"),
            "repo_name": native("llama_vocab_fim_rep"),
        }
        for role, texts in FIM_TEXTS.items():
            if specials[role] is None:
                specials[role] = next((by_text[t] for t in texts if t in by_text), None)
        architecture = metadata.get("general.architecture", "unknown")
        train_ctx = metadata.get(f"{architecture}.context_length")
        return {
            "name": os.path.basename(path),
            "architecture": architecture,
            "context_length": llm.n_ctx(),
            "train_context_length": int(train_ctx) if train_ctx else None,
            "add_bos": bool(llama_cpp.llama_vocab_get_add_bos(vocab)),
            "chat_template": metadata.get("tokenizer.chat_template"),
            "specials": specials,
            "by_text": by_text,
            "path": path,
        }

    def op_tokenize(self, message: dict) -> dict:
        ids = self.llm.tokenize(
            message["text"].encode("utf-8"), add_bos=False, special=message.get("special", False)
        )
        return {"ids": ids}

    def op_detokenize(self, message: dict) -> dict:
        text = self.llm.detokenize(message["ids"]).decode("utf-8", errors="replace")
        return {"text": text}

    def grammar(self, text: str):
        from llama_cpp import LlamaGrammar

        compiled = self.grammars.get(text)
        if compiled is None:
            compiled = LlamaGrammar.from_string(text, verbose=False)
            if len(self.grammars) > 32:
                self.grammars.clear()
            self.grammars[text] = compiled
        return compiled

    def op_generate(self, message: dict) -> dict:
        import llama_cpp

        request_id = message["id"]
        llm = self.llm
        started = time.perf_counter()
        prompt = message["prompt"]
        if isinstance(prompt, str):
            prompt = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=False)
            if llama_cpp.llama_vocab_get_add_bos(llm._model.vocab):
                prompt = [llm.token_bos()] + prompt
        if not prompt:
            raise ValueError("the prompt is empty")
        max_tokens = message.get("max_tokens", 64)
        if len(prompt) + max_tokens > llm.n_ctx():
            raise ValueError(
                f"prompt ({len(prompt)} tokens) plus max_tokens ({max_tokens}) exceeds "
                f"the context ({llm.n_ctx()} tokens)"
            )
        reused = self.cached_prefix(prompt)
        grammar = self.grammar(message["grammar"]) if message.get("grammar") else None
        if message.get("seed") is not None:
            llm.set_seed(int(message["seed"]))
        temperature = float(message.get("temperature", 0.0))
        stops = [s for s in message.get("stop", ()) if s]
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        vocab = llm._model.vocab

        text = ""  # everything decoded so far
        sent = 0  # how much of it the parent has
        generated = 0
        first_token_s = None
        finish = "length"
        pending_flush = time.perf_counter()
        tokens = llm.generate(
            prompt,
            temp=temperature,
            top_p=float(message.get("top_p", 1.0)),
            top_k=0 if temperature > 0 else 1,
            min_p=0.0,
            repeat_penalty=1.0,
            grammar=grammar,
        )
        for token in tokens:
            if first_token_s is None:
                first_token_s = time.perf_counter() - started
            if request_id in self.cancelled:
                finish = "cancelled"
                break
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                finish = "stop"
                break
            generated += 1
            # Control tokens detokenize to nothing (special=False); user-defined ones
            # such as Gemma's whitespace runs are ordinary text.
            text += decoder.decode(llm.detokenize([token]))
            stop_at = _first_stop(text, stops)
            if stop_at is not None:
                text = text[:stop_at]
                finish = "stop"
                break
            if generated >= max_tokens:
                break
            safe = len(text) - _partial_stop_length(text, stops)
            now = time.perf_counter()
            # Send at once while the parent waits for the first piece; later batch
            # pieces a little so a fast model does not flood the pipe.
            if safe > sent and (sent == 0 or now - pending_flush > 0.01):
                worker_protocol.send(self.out, {"id": request_id, "piece": text[sent:safe]})
                sent = safe
                pending_flush = now
        tokens.close()
        if finish != "stop" or not stops:
            text += decoder.decode(b"", final=True)
        if finish != "cancelled" and len(text) > sent:
            worker_protocol.send(self.out, {"id": request_id, "piece": text[sent:]})
        return {
            "stats": {
                "prompt_tokens": len(prompt),
                "reused_tokens": reused,
                "evaluated_tokens": len(prompt) - reused,
                "generated_tokens": generated,
                "time_to_first_token_s": first_token_s,
                "finish_reason": finish,
                "worker_s": time.perf_counter() - started,
            }
        }

    def cached_prefix(self, prompt: list[int]) -> int:
        """How many prompt tokens llama.cpp will take from its KV cache (see generate)."""
        llm = self.llm
        cached = llm._input_ids[: llm.n_tokens].tolist()
        common = 0
        for a, b in zip(cached, prompt):
            if a != b:
                break
            common += 1
        if common == len(prompt):
            # A fully cached prompt: llama.cpp re-evaluates its last token to get logits.
            return common - 1 if common else 0
        return common


def _first_stop(text: str, stops: list[str]) -> int | None:
    positions = [text.find(s) for s in stops]
    positions = [p for p in positions if p >= 0]
    return min(positions) if positions else None


def _partial_stop_length(text: str, stops: list[str]) -> int:
    """Length of the longest tail of text that could still become a stop sequence."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), 0, -1):
            if text.endswith(stop[:size]):
                longest = max(longest, size)
                break
    return longest


def main() -> None:
    # Keep the protocol on a private copy of stdout; native code printing to fd 1
    # lands on stderr instead of corrupting the stream.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    Worker(out).serve()


if __name__ == "__main__":
    main()
