"""Overhead per candidate: a fresh sandbox copy plus the test run in bubblewrap, minus
the bare pytest run of the same tests in the same interpreter (no copy, no sandbox).

    .venv/bin/python bench/bench_sandbox.py [--repeats 15]

Runs are interleaved (bare, sandboxed, bare, ...) so load on the machine hits both
alike; the figure is the median of the per-pair differences. Target: under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coder.loops.sandbox import Sandbox, interpreter_paths  # noqa: E402
from coder.loops.test_feedback import install_plugin, pytest_command, run_tests  # noqa: E402

QUICK = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    python = Path(sys.executable)
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        shutil.copytree(ROOT / "tests" / "fixtures" / "loops" / "buggy", repo)
        bare_env = {**os.environ, **QUICK, "PYTHONDONTWRITEBYTECODE": "1"}
        with Sandbox(repo, read_only_paths=interpreter_paths(python)) as sandbox:
            install_plugin(sandbox)
            bare_copy = sandbox.new_copy()  # the bare run needs the plugin too, for the same work
            bare_env["PYTHONPATH"] = os.pathsep.join([str(bare_copy), str(sandbox.support)])
            bare_env["CODER_LOOP_REPORT"] = str(bare_copy / ".report.json")
            bare, boxed, copy_times = [], [], []
            for _ in range(args.repeats):
                start = time.perf_counter()
                subprocess.run(pytest_command(python, None), cwd=bare_copy, env=bare_env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                bare.append(time.perf_counter() - start)
                start = time.perf_counter()
                copy = sandbox.new_copy()
                copied = time.perf_counter()
                run = run_tests(sandbox, copy, python, None, env=QUICK)
                sandbox.discard(copy)
                boxed.append(time.perf_counter() - start)
                copy_times.append(copied - start)
                assert run.finished and run.failed == 2, run.summary()
            # The sandbox's own start, without pytest's noise: `true` in it vs bare.
            start_costs = []
            for _ in range(args.repeats * 3):
                start = time.perf_counter()
                subprocess.run(["true"])
                middle = time.perf_counter()
                sandbox.run(["true"], bare_copy)
                start_costs.append(time.perf_counter() - middle - (middle - start))
    overhead = [b - a for a, b in zip(bare, boxed)]
    print(f"bare pytest run:            median {statistics.median(bare) * 1e3:7.1f} ms")
    print(f"copy + sandboxed run:       median {statistics.median(boxed) * 1e3:7.1f} ms "
          f"(copy {statistics.median(copy_times) * 1e3:.1f} ms)")
    print(f"overhead per candidate:     median {statistics.median(overhead) * 1e3:7.1f} ms "
          f"(quartiles {statistics.quantiles(overhead, n=4)[0] * 1e3:.1f}-"
          f"{statistics.quantiles(overhead, n=4)[2] * 1e3:.1f} ms, {args.repeats} pairs)")
    print(f"sandbox start (`true`):     median {statistics.median(start_costs) * 1e3:7.1f} ms "
          f"over a bare `true` ({len(start_costs)} pairs)")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
