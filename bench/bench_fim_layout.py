"""Which FIM layout keeps typing cheap without losing quality: raw llama.cpp on HumanEval
infilling with the suffix in different places and sizes.

    .venv/bin/python bench/bench_fim_layout.py [--set single|multi] [--every K] [--model PATH]
        [--layouts psm,psm-3,psm-1,spm] [--out FILE.jsonl]

Why: in the prefix-suffix-middle layout (PSM, ``<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>``)
the code after the cursor comes after the typed text, so every keystroke evaluates the
whole suffix again; on this machine's ~40 prompt tokens/s a 200-token suffix costs 5 s
per keystroke. The layouts compared, greedy, same model, same run, one after another:

- ``psm``: the plain FIM prompt with the whole suffix (Qwen's documented layout);
- ``psm-N``: the same with the suffix cut to its first N lines (what a keystroke pays
  for is then N lines, not the rest of the file);
- ``spm``: suffix first (``<|fim_suffix|>S<|fim_prefix|>P<|fim_middle|>``, llama.cpp's
  ``spm_infill``): typing only appends to the prompt, so a keystroke pays for what
  was typed; the question is whether the model was trained on it.

With ``--typed`` the start of the removed line is already typed (its indentation and
first word, as when a user pauses after ``return``), and the layouts are where that
typed text goes:

- ``typed-prefix-nl``: at the end of the prefix, the suffix starting with the line's
  newline (the cursor at the end of a line: what the engine did);
- ``typed-prefix``: at the end of the prefix, the suffix starting at the next line;
- ``typed-middle``: after ``<|fim_middle|>`` (the hole starts at the line start and the
  model continues what is typed), the suffix starting at the next line: typing on the
  line then only appends to the prompt, as in SPM, but in Qwen's trained layout;
- ``typed-middle-nl``: the same with the suffix starting with the line's newline.

Prints exact match and pass@1 per layout, and the tokens a keystroke re-evaluates
(the suffix's tokens for PSM layouts, none for SPM and typed-middle).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_humaneval import default_model, first_line, load_tasks, passes, same_lines  # noqa: E402
from coder.models.backend import GenerationRequest  # noqa: E402
from coder.models.llama_backend import LlamaWorkerBackend  # noqa: E402

MAX_TOKENS = 64


def cut_lines(text: str, lines: int) -> str:
    kept = text.split("\n")[:lines]
    return "\n".join(kept) + ("\n" if len(text.split("\n")) > lines else "")


def typed_start(line: str) -> str:
    """The line's indentation and first word: where a user pauses."""
    body = line.lstrip(" \t")
    indent = line[: len(line) - len(body)]
    end = 0
    while end < len(body) and (body[end].isalnum() or body[end] == "_"):
        end += 1
    return indent + body[: max(end, 1)]


def layout_prompt(layout: str, fim: dict, bos: list[int], tokenize, prefix: str, suffix: str,
                  typed: str = "") -> tuple[list[int], int]:
    """(prompt ids, suffix tokens a keystroke re-evaluates)."""
    if layout == "typed-prefix-nl":
        return layout_prompt("psm", fim, bos, tokenize, prefix + typed, "\n" + suffix)
    if layout == "typed-prefix":
        return layout_prompt("psm", fim, bos, tokenize, prefix + typed, suffix)
    if layout in ("typed-middle", "typed-middle-nl"):
        ids, _ = layout_prompt("psm", fim, bos, tokenize, prefix, "\n" + suffix if layout.endswith("-nl") else suffix)
        return ids + tokenize(typed), 0
    if layout.startswith("psm-"):
        suffix = cut_lines(suffix, int(layout.split("-")[1]))
    suffix_ids = tokenize(suffix)
    if layout == "spm":
        return bos + [fim["suffix"]] + suffix_ids + [fim["prefix"]] + tokenize(prefix) + [fim["middle"]], 0
    return bos + [fim["prefix"]] + tokenize(prefix) + [fim["suffix"]] + suffix_ids + [fim["middle"]], len(suffix_ids)


def answer(backend, prompt: list[int], one_line: bool, keep_first: bool = False) -> str:
    """The output (its first non-empty line for one-line tasks; with keep_first, its
    first line, empty or not: the line is already begun)."""
    generation = backend.stream(GenerationRequest(prompt, max_tokens=MAX_TOKENS, temperature=0.0))
    output = ""
    pieces = iter(generation)
    for piece in pieces:
        output += piece
        if one_line and "\n" in (output if keep_first else output.lstrip("\n")):
            generation.cancel()
            break
    for _ in pieces:
        pass
    if one_line and keep_first:
        return output.split("\n", 1)[0]
    return first_line(output) if one_line else output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="single", choices=("single", "multi"))
    parser.add_argument("--every", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--layouts", default="psm,psm-3,psm-1,spm")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--typed", action="store_true", help="the line's first word is typed (single-line set)")
    args = parser.parse_args()
    if args.typed and args.layouts == parser.get_default("layouts"):
        args.layouts = "typed-prefix-nl,typed-prefix,typed-middle"
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    model = args.model or str(default_model())
    backend = LlamaWorkerBackend(model, n_ctx=2048, n_threads=args.threads)
    info = backend.info()
    specials = info.specials
    if not specials.has_fim:
        sys.exit(f"{Path(model).name}: the model has no FIM tokens; layouts only matter for FIM models")
    fim = {"prefix": specials.fim_prefix, "suffix": specials.fim_suffix, "middle": specials.fim_middle}
    bos = [specials.bos] if info.add_bos and specials.bos is not None else []
    tokenize = lambda text: backend.tokenize(text, special=False)  # noqa: E731
    tasks = load_tasks(args.set, args.every, False)[: args.limit]
    scores = {name: {"exact": 0, "passed": 0, "suffix_tokens": []} for name in layouts}
    out = args.out.open("w") if args.out else None
    started = time.perf_counter()
    try:
        for number, task in enumerate(tasks):
            record = {"task_id": task["task_id"], "expected": task["canonical_solution"]}
            typed = typed_start(task["canonical_solution"]) if args.typed else ""
            for name in layouts:
                prompt, suffix_tokens = layout_prompt(name, fim, bos, tokenize, task["prompt"], task["suffix"], typed)
                text = typed + answer(backend, prompt, one_line=args.set == "single", keep_first=bool(typed))
                exact = same_lines(text, task["canonical_solution"])
                passed = passes(task, text)
                scores[name]["exact"] += exact
                scores[name]["passed"] += passed
                scores[name]["suffix_tokens"].append(suffix_tokens)
                record[name] = {"answer": text, "exact": exact, "passed": passed}
            if out:
                out.write(json.dumps(record) + "\n")
                out.flush()
            if (number + 1) % 10 == 0:
                print(f"  {number + 1}/{len(tasks)}, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    finally:
        backend.close()
        if out:
            out.close()
    count = len(tasks)
    print(f"model: {Path(model).name}  set: {args.set}  tasks: {count}  time: {time.perf_counter() - started:.0f} s")
    print(f"{'layout':<8}{'exact':>8}{'pass@1':>8}{'re-evaluated per keystroke (median tokens)':>46}")
    for name, score in scores.items():
        tokens = sorted(score["suffix_tokens"])
        print(f"{name:<8}{score['exact'] / count:>8.1%}{score['passed'] / count:>8.1%}{tokens[len(tokens) // 2]:>46}")


if __name__ == "__main__":
    main()
