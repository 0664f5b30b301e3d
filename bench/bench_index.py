"""Repository index figures on a large real repository nobody here wrote.

    .venv/bin/python bench/bench_index.py [--repo PATH] [--floor] [--compare-with SRC]

Default: SymPy 1.13.3's source distribution from PyPI (about 2,000 files), fetched
once into bench/out/ with `pip download --no-binary :all:`. Prints, for the same
files:

- the cold build as a user times it: `coder index PATH` in a new process with an
  empty cache (what the CLI prints, and the wall time of the whole command);
- the warm start (`coder index PATH` again), and `coder index --map` with nothing
  changed;
- in this process: the repo map (first request, the same request again, and the
  request after one file changed), one-file updates (an unsaved buffer parsed
  incrementally, the saved file), and the lookups cross-file context makes (the
  definitions of every identifier near a cursor);
- with --floor: the parser's floor, the same files parsed and run through the
  tags query (nothing else) in two processes, alternated with in-process cold
  builds (--floor-rounds, 3), each pair's ratio and their median.

--compare-with SRC runs the CLI figures from another source tree of coder too (say
the commit before, `git archive`d), alternating the two, so both see the same load.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.context.cross_file import names_near  # noqa: E402
from coder.context.repo_map import build_repo_map  # noqa: E402
from coder.index.repo_index import RepoIndex  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out"
SDIST = "sympy==1.13.3"
MAP_BUDGETS = (1024, 4096)
RUNS = 5


def default_repo() -> Path:
    target = OUT / "sympy-1.13.3"
    if not target.is_dir():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", SDIST, "-d", str(OUT)], check=True)
        with tarfile.open(next(OUT.glob("sympy-1.13.3.tar.gz"))) as archive:
            archive.extractall(OUT, filter="data")
    return target


def run_cli(source: Path, args: list[str], home: str) -> tuple[float, str, str]:
    """Wall seconds of `python -m coder ARGS` run from a source tree, and its output."""
    env = dict(os.environ, CODER_HOME=home, PYTHONPATH=str(source))
    begin = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "coder", *args], env=env, capture_output=True, text=True, cwd=source)
    wall = time.perf_counter() - begin
    if done.returncode != 0:
        raise SystemExit(f"coder {' '.join(args)} from {source} failed: {done.stderr.strip()[-400:]}")
    return wall, done.stdout, done.stderr


def reported_seconds(stdout: str) -> float:
    return float(re.search(r"^time:\s+([\d.]+) s", stdout, re.M).group(1))


def cli_figures(source: Path, repo: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        wall, out, _ = run_cli(source, ["index", str(repo)], home)
        files = int(re.search(r"^files:\s+(\d+)", out, re.M).group(1))
        figures = {"files": files, "cold (printed)": reported_seconds(out), "cold (wall)": wall}
        wall, out, _ = run_cli(source, ["index", str(repo)], home)
        figures.update({"warm (printed)": reported_seconds(out), "warm (wall)": wall})
        for attempt in ("map first (wall)", "map unchanged (wall)"):
            figures[attempt], _, _ = run_cli(source, ["index", str(repo), "--map", "--tokens", "1024"], home)
    return figures


def _floor_chunk(root: str, jobs: list[tuple[str, str]]) -> int:
    import tree_sitter

    from coder.index.tags import tags_query
    from coder.syntax.languages import new_parser

    captured = 0
    for relative, language in jobs:
        source = (Path(root) / relative).read_bytes()
        tree = new_parser(language).parse(source)
        captured += len(tree_sitter.QueryCursor(tags_query(language).main).captures(tree.root_node))
    return captured


def parser_floor(repo: Path, index: RepoIndex) -> tuple[float, int, int]:
    """Seconds to parse and query every tagged file in two processes (started
    before the clock), the files and their bytes."""
    from concurrent.futures import ProcessPoolExecutor

    from coder.index.tags import has_tags

    jobs = [(path, index.language_of(path)) for path in index.files()]
    jobs = [job for job in jobs if has_tags(job[1])]
    size = sum((repo / path).stat().st_size for path, _ in jobs)
    chunks = [jobs[i : i + 48] for i in range(0, len(jobs), 48)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_floor_chunk, [str(repo)] * 2, [[], []]))  # workers up and imported
        begin = time.perf_counter()
        list(pool.map(_floor_chunk, [str(repo)] * len(chunks), chunks))
        return time.perf_counter() - begin, len(jobs), size


def median_ms(call, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        call()
        times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times)


def build_against_floor(repo: Path, index: RepoIndex, rounds: int) -> None:
    """Cold builds (each into a new cache) and the parser floor, alternated: on a
    shared machine the speed drifts by a fifth over minutes, so only a build and a
    floor timed next to each other make a ratio."""
    ratios = []
    for number in range(rounds):
        with tempfile.TemporaryDirectory() as cache:
            fresh = RepoIndex(repo, Path(cache) / "index.sqlite3")
            build = fresh.refresh().seconds
            fresh.close()
        seconds, files, size = parser_floor(repo, index)
        ratios.append(build / seconds)
        print(f"  round {number + 1}: cold build {build:.2f} s, parser floor (parse + tags query, 2 processes, "
              f"{files} files, {size / 1e6:.1f} MB) {seconds:.2f} s: {ratios[-1]:.2f}x (load {os.getloadavg()[0]:.1f})")
    print(f"cold build against the floor, median of {rounds}: {statistics.median(ratios):.2f}x")


def in_process_figures(repo: Path, floor_rounds: int) -> None:
    with tempfile.TemporaryDirectory() as cache:
        index = RepoIndex(repo, Path(cache) / "index.sqlite3")
        cold = index.refresh()
        print(f"in-process cold build: {cold.seconds:.2f} s, {cold.files} files "
              f"({cold.definitions} definitions, {cold.references} references); "
              f"skipped {len(cold.skipped_binary)} binary, {len(cold.skipped_large)} too large")
        if floor_rounds:
            build_against_floor(repo, index, floor_rounds)
        for budget in MAP_BUDGETS:
            begin = time.perf_counter()
            first = build_repo_map(index, budget_tokens=budget)
            first_s = time.perf_counter() - begin
            again_ms = median_ms(lambda: build_repo_map(index, budget_tokens=budget))
            print(f"repo map, {budget} tokens: first {first_s:.2f} s, unchanged {again_ms:.2f} ms "
                  f"({len(first.files)} files, {len(first.definitions)} definitions, {first.tokens} tokens)")
        sample = sorted((p for p in index.files() if p.endswith(".py")), key=lambda p: (repo / p).stat().st_size)
        for label, name in (("median", sample[len(sample) // 2]), ("95th-percentile", sample[int(len(sample) * 0.95)])):
            text = (repo / name).read_text(encoding="utf-8", errors="replace")
            middle = text.index("\n", len(text) // 2) + 1
            near = names_near(text, text.count("\n", 0, middle))
            lookups = median_ms(lambda: [index.definitions(n) for n in near])
            edits = [text[:middle] + f"x_{i} = {i}\n" + text[middle:] for i in range(RUNS * 2 + 1)]
            index.update_file(name, edits[0])  # the buffer opens: a full parse
            step = iter(edits[1:])
            typed = median_ms(lambda: index.update_file(name, next(step)), RUNS * 2)
            begin = time.perf_counter()
            build_repo_map(index, budget_tokens=MAP_BUDGETS[0])
            changed_map = time.perf_counter() - begin
            index.update_file(name)  # closed: back to the file on disk
            saved = median_ms(lambda: index.update_file(name))
            print(f"update a {label} file ({name}, {len(text.splitlines())} lines): unsaved buffer {typed:.1f} ms "
                  f"(incremental), saved file {saved:.1f} ms; repo map after the change {changed_map:.2f} s; "
                  f"definitions of the {len(near)} names near its middle {lookups:.1f} ms")
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=None)
    parser.add_argument("--floor", action="store_true", help="also measure the parser's floor on the same files")
    parser.add_argument("--floor-rounds", type=int, default=3, help="cold builds and floors alternated (with --floor)")
    parser.add_argument("--compare-with", type=Path, default=None, metavar="SRC",
                        help="another coder source tree to time the CLI of, alternating with this one")
    parser.add_argument("--rounds", type=int, default=1, help="CLI rounds (each tree once per round)")
    parser.add_argument("--no-cli", action="store_true", help="only the in-process figures")
    args = parser.parse_args()
    repo = (args.repo or default_repo()).resolve()
    print(f"repository: {repo}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.no_cli:
        sources = [("this tree", HERE)] + ([("compared", args.compare_with.resolve())] if args.compare_with else [])
        for round_number in range(args.rounds):
            for label, source in sources:
                load = os.getloadavg()[0]
                figures = cli_figures(source, repo)
                files = figures.pop("files")
                cold = figures["cold (printed)"]
                print(f"[round {round_number + 1}, {label}, load {load:.1f}] coder index: {files} files, "
                      f"cold {cold:.2f} s = {files / cold:.0f} files/s (wall {figures['cold (wall)']:.2f} s); "
                      f"warm {figures['warm (printed)']:.2f} s (wall {figures['warm (wall)']:.2f} s); "
                      f"--map first {figures['map first (wall)']:.2f} s, unchanged {figures['map unchanged (wall)']:.2f} s (wall)")
    in_process_figures(repo, args.floor_rounds if args.floor else 0)


if __name__ == "__main__":
    main()
