"""The same typing replay through `coder lsp` and llama-server's /infill, alternating.

    .venv/bin/python bench/bench_lsp_vs_llama_server.py --llama-server PATH/TO/llama-server
        [--file PATH] [--start 60] [--lines 30] [--model GGUF] [--max-tokens 32]
        [--threads 2] [--asks N]

Both servers run the whole time on the same model file. Part of a file (default:
platformdirs' unix.py) is typed again character by character; after a space, a dot,
an opening bracket or a newline each side is asked for a completion of the same
text, one after the other, the order swapped at every ask, so a busy moment of the
machine falls on both alike.

- coder: an incremental didChange per character over stdio, then an inline
  completion; the time runs from the keystroke's didChange to the response.
- llama-server: /infill with cache_prompt, the way llama.vim drives it with its
  defaults: the last 256 lines before the cursor as the prefix, the current line up to
  the cursor as the prompt, the rest of the line and 64 lines after it as the suffix,
  greedy, and llama.vim's time limits (t_max_prompt_ms 500, t_max_predict_ms 1000:
  the server stops generating past that once a line is written).

Both sides' answers are kept: the latencies are printed over all asks and over the
asks where both answered with text (an empty answer is quick and worth nothing), with
the count of empty answers per side.

Prints p50/p95 of each side, their ratios (targets: p50 <= 1.0, p95 <= 1.2) and the
load before and after. ``--asks 3`` stops after three completions (a check that it
runs, no figure).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lsp import (  # noqa: E402  (also puts the checkout and tests/lsp on sys.path)
    default_file,
    default_model,
    free_port,
    inline_params,
    keystrokes,
    percentile,
    start_server,
)
from lsp import positions  # noqa: E402

LLAMA_VIM_PREFIX_LINES = 256
LLAMA_VIM_SUFFIX_LINES = 64
LLAMA_VIM_PROMPT_MS = 500  # llama.vim's defaults for the server's time limits
LLAMA_VIM_PREDICT_MS = 1000


class LlamaServer:
    def __init__(self, binary: str, model: str, threads: int, max_tokens: int):
        self.port = free_port()
        self.max_tokens = max_tokens
        self.evaluated: list[int | None] = []  # prompt tokens the server evaluated per ask (its timings)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [binary, "-m", model, "--port", str(self.port), "-c", "4096", "-t", str(threads), "-np", "1"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                sys.exit(f"llama-server did not start: {self.log.read().decode(errors='replace')[-1500:]}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/health", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    def infill(self, text: str, offset: int) -> str:
        lines_before = text[:offset].split("\n")
        after = text[offset:].split("\n")
        body = {
            "input_prefix": "".join(line + "\n" for line in lines_before[:-1][-LLAMA_VIM_PREFIX_LINES:]),
            "prompt": lines_before[-1],
            "input_suffix": after[0] + "\n" + "".join(line + "\n" for line in after[1:1 + LLAMA_VIM_SUFFIX_LINES]),
            "n_predict": self.max_tokens, "cache_prompt": True, "temperature": 0.0, "top_k": 40, "top_p": 0.99,
            "stream": False, "t_max_prompt_ms": LLAMA_VIM_PROMPT_MS, "t_max_predict_ms": LLAMA_VIM_PREDICT_MS,
        }
        request = urllib.request.Request(f"{self.base}/infill", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as reply:
            answer = json.loads(reply.read())
        self.evaluated.append((answer.get("timings") or {}).get("prompt_n"))
        return answer.get("content", "")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class CoderServer:
    def __init__(self, path: Path, head: str, tail: str, args, home: Path):
        self.root = Path(tempfile.mkdtemp(prefix="bench-vs-"))
        self.tail = tail
        target = self.root / path.name
        target.write_text(head + tail)
        os.environ["CODER_THREADS"] = str(args.threads)
        self.client, _ = start_server(self.root, args.model, home, args.max_tokens)
        self.uri = target.as_uri()
        self.version = 1
        text = head + tail
        self.client.notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "python", "version": 1, "text": text}})
        line, character = positions.position_at(text, len(head))
        while True:  # until the model is loaded (answers are empty at once before)
            self.client.call("textDocument/inlineCompletion", inline_params(self.uri, line, character, invoked=True),
                             timeout=900)
            if self.client.status()["served"]:
                break
            time.sleep(0.05)

    def type(self, before: str, char: str) -> float:
        """Send the keystroke; its time (perf_counter) is returned for the latency."""
        self.version += 1
        line, character = positions.position_at(before + self.tail, len(before))
        sent = time.perf_counter()
        self.client.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": {"line": line, "character": character},
                                          "end": {"line": line, "character": character}}, "text": char}]})
        return sent

    def complete(self, before: str, char: str) -> str:
        after = before + char + self.tail
        line, character = positions.position_at(after, len(before) + 1)
        answer = self.client.call("textDocument/inlineCompletion", inline_params(self.uri, line, character),
                                  timeout=900)
        result = answer.get("result")
        items = (result.get("items") or []) if isinstance(result, dict) else (result or [])
        return items[0].get("insertText", "") if items else ""

    def close(self) -> dict:
        status = self.client.status()
        self.client.close()
        shutil.rmtree(self.root, ignore_errors=True)
        return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llama-server", required=True, help="the llama-server binary")
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--start", type=int, default=60, help="first line to retype (1-based)")
    parser.add_argument("--lines", type=int, default=30, help="how many lines to retype")
    parser.add_argument("--model", default=None, help="GGUF path (default: Qwen2.5-Coder-0.5B)")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--asks", type=int, default=0, help="stop after this many completions per side (0: all)")
    args = parser.parse_args()
    args.model = args.model or default_model()
    path = args.file or default_file()
    lines = path.read_text().split("\n")
    head = "\n".join(lines[: args.start - 1]) + "\n"
    typed_part = "\n".join(lines[args.start - 1 : args.start - 1 + args.lines]) + "\n"
    tail = "\n" + "\n".join(lines[args.start - 1 + args.lines :])  # typed into a blank line of its own
    home = Path(tempfile.mkdtemp(prefix="bench-vs-home-"))
    print(f"file: {path} lines {args.start}-{args.start + args.lines - 1}; model {Path(args.model).name}; "
          f"max tokens {args.max_tokens}; threads {args.threads}; load {os.getloadavg()[0]:.2f}", flush=True)
    theirs = LlamaServer(args.llama_server, args.model, args.threads, args.max_tokens)
    ours = None
    try:
        ours = CoderServer(path, head, tail, args, home)
        theirs.infill(head + tail, len(head))  # warmed as ours was by its first completion
        coder_ms: list[float] = []
        llama_ms: list[float] = []
        coder_text: list[str] = []
        llama_text: list[str] = []
        for before, char, ask in keystrokes(head, typed_part):
            if not ask:
                ours.type(before, char)
                continue
            sides = ("coder", "llama") if len(coder_ms) % 2 == 0 else ("llama", "coder")
            for side in sides:
                if side == "coder":  # the keystroke reaches coder on its turn: its clock starts there
                    sent = ours.type(before, char)
                    coder_text.append(ours.complete(before, char))
                    coder_ms.append((time.perf_counter() - sent) * 1000)
                else:
                    started = time.perf_counter()
                    llama_text.append(theirs.infill(before + char + tail, len(before) + 1))
                    llama_ms.append((time.perf_counter() - started) * 1000)
            if args.asks and len(coder_ms) >= args.asks:
                break
    finally:
        status = ours.close() if ours is not None else {}
        theirs.close()
        shutil.rmtree(home, ignore_errors=True)
    p50, p95 = percentile(coder_ms, 0.5), percentile(coder_ms, 0.95)
    q50, q95 = percentile(llama_ms, 0.5), percentile(llama_ms, 0.95)
    print(f"coder lsp over stdio:                {len(coder_ms)} requests, keystroke to response ms: "
          f"p50 {p50:.0f}  p95 {p95:.0f}  (scheduler {status.get('scheduler')})")
    print(f"llama-server /infill (cache_prompt): {len(llama_ms)} requests, ms: p50 {q50:.0f}  p95 {q95:.0f}")
    print(f"ratio coder/llama-server: p50 {p50 / q50:.2f} (target <= 1.0)  p95 {p95 / q95:.2f} (target <= 1.2)")
    print(f"empty answers: coder {sum(not t.strip() for t in coder_text)} of {len(coder_text)}, "
          f"llama-server {sum(not t.strip() for t in llama_text)} of {len(llama_text)}")
    both = [(a, b) for a, b, x, y in zip(coder_ms, llama_ms, coder_text, llama_text) if x.strip() and y.strip()]
    if both:
        ours_ms, their_ms = [a for a, _ in both], [b for _, b in both]
        print(f"asks both answered with text ({len(both)}): coder p50 {percentile(ours_ms, 0.5):.0f} "
              f"p95 {percentile(ours_ms, 0.95):.0f}; llama-server p50 {percentile(their_ms, 0.5):.0f} "
              f"p95 {percentile(their_ms, 0.95):.0f}")
    counted = [n for n in theirs.evaluated[1:] if n is not None]
    if counted:
        print(f"llama-server prompt tokens evaluated per ask (its own timings): median {statistics.median(counted):.0f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
