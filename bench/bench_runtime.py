"""Runtime figures: our worker backend next to llama.cpp used directly, same model.

    .venv/bin/python bench/bench_runtime.py [--model PATH] [--threads 2] [--repeat 5]

Prints model load time, time to first token on a fresh ~370-token prompt, prompt and
generation tokens/s, the per-request overhead of the worker process (a tokenize round
trip, and a one-token request whose prompt is already cached), and what a grammar
over 300 identifiers costs per generated token (direct: ``Llama.generate`` filters
the whole vocabulary every step; worker: checks the chosen token first, so the
greedy output is the same). Each side runs in its own process; ``--repeat`` rounds
alternate the two sides and the table shows medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.models.backend import GenerationRequest  # noqa: E402
from coder.models.llama_backend import LlamaWorkerBackend  # noqa: E402

CODE = Path(__file__).resolve().parents[1].joinpath("coder", "models", "llama_backend.py").read_text()


def prompt_text(variant: int, chars: int = 1400) -> str:
    # A distinct first line per run, so no run is served from the previous one's cache.
    return f"# run {variant} {'xyzw'[variant % 4] * (variant % 7 + 1)}\n" + CODE[:chars]


def median(values):
    return statistics.median(values)


def bench_direct(model: str, threads: int, round_index: int, n_ctx: int, with_grammar: bool) -> dict:
    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(model_path=model, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False)
    load = time.perf_counter() - started
    add_bos = llm._model.add_bos_token()

    def tokens_of(text):
        return ([llm.token_bos()] if add_bos else []) + llm.tokenize(text.encode(), add_bos=False, special=False)

    def run(ids, max_tokens, grammar=None, out=None):
        begin = time.perf_counter()
        first = None
        count = 0
        for token in llm.generate(ids, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, grammar=grammar):
            if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                break
            count += 1
            if out is not None:
                out.append(token)
            if first is None:
                first = time.perf_counter() - begin
            if count >= max_tokens:
                break
        return first, time.perf_counter() - begin, count

    ttft, prompt_tps, gen_tps, prompt_tokens = [], [], [], 0
    for i in (round_index,):
        ids = tokens_of(prompt_text(i))
        prompt_tokens = len(ids)
        first, total, count = run(ids, 1)
        ttft.append(first)
        prompt_tps.append(len(ids) / first)
        first, total, count = run(tokens_of(prompt_text(100 + i)), 64)
        gen_tps.append((count - 1) / (total - first))
    cached = tokens_of(prompt_text(0))
    run(cached, 1)
    one_token = [run(cached, 1)[1] for _ in range(20)]
    tokenize = []
    for _ in range(100):
        begin = time.perf_counter()
        llm.tokenize(b"x = 1", add_bos=False)
        tokenize.append(time.perf_counter() - begin)
    # Per-token cost with the prompt already cached, so only decoding and sampling
    # are timed; the first token (the name's start, the costliest step) included.
    figures = {
        "load_s": load,
        "prompt_tokens": prompt_tokens,
        "ttft_s": median(ttft),
        "prompt_tps": median(prompt_tps),
        "gen_tps": median(gen_tps),
        "cached_one_token_s": median(one_token),
        "tokenize_s": median(tokenize),
    }
    if not with_grammar:
        return figures
    grammar = llama_cpp.LlamaGrammar.from_string(name_grammar(), verbose=False)
    ids = tokens_of(GRAMMAR_PROMPT)
    run(ids, 1)
    free = run(ids, GRAMMAR_TOKENS)
    run(ids, 1)
    grammar_tokens: list[int] = []
    constrained = run(ids, GRAMMAR_TOKENS, grammar, grammar_tokens)
    return figures | {
        "grammar_per_token_s": constrained[1] / constrained[2],
        "free_per_token_s": free[1] / free[2],
        "grammar_text": llm.detokenize(grammar_tokens).decode("utf-8", "replace"),
    }


GRAMMAR_PROMPT = "import os\n\n\ndef main():\n    value = "
GRAMMAR_TOKENS = 8


def name_grammar(count: int = 300) -> str:
    names = " | ".join(f'"name_{i}_{chr(97 + i % 26)}"' for i in range(count))
    return f"root ::= ({names}) [a-z(), ]{{0,12}}"


def bench_worker(model: str, threads: int, round_index: int, n_ctx: int, with_grammar: bool) -> dict:
    started = time.perf_counter()
    backend = LlamaWorkerBackend(model, n_ctx=n_ctx, n_threads=threads)
    load = time.perf_counter() - started
    ttft, prompt_tps, gen_tps, prompt_tokens = [], [], [], 0
    info = backend.info()

    def run(prompt, max_tokens, grammar=None):
        # Token ids, as the direct side gets them: tokenizing is timed on neither side.
        prompt = ([info.specials.bos] if info.add_bos else []) + backend.tokenize(prompt)
        begin = time.perf_counter()
        first = None
        count = 0
        generation = backend.stream(GenerationRequest(prompt, max_tokens=max_tokens, grammar=grammar))
        pieces = []
        for piece in generation:
            pieces.append(piece)
            if first is None:
                first = time.perf_counter() - begin
        total = time.perf_counter() - begin
        run.text = "".join(pieces)
        return first or total, total, generation.stats

    for i in (round_index,):
        first, total, stats = run(prompt_text(i), 1)
        prompt_tokens = stats.prompt_tokens
        ttft.append(first)
        prompt_tps.append(stats.prompt_tokens / first)
        first, total, stats = run(prompt_text(100 + i), 64)
        # Pieces are batched in the worker; its own token timing is the fair one here.
        gen_tps.append((stats.generated_tokens - 1) / (total - first) if total > first else float("nan"))
    run(prompt_text(0), 1)
    one_token = [run(prompt_text(0), 1)[1] for _ in range(20)]
    tokenize = []
    for _ in range(100):
        begin = time.perf_counter()
        backend.tokenize("x = 1")
        tokenize.append(time.perf_counter() - begin)
    figures = {
        "load_s": load,
        "prompt_tokens": prompt_tokens,
        "ttft_s": median(ttft),
        "prompt_tps": median(prompt_tps),
        "gen_tps": median(gen_tps),
        "cached_one_token_s": median(one_token),
        "tokenize_s": median(tokenize),
    }
    if not with_grammar:
        backend.close()
        return figures
    run(GRAMMAR_PROMPT, 1)
    free = run(GRAMMAR_PROMPT, GRAMMAR_TOKENS)
    run(GRAMMAR_PROMPT, 1)
    constrained = run(GRAMMAR_PROMPT, GRAMMAR_TOKENS, name_grammar())
    grammar_text = run.text
    backend.close()
    return figures | {
        "grammar_per_token_s": constrained[1] / constrained[2].generated_tokens,
        "free_per_token_s": free[1] / free[2].generated_tokens,
        "grammar_text": grammar_text,
    }


def run_side(side: str, args, round_index: int) -> dict:
    """One side in a fresh process: two llama.cpp instances alive at once (their idle
    OpenMP threads spinning) would slow each other down and blur the comparison."""
    command = [sys.executable, __file__, "--side", side, "--round", str(round_index),
               "--model", args.model, "--threads", str(args.threads), "--n-ctx", str(args.n_ctx)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"the {side} run failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def medians(rounds: list[dict]) -> dict:
    merged = {}
    for key in rounds[0]:
        values = [r[key] for r in rounds if key in r]
        merged[key] = statistics.median(values) if isinstance(values[0], (int, float)) else values[0]
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="GGUF file (default: the demo model)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="rounds (each loads both sides)")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--side", choices=("direct", "worker"), help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.model is None:
        from coder.models.demo import demo_model_path

        args.model = str(demo_model_path())
    if args.side:
        measure = bench_direct if args.side == "direct" else bench_worker
        with_grammar = args.round == 0  # the grammar run is slow on the direct side
        print(json.dumps(measure(args.model, args.threads, args.round, args.n_ctx, with_grammar)))
        return
    # Rounds alternate the sides, so a burst of load from elsewhere on the machine
    # hits both about equally; the table shows medians over rounds.
    worker_rounds, direct_rounds = [], []
    for round_index in range(args.repeat):
        sides = ("worker", "direct") if round_index % 2 == 0 else ("direct", "worker")
        for side in sides:
            figures = run_side(side, args, round_index)
            (worker_rounds if side == "worker" else direct_rounds).append(figures)
    worker, direct = medians(worker_rounds), medians(direct_rounds)
    print(f"model: {Path(args.model).name}  threads: {args.threads}  repeat: {args.repeat}  "
          f"prompt: {direct['prompt_tokens']} tokens  (medians of {args.repeat} rounds; each side in its own process)")
    rows = [
        ("model load", "load_s", "s"),
        ("time to first token (fresh prompt)", "ttft_s", "ms"),
        ("prompt tokens/s", "prompt_tps", ""),
        ("generated tokens/s", "gen_tps", ""),
        ("1-token request, prompt cached", "cached_one_token_s", "ms"),
        ("tokenize round trip", "tokenize_s", "ms"),
        ("per token, free", "free_per_token_s", "ms"),
        ("per token, 300-name grammar", "grammar_per_token_s", "ms"),
    ]
    print(f"{'figure':38}{'llama.cpp direct':>18}{'coder worker':>16}{'difference':>14}")
    for label, key, unit in rows:
        scale = 1000 if unit == "ms" else 1
        a, b = direct[key] * scale, worker[key] * scale
        diff = f"{(b - a):+.2f} {unit}" if unit else f"{(b / a - 1) * 100:+.1f}%"
        print(f"{label:38}{a:>15.2f} {unit:2}{b:>13.2f} {unit:2}{diff:>14}")
    overhead_ms = (worker["cached_one_token_s"] - direct["cached_one_token_s"]) * 1000
    ttft_ratio = worker["ttft_s"] / direct["ttft_s"]
    print(f"\nworker overhead per request: {overhead_ms:.2f} ms (target < 5 ms)")
    print(f"time to first token, worker / direct: {ttft_ratio:.3f} (target <= 1.10)")
    print(f"grammar output (greedy, must match): direct {direct['grammar_text']!r}, "
          f"worker {worker['grammar_text']!r}")


if __name__ == "__main__":
    main()
