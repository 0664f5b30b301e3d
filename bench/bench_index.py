"""Repository index figures on a large real repository nobody here wrote.

    .venv/bin/python bench/bench_index.py [--repo PATH]

Default: SymPy 1.13.3's source distribution from PyPI (about 2,000 files), fetched
once into bench/out/ with `pip download --no-binary :all:`. Prints the cold build
rate (target >= 200 files/s on 2 cores), the warm start from the cache (target
< 1 s), the time to update one changed file (target <= 20 ms), and the time to
build the ranked repo map from the warm index.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.context.repo_map import build_repo_map  # noqa: E402
from coder.index.repo_index import RepoIndex  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
SDIST = "sympy==1.13.3"
MAP_BUDGETS = (1024, 4096)
MAP_RUNS = 3


def default_repo() -> Path:
    target = OUT / "sympy-1.13.3"
    if not target.is_dir():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", SDIST, "-d", str(OUT)], check=True)
        with tarfile.open(next(OUT.glob("sympy-1.13.3.tar.gz"))) as archive:
            archive.extractall(OUT, filter="data")
    return target


def _cpu_seconds() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=None)
    args = parser.parse_args()
    repo = args.repo or default_repo()
    with tempfile.TemporaryDirectory() as cache:
        cache_path = Path(cache) / "index.sqlite3"
        load = os.getloadavg()[0]
        before = _cpu_seconds()
        index = RepoIndex(repo, cache_path)
        cold = index.refresh()
        index.close()
        parent_cpu, workers_cpu = (after - start for after, start in zip(_cpu_seconds(), before))
        started = time.perf_counter()
        warm_index = RepoIndex(repo, cache_path)
        warm = warm_index.refresh()
        warm_s = time.perf_counter() - started
        queries = {}
        for label, call in (
            ("reference_counts() (first call: sums every file's counts)", warm_index.reference_counts),
            ("reference_counts() (cached)", warm_index.reference_counts),
            ("definitions('Symbol')", lambda: warm_index.definitions("Symbol")),
            ("members('Basic')", lambda: warm_index.members("Basic")),
        ):
            begin = time.perf_counter()
            found = len(call())
            queries[label] = ((time.perf_counter() - begin) * 1000, found)
        maps = {}
        for budget in MAP_BUDGETS:
            runs = []
            for _ in range(MAP_RUNS):
                begin = time.perf_counter()
                repo_map = build_repo_map(warm_index, budget_tokens=budget)
                runs.append(time.perf_counter() - begin)
            maps[budget] = (statistics.median(runs), repo_map)
        sample = [p for p in warm_index.files() if p.endswith(".py")]
        sizes = sorted(sample, key=lambda p: (repo / p).stat().st_size)
        typical = sizes[len(sizes) // 2]  # a median-sized file
        large = sizes[int(len(sizes) * 0.95)]
        timings = {}
        for label, name in (("median file", typical), ("95th-percentile file", large)):
            text = (repo / name).read_text(encoding="utf-8", errors="replace")
            runs = []
            for i in range(10):
                begin = time.perf_counter()
                warm_index.update_file(name, text + f"\n# edit {i}\n")
                runs.append((time.perf_counter() - begin) * 1000)
            timings[label] = (name, len(text.splitlines()), statistics.median(runs))
            saved = []
            for _ in range(10):  # the file as saved on disk: reparsed and written to the cache
                begin = time.perf_counter()
                warm_index.update_file(name)
                saved.append((time.perf_counter() - begin) * 1000)
            timings[label] += (statistics.median(saved),)
        warm_index.close()
    print(f"repository: {repo} ({cold.files} files, {cold.definitions} definitions, {cold.references} references)")
    print(f"cold build: {cold.seconds:.2f} s = {cold.files / cold.seconds:.0f} files/s (target >= 200); "
          f"load average before: {load:.1f} on {os.cpu_count()} cores")
    print(f"  CPU: {parent_cpu:.1f} s in this process + {workers_cpu:.1f} s in the parse workers; "
          f"{cold.files / ((parent_cpu + workers_cpu) / 2):.0f} files/s if two cores were free")
    print(f"warm start: {warm_s:.2f} s, {warm.parsed} files parsed (target < 1 s)")
    for label, (ms, found) in queries.items():
        print(f"{label}: {ms:.1f} ms ({found} results)")
    for budget, (seconds, repo_map) in maps.items():
        print(f"repo map, {budget} tokens: {seconds:.2f} s, median of {MAP_RUNS} ({len(repo_map.files)} files, "
              f"{len(repo_map.definitions)} definitions, {repo_map.tokens} estimated tokens)")
    for label, (name, lines, ms, saved_ms) in timings.items():
        print(f"update one {label} ({name}, {lines} lines): unsaved buffer {ms:.1f} ms, "
              f"saved file {saved_ms:.1f} ms (target <= 20 ms for a typical file)")


if __name__ == "__main__":
    main()
