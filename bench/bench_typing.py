"""Typing replay: type part of a real file character by character, asking for a
completion at every pause, as an editor would.

    .venv/bin/python bench/bench_typing.py [--file PATH] [--lines 30] [--budget 1024]
        [--context repo|local|none] [--model PATH] [--pp-rate R] [--tg-rate R]

Defaults are a user's: the completion model coder resolves (Qwen2.5-Coder-0.5B
Instruct), context "repo", multi-line "auto", grounding on, 3 candidates, the typing
deadline (every request here is one an editor makes while the user types).

Typing is paced at --cps characters per second (0: no pauses at all): a request that
takes longer than the time to the next keystroke delays the typing, and idle time is
when the model finishes suggestions shown at the deadline. Besides latency it prints
how much of the typed text was on screen as a correct suggestion before it was typed
(the characters a user could have accepted instead of typing).

The default file is platformdirs' unix.py from the installed package (a real file of
a real project). Lines from --start on are removed and typed again on a line of their
own (the code below the cursor stays on the lines below); a pause is after a space, a
dot, an opening bracket or a newline. Prints p50/p95 latency, tokens
evaluated vs reused per request, the suggestion-cache hit rate, and the latency next
to what llama.cpp itself needs for the evaluated plus generated tokens at the given
rates (llama.cpp direct, from bench/bench_runtime.py on this machine).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.completion.engine import CompletionEngine, CompletionRequest  # noqa: E402
from coder.models.llama_backend import LlamaWorkerBackend  # noqa: E402
from coder.settings import CompletionSettings  # noqa: E402

PAUSE_AFTER = set(" .(\n[{,")


def default_file() -> Path:
    import platformdirs

    return Path(platformdirs.__file__).parent / "unix.py"


def measure_rates(model: str, threads: int, depth: int) -> tuple[float, float]:
    """llama.cpp's own prompt and generation speed for this model, in-process, now
    (the ratio below compares the engine to it in the same load). Generation is timed
    ``depth`` tokens into the context, where the engine's prompts put it, as the median
    of three passes of 32 one-token decodes: one pass varied by 15 % and more here from
    one moment to the next (29-42 tokens/s in three runs of this bench while the
    engine's own model calls stayed at 424-436 ms), and moved the ratio with it."""
    import llama_cpp

    llm = llama_cpp.Llama(model_path=model, n_ctx=max(2048, depth + 64), n_threads=threads,
                          n_threads_batch=threads, verbose=False)
    tokens = llm.tokenize(default_file().read_bytes(), add_bos=False)
    while len(tokens) < depth + 32:
        tokens = tokens + tokens
    prompt = tokens[:512]
    llm.eval(prompt[:16])
    llm.reset()
    started = time.perf_counter()
    llm.eval(prompt)
    pp = len(prompt) / (time.perf_counter() - started)
    llm.eval(tokens[len(prompt):depth])
    passes = []
    for _ in range(3):
        llm.n_tokens = depth  # back to the same depth: the decodes overwrite the last pass's
        started = time.perf_counter()
        for token in tokens[depth:depth + 32]:  # one-token decodes, as generation does (sampling is noise)
            llm.eval([token])
        passes.append(32 / (time.perf_counter() - started))
    del llm
    return pp, statistics.median(passes)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--start", type=int, default=60, help="first line to retype (1-based)")
    parser.add_argument("--lines", type=int, default=30, help="how many lines to retype")
    parser.add_argument("--budget", type=int, default=1024)
    parser.add_argument("--max-tokens", type=int, default=CompletionSettings().max_tokens,
                        help="most tokens per suggestion (default: the user's default setting)")
    parser.add_argument("--context", default="repo", choices=("none", "local", "repo"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--candidates", type=int, default=3, help="most generations per request")
    parser.add_argument("--deadline-ms", type=int, default=CompletionSettings().typing_deadline_ms
                        if hasattr(CompletionSettings(), "typing_deadline_ms") else 0,
                        help="the typing deadline (default: the user's default setting; 0: none)")
    parser.add_argument("--verbose", action="store_true", help="one line per model call")
    parser.add_argument("--cps", type=float, default=5.0, help="typing speed, characters per second (0: no pauses)")
    parser.add_argument("--pp-rate", type=float, default=None,
                        help="llama.cpp prompt tokens/s here (bench_runtime.py; default: measured now)")
    parser.add_argument("--tg-rate", type=float, default=None,
                        help="llama.cpp generated tokens/s here (bench_runtime.py; default: measured now)")
    args = parser.parse_args()
    path = args.file or default_file()
    if args.model is None:
        from coder.models.resolve import resolve_model

        args.model = str(resolve_model(None, None).path)
    if args.pp_rate is None or args.tg_rate is None:
        depth = max(args.budget - args.max_tokens, 512)  # the engine's prompts fill the budget
        args.pp_rate, args.tg_rate = measure_rates(args.model, args.threads, depth)
        print(f"llama.cpp on this machine now: prompt {args.pp_rate:.0f} tokens/s, "
              f"generation {args.tg_rate:.1f} tokens/s ({depth} tokens deep)")
    original = path.read_text()
    lines = original.split("\n")
    head = "\n".join(lines[: args.start - 1]) + "\n"
    typed_part = "\n".join(lines[args.start - 1 : args.start - 1 + args.lines]) + "\n"
    tail = "\n".join(lines[args.start - 1 + args.lines :])
    index = None
    if args.context == "repo":
        from coder.index.repo_index import RepoIndex

        index = RepoIndex(path.parent)
        index.refresh()
    backend = LlamaWorkerBackend(args.model, n_ctx=max(2048, args.budget), n_threads=args.threads)
    engine = CompletionEngine(backend, index=index)
    latencies, model_latencies, evaluated, reused, expected, cached = [], [], [], [], [], 0
    extra_generations = 0
    context_ms, checks_ms = [], []
    rejections: dict[str, int] = {}
    typed = ""
    deadline = {"deadline_ms": args.deadline_ms or None} if any(
        f.name == "deadline_ms" for f in dataclasses.fields(CompletionRequest)) else {}
    covered = [False] * len(typed_part)  # shown correctly before it was typed
    whole_right = shown = 0
    next_key = time.perf_counter()
    # Warm the model and the KV cache once, as an editor that has been open a while.
    engine.complete(CompletionRequest(str(path), head + "\n" + tail, args.start - 1, 0, language="python",
                                      max_tokens=args.max_tokens, budget_tokens=args.budget, context=args.context))
    for char in typed_part:
        if args.cps > 0:
            next_key += 1 / args.cps
            time.sleep(max(0.0, next_key - time.perf_counter()))
            next_key = max(next_key, time.perf_counter())  # a slow request held the typing up
        typed += char
        if char not in PAUSE_AFTER:
            continue
        # The user writes on a line of its own: the code below stays below (an editor's
        # Enter opens a new line), so the rest of the cursor's line is empty.
        text = head + typed + "\n" + tail
        line = (head + typed).count("\n")
        column = len((head + typed).rsplit("\n", 1)[-1])
        started = time.perf_counter()
        suggestion = engine.complete(
            CompletionRequest(str(path), text, line, column, language="python", max_tokens=args.max_tokens,
                              budget_tokens=args.budget, context=args.context,
                              candidates=args.candidates, **deadline)
        )
        latencies.append((time.perf_counter() - started) * 1000)
        upcoming = typed_part[len(typed):]
        right = len(_common_prefix(suggestion.text, upcoming))
        for position in range(len(typed), len(typed) + right):
            covered[position] = True
        if suggestion.text:
            shown += 1
            whole_right += upcoming.startswith(suggestion.text)
        if suggestion.cached:
            cached += 1
            continue
        extra_generations += max(0, len(suggestion.candidates) - 1)
        context_ms.append(suggestion.timings_ms["context"])
        checks_ms.append(suggestion.timings_ms["checks"])
        for tried in suggestion.candidates:
            if tried["rejected"]:
                rejections[tried["rejected"]] = rejections.get(tried["rejected"], 0) + 1
        evaluated.append(suggestion.tokens["evaluated"])
        reused.append(suggestion.tokens["reused"])
        expected.append(
            (suggestion.tokens["evaluated"] / args.pp_rate + suggestion.tokens["generated"] / args.tg_rate) * 1000
        )
        model_latencies.append(latencies[-1])
        if args.verbose:
            print(f"  {line + 1}:{column + 1} {latencies[-1]:7.0f} ms  evaluated {suggestion.tokens['evaluated']:4d} "
                  f"generated {suggestion.tokens['generated']:3d} {suggestion.tokens['finish_reason']:9s} "
                  f"{suggestion.text[:50]!r} {suggestion.timings_ms} reused {suggestion.tokens['reused']}", flush=True)
    backend.close()
    model_calls = len(evaluated)
    print(f"file: {path} lines {args.start}-{args.start + args.lines - 1}, context {args.context}, "
          f"budget {args.budget}, max tokens {args.max_tokens}")
    print(f"requests: {len(latencies)}  model calls: {model_calls}  cache hits: {cached} "
          f"({cached / len(latencies):.0%})")
    print(f"typing {args.cps:g} characters/s, deadline {args.deadline_ms or 'none'} ms"
          + ("" if deadline else " (not supported by this tree)"))
    print(f"latency ms: p50 {percentile(latencies, 0.5):.0f}  p95 {percentile(latencies, 0.95):.0f}  "
          f"(targets: p50 <= 200, p95 <= 500)")
    print(f"model calls only, latency ms: p50 {percentile(model_latencies, 0.5):.0f}  "
          f"p95 {percentile(model_latencies, 0.95):.0f}")
    print(f"extra candidates generated: {extra_generations}; rejections: "
          + (", ".join(f"{reason} {n}" for reason, n in sorted(rejections.items())) or "none"))
    print(f"context (prompt and grounding) per model call, ms: median {statistics.median(context_ms):.1f} "
          f"p95 {percentile(context_ms, 0.95):.1f}; post-processing and checks: median "
          f"{statistics.median(checks_ms):.1f} p95 {percentile(checks_ms, 0.95):.1f}")
    print(f"tokens per model call: evaluated median {statistics.median(evaluated):.0f} "
          f"mean {statistics.mean(evaluated):.0f}, reused median {statistics.median(reused):.0f}")
    print(f"typed characters shown correctly before they were typed: {sum(covered)} of {len(covered)} "
          f"({sum(covered) / len(covered):.0%}); suggestions shown {shown}, of them wholly right {whole_right}")
    ratio = statistics.median(a / e for a, e in zip(model_latencies, expected) if e > 0)
    print(f"latency / llama.cpp time for evaluated+generated tokens: median {ratio:.2f} (target <= 1.3)")


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


if __name__ == "__main__":
    main()
