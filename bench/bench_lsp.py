"""Typing replay through the language server over stdio, next to llama-server's /infill.

    .venv/bin/python bench/bench_lsp.py [--file PATH] [--start 60] [--lines 30]
        [--model GGUF] [--max-tokens 32] [--llama-server PATH/TO/llama-server]
        [--rss-files 2000]

Part of a real file (default: platformdirs' unix.py) is typed again character by
character into `coder lsp` as incremental didChange notifications; after a space, a
dot, an opening bracket or a newline the editor asks for an inline completion and
waits for it. Figures: p50/p95 from the keystroke's didChange to the response; the
time from process start to the first served completion; the server's RSS (server
plus model worker) with the model loaded and a repository of --rss-files files
indexed (copies of the venv's own Python files).

With --llama-server, the same keystrokes go to llama-server's /infill with
cache_prompt on the same model, the way llama.vim drives it: the last 256 lines
before the cursor as the prefix, the current line up to the cursor as the prompt,
the rest of the line and 64 lines after it as the suffix.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "lsp"))

from lsp import positions  # noqa: E402
from raw_client import RawClient  # noqa: E402

PAUSE_AFTER = set(" .(\n[{,")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def default_file() -> Path:
    import platformdirs

    return Path(platformdirs.__file__).parent / "unix.py"


def default_model() -> str:
    from coder.models.registry import QWEN_05B_INSTRUCT
    from coder.models.resolve import installed_path

    path = installed_path(QWEN_05B_INSTRUCT)
    if path is None:
        sys.exit("the Qwen2.5-Coder-0.5B model is not installed (make install-dev), or give --model")
    return str(path)


def rss_mb(pid: int | None) -> float:
    if not pid:
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def keystrokes(head: str, typed_part: str):
    """(text before the keystroke, the character, whether the editor asks after it)."""
    typed = ""
    for char in typed_part:
        yield head + typed, char, char in PAUSE_AFTER
        typed += char


def start_server(root: Path, model: str, home: Path, max_tokens: int) -> tuple[RawClient, float]:
    env = dict(os.environ, CODER_MODEL=model, CODER_HOME=str(home))
    started = time.monotonic()
    client = RawClient([sys.executable, "-m", "coder", "lsp"], env, cwd=root)
    client.initialize(root, {"maxTokens": max_tokens})
    client.notify("initialized", {})
    return client, started


def inline_params(uri: str, line: int, character: int, invoked: bool = False) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
            "context": {"triggerKind": 1 if invoked else 2}}


def replay_lsp(args, path: Path, head: str, typed_part: str, tail: str, home: Path) -> dict:
    root = Path(tempfile.mkdtemp(prefix="bench-lsp-"))
    target = root / path.name
    target.write_text(head + tail)
    client, started = start_server(root, args.model, home, args.max_tokens)
    uri = target.as_uri()
    text = head + tail
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})
    line, character = positions.position_at(text, len(head))
    while True:  # the first completion the model serves (until it is loaded, answers are empty at once)
        client.call("textDocument/inlineCompletion", inline_params(uri, line, character, invoked=True), timeout=900)
        if client.status()["served"]:
            break
        time.sleep(0.02)
    first_served_s = time.monotonic() - started
    version = 1
    latencies = []
    for before, char, ask in keystrokes(head, typed_part):
        version += 1
        offset = len(before)
        current = before + tail
        line, character = positions.position_at(current, offset)
        sent = time.perf_counter()
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": line, "character": character},
                                          "end": {"line": line, "character": character}}, "text": char}]})
        if ask:
            after = before + char + tail
            line, character = positions.position_at(after, offset + 1)
            client.call("textDocument/inlineCompletion", inline_params(uri, line, character), timeout=900)
            latencies.append((time.perf_counter() - sent) * 1000)
    status = client.status()
    client.close()
    shutil.rmtree(root, ignore_errors=True)
    return {"latencies": latencies, "first_served_s": first_served_s, "status": status}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def replay_llama_server(args, head: str, typed_part: str, tail: str) -> dict:
    port = free_port()
    server = subprocess.Popen([args.llama_server, "-m", args.model, "--port", str(port), "-c", "4096",
                               "-t", str(args.threads), "-np", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("llama-server did not start")
            time.sleep(0.2)

        def infill(text: str, offset: int) -> None:
            lines_before = text[:offset].split("\n")
            current = lines_before[-1]
            prefix_lines = lines_before[:-1][-256:]
            after = text[offset:].split("\n")
            body = {
                "input_prefix": "".join(l + "\n" for l in prefix_lines),
                "prompt": current,
                "input_suffix": after[0] + "\n" + "".join(l + "\n" for l in after[1:65]),
                "n_predict": args.max_tokens, "cache_prompt": True, "temperature": 0.0,
                "top_k": 40, "top_p": 0.99, "stream": False,
            }
            request = urllib.request.Request(f"{base}/infill", data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=120) as reply:
                reply.read()

        infill(head + tail, len(head))  # warm, as the LSP side was warmed by its first completion
        latencies = []
        for before, char, ask in keystrokes(head, typed_part):
            if ask:
                sent = time.perf_counter()
                infill(before + char + tail, len(before) + 1)
                latencies.append((time.perf_counter() - sent) * 1000)
        return {"latencies": latencies}
    finally:
        server.terminate()
        server.wait(30)


def measure_rss(args, home: Path) -> dict:
    """Server plus worker RSS with the model loaded and --rss-files files indexed."""
    root = Path(tempfile.mkdtemp(prefix="bench-lsp-repo-"))
    sources = sorted(p for p in Path(sys.prefix).rglob("*.py") if p.stat().st_size < 200_000)[: args.rss_files]
    for number, source in enumerate(sources):
        target = root / f"pkg{number // 100}" / f"m{number}_{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    client, started = start_server(root, args.model, home, args.max_tokens)
    status = client.wait_ready(timeout=1800)
    ready_s = time.monotonic() - started
    loaded = {"server_mb": rss_mb(client.process.pid), "worker_mb": rss_mb(status.get("workerPid"))}
    first = root / "pkg0"
    some_file = next(first.iterdir())
    text = some_file.read_text(errors="replace")
    client.notify("textDocument/didOpen", {"textDocument": {"uri": some_file.as_uri(), "languageId": "python",
                                                            "version": 1, "text": text}})
    lines = text.split("\n")
    client.call("textDocument/inlineCompletion", inline_params(some_file.as_uri(), len(lines) - 1, len(lines[-1]),
                                                               invoked=True), timeout=1800)
    status = client.status()
    server_mb, worker_mb = rss_mb(client.process.pid), rss_mb(status.get("workerPid"))
    client.close()
    shutil.rmtree(root, ignore_errors=True)
    return {"files": len(sources), "server_mb": server_mb, "worker_mb": worker_mb, "ready_s": ready_s,
            "loaded": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--start", type=int, default=60, help="first line to retype (1-based)")
    parser.add_argument("--lines", type=int, default=30, help="how many lines to retype")
    parser.add_argument("--model", default=None, help="GGUF path (default: Qwen2.5-Coder-0.5B)")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--llama-server", default=None, help="a llama-server binary to compare with")
    parser.add_argument("--rss-files", type=int, default=2000, help="files of the repository for RSS (0: skip)")
    parser.add_argument("--no-replay", action="store_true", help="only the RSS measurement")
    args = parser.parse_args()
    args.model = args.model or default_model()
    path = args.file or default_file()
    lines = path.read_text().split("\n")
    head = "\n".join(lines[: args.start - 1]) + "\n"
    typed_part = "\n".join(lines[args.start - 1 : args.start - 1 + args.lines]) + "\n"
    # The typed lines go into a blank line of their own: no code right of the cursor
    # (automatic requests there are answered empty unless midLine is on).
    tail = "\n" + "\n".join(lines[args.start - 1 + args.lines :])
    home = Path(tempfile.mkdtemp(prefix="bench-lsp-home-"))
    print(f"file: {path} lines {args.start}-{args.start + args.lines - 1}; model {Path(args.model).name}; "
          f"max tokens {args.max_tokens}; load {os.getloadavg()[0]:.2f}")
    if args.rss_files:  # first: printed even when a slow replay is cut short
        rss = measure_rss(args, home)
        loaded = rss["loaded"]["server_mb"] + rss["loaded"]["worker_mb"]
        total = rss["server_mb"] + rss["worker_mb"]
        print(f"{rss['files']} files indexed and the model loaded after {rss['ready_s']:.1f} s: RSS "
              f"{loaded:.0f} MB; after a completion: server {rss['server_mb']:.0f} MB + "
              f"worker {rss['worker_mb']:.0f} MB = {total:.0f} MB (target < 800)", flush=True)
    if args.no_replay:
        return
    ours = replay_lsp(args, path, head, typed_part, tail, home)
    p50, p95 = percentile(ours["latencies"], 0.5), percentile(ours["latencies"], 0.95)
    print(f"coder lsp over stdio: {len(ours['latencies'])} requests, keystroke to response ms: "
          f"p50 {p50:.0f}  p95 {p95:.0f}  (scheduler {ours['status']['scheduler']})")
    print(f"process start to first served completion: {ours['first_served_s']:.2f} s")
    if args.llama_server:
        theirs = replay_llama_server(args, head, typed_part, tail)
        q50, q95 = percentile(theirs["latencies"], 0.5), percentile(theirs["latencies"], 0.95)
        print(f"llama-server /infill (cache_prompt): {len(theirs['latencies'])} requests, ms: "
              f"p50 {q50:.0f}  p95 {q95:.0f}")
        print(f"ratio coder/llama-server: p50 {p50 / q50:.2f} (target <= 1.0)  p95 {p95 / q95:.2f} (target <= 1.2)")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
