"""The review and its commit hook: overhead, time by diff size, bugs found on real code.

    .venv/bin/python bench/bench_review.py overhead [--runs 5]
    .venv/bin/python bench/bench_review.py size [--model NAME] [--lines 10,100,1000]
    .venv/bin/python bench/bench_review.py bugs [--model NAME] [--cases 16] [--clean 8] [--out FILE.jsonl]

overhead: the installed hook's wall time for a staged 10-line change with the model
  unavailable (a model path that does not exist): Python start-up, reading the change,
  the sure checks, the index (cold once, then warm), the one-line warning. Target < 0.5 s.

size: review time for staged diffs of 10, 100 and 1,000 changed lines of real code (a
  module of an installed package, lines given a trailing comment so the code is the
  same), without a budget and with the hook's (20 s): units, hunks reviewed, seconds.

bugs: planted bugs in code none of us wrote: functions of installed packages
  (GitPython, pathspec, platformdirs) with one mutation each (a comparison's boundary,
  == / !=, and / or, an off-by-one, True / False, is / is not None), staged in a
  repository holding the original module. A bug is found when a finding is on the
  mutated line (findings off the change are dropped by the review, so any finding
  left is there). Clean diffs rename a local variable of a function throughout it: any
  finding is a false one. Reported at confidence cutoffs 0, 0.3, 0.5 (default), 0.7.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coder.index.tags import extract_tags  # noqa: E402

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
CUTOFFS = (0.0, 0.3, 0.5, 0.7)
MUTATIONS = [
    (r"(?<![<>=!])<(?![<=])", "<="), (r"<=", "<"), (r"(?<![<>=!-])>(?![>=])", ">="), (r">=", ">"),
    (r"==", "!="), (r"!=", "=="), (r"\band\b", "or"), (r"\bor\b", "and"),
    (r"\brange\(([^()]*)\)", r"range(\1 + 1)"), (r"\+ 1\b", "- 1"), (r"- 1\b", "+ 1"),
    (r"\breturn True\b", "return False"), (r"\breturn False\b", "return True"),
    (r"\bis not None\b", "is None"), (r"\bis None\b", "is not None"),
]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def repo_with(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    git(folder, "init", "-q", "-b", "main")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "original")
    return folder


def stage(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")
    git(root, "add", name)


def site_packages() -> Path:
    import git as gitpython

    return Path(gitpython.__file__).resolve().parents[1]


def real_modules() -> list[Path]:
    site = site_packages()
    names = ["git/util.py", "git/objects/util.py", "git/diff.py", "git/config.py", "git/refs/symbolic.py",
             "pathspec/util.py", "pathspec/patterns/gitwildmatch.py", "platformdirs/unix.py", "platformdirs/api.py"]
    return [site / name for name in names if (site / name).is_file()]


# -- overhead ------------------------------------------------------------------------


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_overhead(runs: int) -> None:
    source = real_modules()[0].read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        root = repo_with(Path(folder) / "repo", {"util.py": source})
        lines = source.split("\n")
        changed = [line + "  # touched" if line.strip() and not line.rstrip().endswith("\\") else line
                   for line in lines[:40]]
        edited = 0
        for number, line in enumerate(changed):
            if line != lines[number]:
                edited += 1
            if edited == 10:
                changed = changed[: number + 1]
                break
        stage(root, "util.py", "\n".join(changed + lines[len(changed):]))
        # The hook's own command line: `python -I` ignores PYTHON* variables, so bytecode
        # is written and used as in any install (the first run compiles it).
        env = {**os.environ, "CODER_HOME": str(home), "CODER_CHAT_MODEL": "/nonexistent/model.gguf",
               "CODER_MODEL": "/nonexistent/model.gguf"}
        times, cpu = [], []
        for _ in range(runs + 1):
            started, used = time.perf_counter(), _children_cpu()
            done = subprocess.run([sys.executable, "-I", "-m", "coder.review.hook_run"], cwd=root, env=env,
                                  capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            cpu.append(_children_cpu() - used)
        assert done.returncode == 0, done.stderr
        warm = times[1:]
        print(f"hook overhead, model unavailable, 10 changed lines of {real_modules()[0].name}:")
        print(f"  first run (cold index, bytecode compiled) {times[0]:.2f} s; warm: median {statistics.median(warm):.2f} s, "
              f"min {min(warm):.2f} s, max {max(warm):.2f} s over {len(warm)} runs; "
              f"CPU (user+sys) median {statistics.median(cpu[1:]):.2f} s")
        print(f"  last output: {done.stderr.strip().splitlines()[-1]}")


# -- the model -----------------------------------------------------------------------


def open_model(name: str | None):
    from coder.models.factory import open_chat_backend
    from coder.settings import load_settings

    settings = load_settings()
    opened = open_chat_backend(settings, name)
    return opened.backend, opened.description


def review(root: Path, backend, *, budget: float | None = None, min_confidence: float = 0.0):
    from coder.review.changes import open_repo, staged_changes
    from coder.review.session import run_review
    from coder.settings import load_settings
    from coder.workspace import Workspace

    settings = load_settings(start=root)
    workspace = Workspace(root, settings, chat_backend=backend)
    try:
        changes = staged_changes(open_repo(root))
        deadline = time.monotonic() + budget if budget else None
        started = time.perf_counter()
        result = run_review(workspace, changes, deadline=deadline, min_confidence=min_confidence)
        return result, time.perf_counter() - started
    finally:
        workspace._chat_backend = None  # the bench owns the backend; keep it for the next case
        workspace.close()


def bench_size(model: str | None, sizes: list[int]) -> None:
    backend, description = open_model(model)
    print(f"review time by diff size, {description}")
    modules = sorted(real_modules(), key=lambda p: -len(p.read_text(encoding="utf-8").split("\n")))
    try:
        for size in sizes:
            module = next((m for m in modules if len(m.read_text(encoding="utf-8").split("\n")) > size * 1.3), modules[0])
            lines = module.read_text(encoding="utf-8").split("\n")
            out, edited = [], 0
            for line in lines:
                if edited < size and line.strip() and not line.rstrip().endswith(("\\", ",")) and '"""' not in line:
                    out.append(line + "  # reviewed")
                    edited += 1
                else:
                    out.append(line)
            for budget in (None, 20.0):
                with tempfile.TemporaryDirectory() as folder:
                    root = repo_with(Path(folder) / "repo", {module.name: "\n".join(lines)})
                    stage(root, module.name, "\n".join(out))
                    result, seconds = review(root, backend, budget=budget, min_confidence=0.5)
                units = result.reviewed_hunks
                print(f"  {edited:5d} changed lines of {module.name}, budget {budget or 'none'}: {seconds:6.1f} s, "
                      f"{units} hunk(s) reviewed, {len(result.unreviewed)} unit(s) left unreviewed, "
                      f"{len(result.findings)} finding(s)")
    finally:
        backend.close()


