"""The index on a generated repository of any size (default 50,000 files).

    .venv/bin/python bench/bench_index_scale.py --dir DIR [--files 50000] [--interrupt-after S]

Writes DIR (a git work tree, files left untracked: git lists them the same way) once:
Python modules that import and call each other, a .gitignore'd build directory, a few
files over the size limit and a few binary ones. Then runs `coder index DIR` as a
user would, in a new process with an empty cache, sampling the resident memory of
the whole process tree (the command and its parse workers):

1. a cold build from scratch, not interrupted (the time, files/s, peak RSS);
2. a cold build interrupted with Ctrl-C (SIGINT to the process group) halfway;
3. the same command again: it reads only what the first left;
4. the warm start, `--map` first and with nothing changed.

With --interrupt-after S (for a busy machine) the first step is left out: the build
is interrupted after S seconds and the two parts are the cold build.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PACKAGES = 200


def generate(root: Path, files: int) -> None:
    if (root / ".generated").is_file() and (root / ".generated").read_text() == str(files):
        return
    random.seed(7)
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("build/\n")
    for i in range(files):
        package = f"pkg{i % PACKAGES:03d}"
        (root / package).mkdir(exist_ok=True)
        other = random.randrange(files)
        lines = [f"from pkg{other % PACKAGES:03d}.mod{other} import Model{other}, helper_{other}\n\n"]
        for j in range(random.choice((1, 2, 3, 5, 8))):
            lines.append(
                f"class Model{i}_{j}(Model{other}):\n    '''A generated class.'''\n\n"
                f"    def __init__(self, value):\n        self.value = value\n\n"
                f"    def compute_{j}(self, items):\n        total = 0\n        for item in items:\n"
                f"            total += helper_{other}(item) + self.value\n        return total\n\n\n"
            )
        lines.append(f"Model{i} = Model{i}_0\n\n\ndef helper_{i}(x):\n    return x * {i}\n")
        (root / package / f"mod{i}.py").write_text("".join(lines))
    (root / "build").mkdir(exist_ok=True)
    for i in range(100):
        (root / "build" / f"generated{i}.py").write_text("def ignored():\n    pass\n")
    for i in range(5):
        (root / f"huge{i}.py").write_text("x = 1\n" * 250_000)  # 1.5 MB: over the 1 MB default
        (root / f"blob{i}.dat").write_bytes(bytes(range(256)) * 64)
    (root / ".generated").write_text(str(files))


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants, in KB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def run(args: list[str], home: str, interrupt_after: float | None = None) -> dict:
    env = dict(os.environ, CODER_HOME=home, PYTHONPATH=str(HERE))
    begin = time.perf_counter()
    # SIGINT back to its default in the child: a bench started in the background (`cmd &`)
    # has it ignored, the child would inherit that and never see the Ctrl-C it is sent.
    process = subprocess.Popen([sys.executable, "-m", "coder", *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_kb(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if interrupt_after is not None:
        try:
            process.wait(timeout=interrupt_after)  # done before the interrupt: nothing to stop
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C on a terminal does
    out, err = process.communicate()
    sampler.join()
    return {"wall": time.perf_counter() - begin, "rc": process.returncode, "out": out, "err": err,
            "peak_mb": peak[0] / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--interrupt-after", type=float, default=None, metavar="S")
    args = parser.parse_args()
    begin = time.perf_counter()
    generate(args.dir, args.files)
    print(f"repository: {args.dir} ({args.files} modules + 100 ignored, 5 too large, 5 binary); "
          f"generated or found in {time.perf_counter() - begin:.0f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    stop_after = args.interrupt_after
    if stop_after is None:
        with tempfile.TemporaryDirectory() as home:
            probe = run(["index", str(args.dir)], home, interrupt_after=None)
            cold_s = float(re.search(r"time:\s+([\d.]+) s", probe["out"]).group(1))
        print(f"cold build: {cold_s:.1f} s as printed (wall {probe['wall']:.1f} s), "
              f"{args.files / cold_s:.0f} files/s, peak RSS of the process tree {probe['peak_mb']:.0f} MB")
        print("  " + " | ".join(line.strip() for line in probe["out"].splitlines()[:4]))
        stop_after = probe["wall"] / 2
    with tempfile.TemporaryDirectory() as home:
        stopped = run(["index", str(args.dir)], home, interrupt_after=stop_after)
        print(f"interrupted after {stop_after:.1f} s: exit {stopped['rc']}, peak RSS {stopped['peak_mb']:.0f} MB, "
              f"{stopped['err'].strip().splitlines()[-1] if stopped['err'].strip() else '(no message)'}")
        resumed = run(["index", str(args.dir)], home)
        print(f"resumed: {resumed['out'].splitlines()[0].strip()}, {resumed['wall']:.1f} s wall "
              f"({re.search(r'time:.*', resumed['out']).group(0)}), peak RSS {resumed['peak_mb']:.0f} MB")
        print("  " + " | ".join(line.strip() for line in resumed["out"].splitlines()[1:4]))
        warm = run(["index", str(args.dir)], home)
        print(f"warm start: {warm['out'].splitlines()[0].strip()}, {warm['wall']:.2f} s wall "
              f"({re.search(r'time:.*', warm['out']).group(0)})")
        for label in ("first", "unchanged"):
            mapped = run(["index", str(args.dir), "--map", "--tokens", "1024"], home)
            print(f"--map {label}: {mapped['wall']:.2f} s wall, peak RSS {mapped['peak_mb']:.0f} MB, "
                  f"{mapped['err'].strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
