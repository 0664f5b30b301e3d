"""The resolver at every `.` of real files: errors, confidence, and the slow requests.

    .venv/bin/python bench/bench_resolver_sweep.py [FILE.py ...] [--slow-ms 100]

Copies the files (default: three standard-library modules of this interpreter,
dataclasses, argparse and shutil) into a temporary git repository, then for every
`.` that follows a name or a bracket types the file up to it (the rest of the line
removed, as while typing) and asks the resolver for the names valid there. Each
request is a new version of the file, as each keystroke is. Prints the number of
sites, how many got a confident set, exceptions (there must be none), the median,
p99 and worst time, and how many requests took longer than --slow-ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.grounding import resolve_names  # noqa: E402
from coder.index.repo_index import RepoIndex  # noqa: E402


def default_files() -> list[Path]:
    import argparse as argparse_module
    import dataclasses
    import shutil as shutil_module

    return [Path(module.__file__) for module in (dataclasses, argparse_module, shutil_module)]


def member_sites(text: str):
    """(line, column after the dot, typed buffer) for each `.` after a name or bracket."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        for column, char in enumerate(line):
            if char == "." and column > 0 and (line[column - 1].isalnum() or line[column - 1] in ")]_"):
                typed = "\n".join(lines[:number] + [line[: column + 1]] + lines[number + 1:])
                yield number, column + 1, typed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--slow-ms", type=float, default=100.0)
    args = parser.parse_args()
    files = args.files or default_files()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        root.mkdir()
        for path in files:
            shutil.copy(path, root / path.name)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        index = RepoIndex(root, cache_path=Path(folder) / "index.sqlite3")
        index.refresh()
        times, high, errors = [], 0, 0
        for path in files:
            text = (root / path.name).read_text(encoding="utf-8")
            for line, column, typed in member_sites(text):
                started = time.perf_counter()
                try:
                    high += resolve_names(index, str(root / path.name), typed, line, column, "python").is_high
                except Exception as error:  # counted: the sweep is here to find them
                    errors += 1
                    print(f"  error at {path.name}:{line + 1}:{column}: {error!r}")
                times.append((time.perf_counter() - started) * 1000)
        index.close()
    ordered = sorted(times)
    slow = sum(1 for t in times if t > args.slow_ms)
    print(f"files: {', '.join(p.name for p in files)}")
    print(f"sites: {len(times)}  confident: {high} ({100 * high / max(1, len(times)):.0f}%)  errors: {errors}")
    print(f"ms per request: median {statistics.median(times):.1f}  p99 {ordered[int(0.99 * (len(ordered) - 1))]:.1f}  "
          f"worst {ordered[-1]:.0f}  over {args.slow_ms:.0f} ms: {slow}")


if __name__ == "__main__":
    main()
