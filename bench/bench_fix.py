"""Fix effectiveness: HumanEval solutions with one planted bug each, repaired by `coder fix`.

    .venv/bin/python bench/bench_fix.py --model qwen2.5-coder-0.5b-instruct [--tasks 40]

For each task (tests/fixtures/loops/humaneval, bugs from bench/planted_bugs.py) three
conditions on the same model: up to 3 rounds with the trimmed test output as feedback
(the defaults), one shot without it (one reply, told only that the tests fail), and the
3 rounds told only that the tests fail. Printed: the share fixed, the rounds, replies
and seconds per task, and how many were fixed by a candidate written anew (the function
given back, the model asked for it from its signature and docstring, body not shown).
Candidates run in the real sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from planted_bugs import load_problems, plant, write_project  # noqa: E402

from coder.errors import CoderError  # noqa: E402
from coder.loops.api import fix  # noqa: E402
from coder.loops.sandbox import Limits  # noqa: E402
from coder.loops.session import LoopOptions  # noqa: E402

QUICK = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
# feedback: the loop as a user runs it. one_shot: the baseline, one reply, told
# only that the tests fail. no_output: the loop's rounds and redraws without the test
# output, to tell what the output itself adds from what more replies add.
CONDITIONS = {"feedback": dict(rounds=3, test_output=True), "one_shot": dict(rounds=1, test_output=False, redraws=0),
              "no_output": dict(rounds=3, test_output=False)}


def open_model(name: str):
    from coder.models.factory import open_chat_backend
    from coder.settings import load_settings

    return open_chat_backend(load_settings(start=ROOT), name).backend


def run_task(bug, backend, condition: dict, folder: Path) -> dict:
    repo = write_project(bug, folder)
    options = LoopOptions(python=sys.executable, env=QUICK, limits=Limits(wall_s=30.0), **condition)
    started = time.perf_counter()
    try:
        result = fix(repo, "solution.py::" + bug.entry_point, backend, options)
    except CoderError as error:
        return {"task": bug.task_id, "kind": bug.kind, "skipped": error.message}
    return {"task": bug.task_id, "kind": bug.kind, "fixed": result.outcome == "fixed", "rounds": result.rounds,
            "seconds": round(time.perf_counter() - started, 1),
            "replies": len(result.candidates),
            "rejected": sum(1 for c in result.candidates if c.status == "rejected"),
            "solved_anew": bool(result.best and result.best.anew),  # written from the docstring, body not shown
            # why each was rejected before testing (no usable definition, unchanged, ...)
            "reasons": [c.reason for c in result.candidates if c.status == "rejected"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="chat model name or GGUF path")
    parser.add_argument("--tasks", type=int, default=40, help="the first N problems (40: all of them)")
    parser.add_argument("--out", type=Path, help="write every task's result as JSON lines here")
    parser.add_argument("--conditions", default=",".join(CONDITIONS),
                        help=f"which of {', '.join(CONDITIONS)} to run, comma-separated (default: all)")
    args = parser.parse_args()
    unknown = [name for name in args.conditions.split(",") if name not in CONDITIONS]
    if unknown:
        parser.error(f"--conditions: {', '.join(unknown)} is not one of {', '.join(CONDITIONS)}")
    chosen = {name: CONDITIONS[name] for name in args.conditions.split(",")}
    bugs = [b for b in (plant(p, i) for i, p in enumerate(load_problems())) if b is not None][: args.tasks]
    try:
        backend = open_model(args.model)
    except CoderError as error:  # not installed, a bad path: the one line that says so
        print(f"{parser.prog}: {error.message}", file=sys.stderr)
        return 2
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for number, bug in enumerate(bugs):
                for name, condition in chosen.items():
                    row = {"condition": name, **run_task(bug, backend, condition, Path(folder) / f"{number}-{name}")}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        backend.close()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"\nmodel {args.model}, {len(bugs)} planted bugs, load average {os.getloadavg()[0]:.2f}")
    for name in chosen:
        done = [r for r in rows if r["condition"] == name and "fixed" in r]
        fixed = [r for r in done if r["fixed"]]
        if not done:
            continue
        print(f"{name:>9}: fixed {len(fixed)}/{len(done)} ({100 * len(fixed) / len(done):.0f}%), "
              f"rounds per fixed task {statistics.mean(r['rounds'] for r in fixed) if fixed else 0:.2f}, "
              f"seconds per task median {statistics.median(r['seconds'] for r in done):.1f}, "
              f"replies per task {statistics.mean(r['replies'] for r in done):.1f}, "
              f"rejected candidates {sum(r['rejected'] for r in done)}, "
              f"fixed by a candidate written anew {sum(1 for r in fixed if r.get('solved_anew'))}")
    skipped = [r for r in rows if "skipped" in r]
    if skipped:
        print(f"skipped: {len(skipped)} ({skipped[0]['skipped']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