def functions_of(module: Path) -> list[tuple[str, int, int]]:
    """(name, first line, last line), 0-based, of functions 4 to 40 lines long."""
    text = module.read_text(encoding="utf-8")
    found = []
    for tag in extract_tags("python", text.encode("utf-8"), module.name):
        if tag.role == "definition" and tag.kind in ("function", "method") and 4 <= tag.end_line - tag.line <= 40:
            found.append((tag.name, tag.line, tag.end_line))
    return found


def _outside_strings(line: str, position: int) -> bool:
    before = line[:position]
    return "#" not in before and before.count('"') % 2 == 0 and before.count("'") % 2 == 0


def code_lines(text: str) -> set[int]:
    """0-based numbers of the lines that hold code: a name, an operator or a number
    token. A docstring's inner lines hold only the string's token (an `and` in its
    prose is no bug to plant; the first version of this bench planted 6 of its 16
    there)."""
    numbers = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
                numbers.add(token.start[0] - 1)
    except (tokenize.TokenError, SyntaxError):
        return set()
    return numbers


def mutate(lines: list[str], first: int, last: int, rng: random.Random) -> tuple[int, str] | None:
    """(line index, mutated line) for one mutation inside the function's body."""
    options = []
    code = code_lines("\n".join(lines))
    for number in range(first + 1, last + 1):
        line = lines[number]
        if number not in code or line.lstrip().startswith(("#", '"', "'", "@")):
            continue
        for pattern, replacement in MUTATIONS:
            for match in re.finditer(pattern, line):
                if _outside_strings(line, match.start()):
                    options.append((number, line[: match.start()] + match.expand(replacement) + line[match.end():]))
                    break
    return rng.choice(options) if options else None


