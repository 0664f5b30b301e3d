"""Per-token cost of the first-identifier grammar with the demo model.

Run:  .venv/bin/python bench/bench_name_grammar.py [--tokens 24] [--repeat 2]

Generates greedily with ``Llama.generate`` exactly as the llama worker does (grammar
sampler first, then greedy), once with no grammar and then with grammars over 10,
100 and 500 names in both shapes (trie / flat) and with or without the free tail.
Prints milliseconds per generated token, split into the "name" phase (first 3
tokens, while the name is being forced) and the "tail" phase (the rest), and the
extra cost over no grammar. The prompt is evaluated once and reused from the KV
cache, so the figures are decode + sampling only.

A second table runs the same greedy decode in an own loop with LazyGrammar (check the
model's pick against the grammar; mask the whole vocabulary only when it is
rejected), with and without a grammar, and counts the masked steps. "forced other"
leaves the model's favourite name out, so the grammar has to redirect it.

ggml's threads spin while they wait: on a busy 2-core machine ``--threads 1`` gives
steadier figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPT = '''import io


class Reader:
    """Reads records from a stream."""

    def __init__(self, stream: io.BufferedReader):
        self.stream = stream
        self.count = 0

    def read_record(self) -> bytes:
        self.count += 1
        return self.stream.readline()


def load(path):
    reader = Reader(open(path, "rb"))
    records = []
    while True:
        record = reader.'''

REAL_NAMES = ["read_record", "stream", "count", "close", "readline", "read", "records"]


def names(count: int) -> list[str]:
    extra = [f"attr_{i}_value{i % 7}" for i in range(max(0, count - len(REAL_NAMES)))]
    return (REAL_NAMES + extra)[:count]


def run(llm, prompt_ids, grammar_text, tokens: int):
    from llama_cpp import LlamaGrammar

    grammar = LlamaGrammar.from_string(grammar_text, verbose=False) if grammar_text else None
    gaps = []
    out = []
    start = time.perf_counter()
    generator = llm.generate(prompt_ids, temp=0.0, top_k=1, top_p=1.0, min_p=0.0,
                             repeat_penalty=1.0, grammar=grammar)
    for token in generator:
        now = time.perf_counter()
        gaps.append(now - start)
        start = now
        if token == llm.token_eos() or len(out) >= tokens:
            break
        out.append(token)
    generator.close()
    text = llm.detokenize(out).decode("utf-8", errors="replace")
    # gaps[0] includes re-evaluating the cached prompt's last token; skip it.
    return gaps[1:], text


def run_lazy(llm, prompt_ids, grammar_text, tokens: int):
    """The same greedy generation with LazyGrammar: check the argmax, mask on rejection."""
    from coder.grounding.lazy_grammar import LazyGrammar, current_logits

    llm.reset()
    llm.eval(prompt_ids)
    gaps, out, masked = [], [], 0
    lazy = LazyGrammar(llm, grammar_text) if grammar_text else None
    start = time.perf_counter()
    while len(out) < tokens:
        logits = current_logits(llm)
        token = int(logits.argmax())
        if lazy is not None:
            if not lazy.allows(token):
                masked += 1
                token = int(lazy.mask(logits).argmax())
            lazy.accept(token)
        if token == llm.token_eos():
            break
        out.append(token)
        llm.eval([token])
        now = time.perf_counter()
        gaps.append(now - start)
        start = now
    if lazy is not None:
        lazy.close()
    return gaps, llm.detokenize(out).decode("utf-8", errors="replace"), masked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import llama_cpp

    from coder.grounding.name_grammar import first_identifier_grammar
    from coder.models.demo import demo_model_path

    llm = llama_cpp.Llama(str(demo_model_path()), n_ctx=1024, n_threads=args.threads,
                          verbose=False)
    prompt_ids = llm.tokenize(PROMPT.encode(), add_bos=True, special=False)
    print(f"model: {Path(llm.model_path).name}, vocab {llm.n_vocab()}, "
          f"prompt {len(prompt_ids)} tokens, {args.tokens} tokens per run, "
          f"{args.repeat} runs, {args.threads} threads")

    configs = [("no grammar", None)]
    for count in (10, 100, 500):
        configs.append((f"trie {count:>3} + free tail", first_identifier_grammar(names(count))))
        configs.append((f"flat {count:>3} + free tail",
                        first_identifier_grammar(names(count), shape="flat")))
    configs.append(("trie 500, name only", first_identifier_grammar(names(500), tail="none")))
    configs.append(("free tail only (.*)", "root ::= .*\n"))

    run(llm, prompt_ids, None, 4)  # warm up, fills the KV cache with the prompt
    baseline = None
    print(f"{'grammar':<24}{'name ms/tok':>12}{'tail ms/tok':>12}{'all ms/tok':>12}"
          f"{'extra ms/tok':>14}  output")
    for label, grammar_text in configs:
        gaps: list[float] = []
        text = ""
        for _ in range(args.repeat):
            run_gaps, text = run(llm, prompt_ids, grammar_text, args.tokens)
            gaps.extend(run_gaps)
        name_phase = [g for i, g in enumerate(gaps) if i % max(1, len(gaps) // args.repeat) < 3]
        tail_phase = [g for i, g in enumerate(gaps) if i % max(1, len(gaps) // args.repeat) >= 3]
        mean_all = statistics.mean(gaps) * 1000
        if baseline is None:
            baseline = mean_all
        print(f"{label:<24}{statistics.mean(name_phase) * 1000:>12.1f}"
              f"{(statistics.mean(tail_phase) * 1000 if tail_phase else float('nan')):>12.1f}"
              f"{mean_all:>12.1f}{mean_all - baseline:>14.1f}  {text[:40]!r}")

    print("\nlazy grammar (own decode loop: check the greedy token, full mask only when it is rejected):")
    print(f"{'grammar':<24}{'ms/tok':>12}{'masked steps':>14}  output")
    lazy_configs = [
        ("no grammar (same loop)", None),
        ("trie 500 + free tail", first_identifier_grammar(names(500))),
        ("trie 500, forced other", first_identifier_grammar(names(500)[7:])),  # model's pick excluded
    ]
    for label, grammar_text in lazy_configs:
        gaps, text, masked = run_lazy(llm, prompt_ids, grammar_text, args.tokens)
        print(f"{label:<24}{statistics.mean(gaps) * 1000:>12.1f}{masked:>14}  {text[:40]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
