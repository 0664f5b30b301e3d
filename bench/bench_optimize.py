"""Optimize effectiveness: correct but slow functions (bench/slow_functions) made faster
by `coder optimize`.

    .venv/bin/python bench/bench_optimize.py --model qwen2.5-coder-0.5b-instruct

Three conditions on the same model: 3 rounds with timings and the line profile of the
best so far as feedback, 3 rounds with timings only, and one shot. A function counts
as optimized when a candidate passes its tests and is at least 1.2x faster beyond the
noise (the verdict of coder/loops/timing.py). Printed: the share optimized and the
median speedup of the optimized ones. Candidates run in the real sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coder.errors import CoderError  # noqa: E402
from coder.loops.api import optimize  # noqa: E402
from coder.loops.sandbox import Limits  # noqa: E402
from coder.loops.session import REDRAWS, LoopOptions  # noqa: E402

FUNCTIONS = ROOT / "bench" / "slow_functions"
QUICK = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
# (rounds, feedback, redraws): one shot is one reply, whatever it is, as in bench_fix.
CONDITIONS = {"profile": (3, "profile", REDRAWS), "timings": (3, "timings", REDRAWS), "one_shot": (1, "none", 0)}
MIN_SPEEDUP = 1.2


def tasks() -> list[tuple[str, str, str]]:
    """(module file, function name, benchmark expression) of each slow function."""
    found = []
    for path in sorted(FUNCTIONS.glob("*.py")):
        if path.name.startswith("test_"):
            continue
        text = path.read_text(encoding="utf-8")
        bench = re.search(r"^# BENCH: (.+)$", text, re.M).group(1)
        name = re.search(r"^def (\w+)", text, re.M).group(1)
        found.append((path.name, name, bench))
    return found


def run_task(module: str, name: str, bench: str, backend, condition: tuple[int, str, int], folder: Path) -> dict:
    rounds, feedback, redraws = condition
    folder.mkdir(parents=True)
    shutil.copy(FUNCTIONS / module, folder / module)
    shutil.copy(FUNCTIONS / f"test_{module}", folder / f"test_{module}")
    options = LoopOptions(rounds=rounds, python=sys.executable, env=QUICK, limits=Limits(wall_s=60.0), redraws=redraws)
    started = time.perf_counter()
    try:
        result = optimize(folder, f"{module}::{name}", backend, options, bench=bench, feedback_mode=feedback)
    except CoderError as error:
        return {"task": name, "skipped": error.message}
    best = result.best.verdict if result.best else None
    speedup = best["speedup"] if best else None
    return {"task": name, "optimized": bool(best and speedup >= MIN_SPEEDUP), "speedup": speedup,
            "rounds": result.rounds, "seconds": round(time.perf_counter() - started, 1),
            "statuses": [c.status for c in result.candidates],
            # why each was rejected before testing, or what its tests said
            "reasons": [c.reason for c in result.candidates if c.reason]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="chat model name or GGUF path")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from coder.models.factory import open_chat_backend
    from coder.settings import load_settings

    try:
        backend = open_chat_backend(load_settings(start=ROOT), args.model).backend
    except CoderError as error:  # not installed, a bad path: the one line that says so
        print(f"{parser.prog}: {error.message}", file=sys.stderr)
        return 2
    rows = []
    chosen = [c for c in args.conditions.split(",") if c]
    try:
        with tempfile.TemporaryDirectory() as folder:
            for module, name, bench in tasks():
                for condition in chosen:
                    row = {"condition": condition, **run_task(module, name, bench, backend, CONDITIONS[condition],
                                                              Path(folder) / f"{name}-{condition}")}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        backend.close()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"\nmodel {args.model}, {len(tasks())} slow functions, load average {os.getloadavg()[0]:.2f}")
    for condition in chosen:
        done = [r for r in rows if r["condition"] == condition and "optimized" in r]
        won = [r for r in done if r["optimized"]]
        if done:
            median = f"{statistics.median(r['speedup'] for r in won):.2f}x" if won else "-"
            print(f"{condition:>9}: optimized {len(won)}/{len(done)}, median speedup of those {median}, "
                  f"seconds per function median {statistics.median(r['seconds'] for r in done):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