def rename_local(lines: list[str], first: int, last: int) -> list[str] | None:
    body = "\n".join(lines[first : last + 1])
    names = re.findall(r"^\s+([a-z_][a-z0-9_]*) = ", body, flags=re.M)
    for name in names:
        if name in ("self", "cls") or len(name) < 2:
            continue
        renamed = re.sub(rf"\b{name}\b", f"{name}_value", body)
        if renamed != body:
            return renamed.split("\n")
    return None


def compiles(text: str) -> bool:
    try:
        compile(text, "<mutant>", "exec")
        return True
    except SyntaxError:
        return False


def bench_bugs(model: str | None, cases: int, clean: int, out: Path | None) -> None:
    rng = random.Random(13)
    backend, description = open_model(model)
    print(f"planted bugs, {description}")
    candidates = [(m, f) for m in real_modules() for f in functions_of(m)]
    rng.shuffle(candidates)
    rows = []
    try:
        bug_cases = clean_cases = 0
        for module, (name, first, last) in candidates:
            if bug_cases >= cases and clean_cases >= clean:
                break
            lines = module.read_text(encoding="utf-8").split("\n")
            kind = "bug" if bug_cases < cases else "clean"
            if kind == "bug":
                mutation = mutate(lines, first, last, rng)
                if mutation is None:
                    continue
                number, new_line = mutation
                changed = lines[:number] + [new_line] + lines[number + 1:]
            else:
                renamed = rename_local(lines, first, last)
                if renamed is None:
                    continue
                changed = lines[:first] + renamed + lines[last + 1:]
                number = None
            text = "\n".join(changed)
            if not compiles(text):
                continue
            with tempfile.TemporaryDirectory() as folder:
                root = repo_with(Path(folder) / "repo", {module.name: "\n".join(lines)})
                stage(root, module.name, text)
                result, seconds = review(root, backend, min_confidence=0.0)
            model_findings = [f for f in result.findings if f.source == "model"]
            row = {"kind": kind, "module": module.name, "function": name, "line": None if number is None else number + 1,
                   "mutated": None if number is None else changed[number].strip(), "seconds": round(seconds, 2),
                   "findings": [{"line": f.line, "severity": f.severity, "confidence": f.confidence,
                                 "message": f.message} for f in model_findings],
                   "dropped": len(result.dropped), "unparsable": len(result.unparsable)}
            rows.append(row)
            if kind == "bug":
                bug_cases += 1
            else:
                clean_cases += 1
    finally:
        backend.close()
    if out:
        out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    bugs = [r for r in rows if r["kind"] == "bug"]
    cleans = [r for r in rows if r["kind"] == "clean"]
    print(f"  {len(bugs)} bug diffs, {len(cleans)} clean diffs; median {statistics.median(r['seconds'] for r in rows):.1f} s "
          f"a review; findings dropped by grounding/filters: {sum(r['dropped'] for r in rows)}, "
          f"unparsable parts: {sum(r['unparsable'] for r in rows)}")
    for cutoff in CUTOFFS:
        found = sum(1 for r in bugs if any(f["line"] == r["line"] and f["confidence"] >= cutoff for f in r["findings"]))
        false = sum(1 for r in cleans for f in r["findings"] if f["confidence"] >= cutoff)
        print(f"  cutoff {cutoff:.1f}: bug found in {found}/{len(bugs)} ({found / max(1, len(bugs)):.0%}); "
              f"false findings per clean diff {false / max(1, len(cleans)):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("overhead", "size", "bugs"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", help="chat model name or GGUF path (default: as coder chooses)")
    parser.add_argument("--lines", default="10,100,1000")
    parser.add_argument("--cases", type=int, default=16)
    parser.add_argument("--clean", type=int, default=8)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    if args.what == "overhead":
        bench_overhead(args.runs)
    elif args.what == "size":
        bench_size(args.model, [int(n) for n in args.lines.split(",")])
    else:
        bench_bugs(args.model, args.cases, args.clean, args.out)


if __name__ == "__main__":
    main()
