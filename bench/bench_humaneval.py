"""Completion quality on HumanEval single-line infilling (../shared/data).

    .venv/bin/python bench/bench_humaneval.py [--limit 100] [--all] [--context local]
        [--candidates 3]

Each task's text is prompt + an empty line + suffix, the cursor on the empty line where
the removed line was; the engine completes it. Reports exact match (whitespace-trimmed) of the raw first line
of model output and of the post-processed suggestion, and pass@1 of the suggestion:
the finished program runs its tests in a subprocess with a timeout, inside a
bubblewrap sandbox (no network, read-only file system) when bwrap is available.

With ``--context none`` the engine sees the prefix only; with ``local`` a prefix-only
model's suggestions are also judged against the code after the cursor, and further
candidates are sampled when one does not fit (``--candidates``); the run reports how
often that happened and why.
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
from coder.models.llama_backend import LlamaWorkerBackend  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "humaneval-infilling" / "HumanEval-SingleLineInfilling.jsonl.gz"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=100, help="tasks to run (every k-th for spread)")
    parser.add_argument("--all", action="store_true", help="all 1,033 tasks")
    parser.add_argument("--context", default="local", choices=("none", "local", "repo"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--candidates", type=int, default=3, help="most generations per task")
    args = parser.parse_args()
    tasks = [json.loads(line) for line in gzip.open(args.data, "rt")]
    if not args.all:
        step = max(1, len(tasks) // args.limit)
        tasks = tasks[::step][: args.limit]
    if args.model is None:
        from coder.models.demo import demo_model_path

        args.model = str(demo_model_path())
    backend = LlamaWorkerBackend(args.model, n_ctx=2048, n_threads=args.threads)
    engine = CompletionEngine(backend)
    raw_exact = post_exact = passed = 0
    rejections: dict[str, int] = {}
    replaced = 0
    latencies = []
    started = time.perf_counter()
    for task in tasks:
        # The removed line becomes an empty line with the cursor on it, as in an
        # editor where the user opened a line to write it (the prompt ends at a newline).
        text = task["prompt"] + "\n" + task["suffix"]
        line = task["prompt"].count("\n")
        column = len(task["prompt"].rsplit("\n", 1)[-1])
        engine.cache.forget(task["task_id"])
        suggestion = engine.complete(
            CompletionRequest(task["task_id"], text, line, column, language="python", max_tokens=48,
                              budget_tokens=1024, context=args.context, multiline="never",
                              candidates=args.candidates)
        )
        latencies.append(suggestion.timings_ms["total"])
        for tried in suggestion.candidates:
            if tried["rejected"]:
                rejections[tried["rejected"]] = rejections.get(tried["rejected"], 0) + 1
        replaced += len(suggestion.candidates) > 1 and suggestion.text != suggestion.candidates[0]["text"]
        expected = task["canonical_solution"].strip()
        raw_exact += engine.last_raw.split("\n", 1)[0].strip() == expected
        post_exact += suggestion.text.strip() == expected
        completed_line = suggestion.text + ("\n" if not suggestion.text.endswith("\n") else "")
        program = task["prompt"] + completed_line + task["suffix"] + "\n" + task["test"] + f"\ncheck({task['entry_point']})\n"
        passed += run_tests(program)
    backend.close()
    count = len(tasks)
    print(f"model: {Path(args.model).name}  tasks: {count}  context: {args.context}  "
          f"time: {time.perf_counter() - started:.0f} s")
    print(f"exact match, raw first line:      {raw_exact / count:.1%}")
    print(f"exact match, after post-processing: {post_exact / count:.1%}")
    print(f"pass@1, after post-processing:      {passed / count:.1%}")
    latencies.sort()
    print(f"latency ms: median {latencies[count // 2]:.0f}  p95 {latencies[min(count - 1, int(count * 0.95))]:.0f}")
    print(f"first suggestion replaced by a later candidate: {replaced} tasks; rejections: "
          + (", ".join(f"{reason} {n}" for reason, n in sorted(rejections.items())) or "none"))


if __name__ == "__main__":
    main()
