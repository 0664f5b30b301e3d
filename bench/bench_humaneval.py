"""Completion quality on HumanEval infilling: the engine against raw llama.cpp.

    .venv/bin/python bench/bench_humaneval.py [--set single|multi|both] [--every K]
        [--full] [--model PATH] [--modes auto,never] [--context repo] [--out FILE.jsonl]
    .venv/bin/python bench/bench_humaneval.py --report FILE.jsonl   # the table of a run's records
    .venv/bin/python bench/bench_humaneval.py --report FILE.jsonl --replay   # ... post-processed again by today's code

Data: ../shared/data/humaneval-infilling/ (single-line and multi-line infilling: each
HumanEval solution with one line, or several whole lines, removed). The default
sample is every 10th single-line task and every 50th multi-line one; ``--full`` runs
every task (1,033 and 5,815).

Each task is completed, in the same run and one after the other, by:

- raw: llama.cpp alone on the same model, greedy, nothing trimmed. A FIM model gets
  the plain FIM prompt of the task, ``<|fim_prefix|>{prompt}<|fim_suffix|>{suffix}
  <|fim_middle|>``, and writes until its end of generation (at most 64 tokens, the engine's default); a
  prefix-only model gets the prompt. For single-line tasks the first non-empty line
  of its output is the answer (as usually quoted), for multi-line tasks the whole
  output (a prefix-only model's multi-line answer is also cut to its first line: it
  cannot know where the hole ends);
- the engine in each ``--modes`` (``auto`` is the default setting: on an empty line
  it suggests up to the rest of the block), through ``CompletionEngine.complete`` with
  the default request otherwise (``context="repo"`` over an index of a temporary
  repository holding the task's file, grounding on, 3 candidates, 64 tokens). The
  buffer is prompt + an empty line + suffix, the cursor at the start of that empty
  line, and the whole suggestion is inserted there as an editor inserts it.

Scores: exact match (single-line: the answer stripped equals the removed line
stripped; multi-line: the same lines, trailing spaces and blank lines at either end
aside) and pass@1 (the finished program runs its tests in a subprocess with a
timeout, inside a bubblewrap sandbox, no network and a read-only file system, when
bwrap is available). Prompt evaluation dominates the time: raw and the engine share
their prompt up to the suffix (file-level FIM when no other file is shown), the
engine's modes share all of it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.completion.engine import CompletionEngine, CompletionRequest  # noqa: E402
from coder.index.repo_index import RepoIndex  # noqa: E402
from coder.models.backend import GenerationRequest  # noqa: E402
from coder.models.llama_backend import LlamaWorkerBackend  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "humaneval-infilling"
SETS = {"single": "HumanEval-SingleLineInfilling.jsonl.gz", "multi": "HumanEval-MultiLineInfilling.jsonl.gz"}
DEFAULT_EVERY = {"single": 10, "multi": 50}
RAW_MAX_TOKENS = 64  # the engine's default max_tokens
ENGINE_MODES = ("auto", "never", "always")


def run_tests(program: str, timeout_s: float = 10.0) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "task.py"
        script.write_text(program)
        command = [sys.executable, str(script)]
        bwrap = shutil.which("bwrap")
        if bwrap:
            command = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                       "--ro-bind", folder, folder, "--unshare-all", "--die-with-parent"] + command
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0


def same_lines(answer: str, expected: str) -> bool:
    """Equal as whole lines: trailing spaces and blank lines at either end aside."""
    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip("\n").split("\n")]

    if "\n" not in expected.strip("\n"):
        return answer.strip() == expected.strip()
    return lines(answer) == lines(expected)


def passes(task: dict, inserted: str) -> bool:
    """The program with inserted in the hole (which ends at a line break) runs its tests."""
    middle = inserted if inserted.endswith("\n") else inserted + "\n"
    program = task["prompt"] + middle + task["suffix"] + "\n" + task["test"] + f"\ncheck({task['entry_point']})\n"
    return run_tests(program)


def first_line(text: str) -> str:
    return next((line for line in text.split("\n") if line.strip()), "")


def raw_answer(backend, fim: dict | None, bos: list[int], task: dict, kind: str) -> tuple[str, str, dict]:
    """llama.cpp alone: (its output, the answer taken from it, stats)."""
    tokenize = lambda text: backend.tokenize(text, special=False)  # noqa: E731
    if fim is not None:
        prompt = (bos + [fim["prefix"]] + tokenize(task["prompt"]) + [fim["suffix"]] + tokenize(task["suffix"])
                  + [fim["middle"]])
    else:
        prompt = bos + tokenize(task["prompt"])
    generation = backend.stream(GenerationRequest(prompt, max_tokens=RAW_MAX_TOKENS, temperature=0.0))
    output = ""
    one_line = kind == "single" or fim is None
    pieces = iter(generation)
    for piece in pieces:
        output += piece
        if one_line and "\n" in output.lstrip("\n"):
            generation.cancel()  # the first non-empty line is complete: the rest is not used
            break
    for _ in pieces:
        pass  # the stats come with the end
    stats = generation.stats
    answer = first_line(output) if one_line else output
    return output, answer, {"evaluated": stats.evaluated_tokens, "ms": round(stats.total_s * 1000)}


def load_tasks(kind: str, every: int | None, full: bool) -> list[dict]:
    tasks = [json.loads(line) for line in gzip.open(DATA / SETS[kind], "rt")]
    return tasks if full else tasks[:: every or DEFAULT_EVERY[kind]]


def default_model() -> Path:
    """The default completion model (Qwen2.5-Coder-0.5B-Instruct, joined from its
    installed PyPI parts), else the demo model."""
    from coder.models.demo import demo_model_path
    from coder.models.registry import QWEN_05B_INSTRUCT
    from coder.models.resolve import installed_path

    return installed_path(QWEN_05B_INSTRUCT) or demo_model_path()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="both", choices=("single", "multi", "both"))
    parser.add_argument("--every", type=int, default=None, help="every k-th task (default 10 single, 50 multi)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many tasks per set")
    parser.add_argument("--full", "--all", action="store_true", help="every task of each set")
    parser.add_argument("--modes", default="auto,never", help=f"engine modes, comma-separated: {', '.join(ENGINE_MODES)}")
    parser.add_argument("--context", default="repo", choices=("none", "local", "repo"))
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64, help="the engine's (the default setting)")
    parser.add_argument("--no-raw", action="store_true", help="the engine only")
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="one JSON line per task and answer")
    parser.add_argument("--report", type=Path, default=None, help="print the table of an earlier --out file (no model)")
    parser.add_argument("--replay", action="store_true",
                        help="with --report: post-process the recorded raw outputs again with the current code")
    args = parser.parse_args()
    if args.report:
        report(args.report, replay=args.replay)
        return
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if any(m not in ENGINE_MODES for m in modes):
        parser.error(f"modes are {', '.join(ENGINE_MODES)}")
    if args.model is None:
        args.model = str(default_model())
    kinds = ("single", "multi") if args.set == "both" else (args.set,)
    backend = LlamaWorkerBackend(args.model, n_ctx=2048, n_threads=args.threads)
    info = backend.info()
    specials = info.specials
    fim = {"prefix": specials.fim_prefix, "suffix": specials.fim_suffix, "middle": specials.fim_middle} if specials.has_fim else None
    bos = [specials.bos] if info.add_bos and specials.bos is not None else []
    out = args.out.open("w") if args.out else None
    answers = (["raw"] if not args.no_raw else []) + modes
    results = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "tasks"
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        index = RepoIndex(root, cache_path=Path(folder) / "index.sqlite3")
        index.refresh()
        engine = CompletionEngine(backend, index=index if args.context == "repo" else None)
        try:
            for kind in kinds:
                tasks = load_tasks(kind, args.every, args.full)[: args.limit]
                scores = results[kind] = {name: {"exact": 0, "passed": 0, "empty": 0, "ms": []} for name in answers}
                results[kind]["tasks"] = len(tasks)
                for number, task in enumerate(tasks):
                    # Its own file per task, so no prompt anchor of one task serves another.
                    path = root / (task["task_id"].replace("/", "_") + f"_{kind}_{number}.py")
                    text = task["prompt"] + "\n" + task["suffix"]
                    index.update_file(path, text)
                    line = task["prompt"].count("\n")
                    record = {"set": kind, "task_id": task["task_id"], "expected": task["canonical_solution"]}
                    for name in answers:
                        if name == "raw":
                            output, answer, stats = raw_answer(backend, fim, bos, task, kind)
                            record["raw_output"] = output
                        else:
                            engine.cache.forget(str(path))
                            suggestion = engine.complete(CompletionRequest(
                                str(path), text, line, 0, language="python", max_tokens=args.max_tokens,
                                budget_tokens=1024, context=args.context, multiline=name, candidates=args.candidates))
                            answer = suggestion.text
                            stats = {"ms": suggestion.timings_ms["total"], "evaluated": suggestion.tokens["evaluated"],
                                     "mode": suggestion.mode, "raw": engine.last_raw,
                                     "candidates": suggestion.candidates}
                        exact = same_lines(answer, task["canonical_solution"])
                        passed = passes(task, answer)
                        score = scores[name]
                        score["exact"] += exact
                        score["passed"] += passed
                        score["empty"] += not answer.strip()
                        score["ms"].append(stats["ms"])
                        record[name] = {"answer": answer, "exact": exact, "passed": passed, **stats}
                    index.update_file(path, None)  # closed: gone from the index
                    if out:
                        out.write(json.dumps(record) + "\n")
                        out.flush()
                    if (number + 1) % 10 == 0:
                        print(f"  {kind} {number + 1}/{len(tasks)}, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        finally:
            backend.close()
            index.close()
            if out:
                out.close()
    print(f"model: {Path(args.model).name}  format: {engine.builder.format.name}  context: {args.context}  "
          f"time: {time.perf_counter() - started:.0f} s")
    print_table(results)


def print_table(results: dict) -> None:
    print(f"{'set':<8}{'tasks':>6}  {'answer':<22}{'exact':>8}{'pass@1':>8}{'empty':>7}{'p50 ms':>8}")
    for kind, scores in results.items():
        count = scores.pop("tasks")
        for name, score in scores.items():
            label = "raw llama.cpp" if name == "raw" else f"engine {name}" + (" (default)" if name == "auto" else "")
            latencies = sorted(score["ms"]) or [0]
            print(f"{kind:<8}{count:>6}  {label:<22}{score['exact'] / count:>8.1%}{score['passed'] / count:>8.1%}"
                  f"{score['empty']:>7}{latencies[len(latencies) // 2]:>8.0f}")


def replayed(record: dict, tasks: dict) -> dict:
    """The record with each engine answer post-processed again from its recorded raw
    output by the current code (no model): what a change to post-processing alone does.
    The engine's other candidates are not replayed, only the first generation."""
    from coder.completion.postprocess import postprocess
    from coder.completion.suffix_fit import repeats_next_line

    task = tasks[record["set"], record["task_id"]]
    prefix, suffix = task["prompt"], "\n" + task["suffix"]
    for name, answer in record.items():
        if name == "raw" or not isinstance(answer, dict) or "raw" not in answer:
            continue
        mode = answer.get("mode", "multi")
        text = postprocess(answer["raw"], language="python", prefix=prefix, suffix=suffix, mode=mode)
        if text and repeats_next_line(text, prefix, suffix):
            text = ""
        answer.update(answer=text, exact=same_lines(text, task["canonical_solution"]), passed=passes(task, text))
    return record


def report(path: Path, replay: bool = False) -> None:
    """The table again from the records of an earlier run (also of one cut short)."""
    results: dict = {}
    tasks = {}
    if replay:
        for kind in SETS:
            tasks.update({(kind, t["task_id"]): t for t in load_tasks(kind, None, True)})
    for line in path.open():
        record = json.loads(line)
        if replay:
            record = replayed(record, tasks)
        scores = results.setdefault(record["set"], {"tasks": 0})
        scores["tasks"] += 1
        for name, answer in record.items():
            if isinstance(answer, dict) and "exact" in answer:
                score = scores.setdefault(name, {"exact": 0, "passed": 0, "empty": 0, "ms": []})
                score["exact"] += answer["exact"]
                score["passed"] += answer["passed"]
                score["empty"] += not answer["answer"].strip()
                score["ms"].append(answer["ms"])
    print_table(results)

if __name__ == "__main__":
    main()
