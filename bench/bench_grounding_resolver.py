"""How long resolve_names and check_suggestion take on a generated repository.

Run:  .venv/bin/python bench/bench_grounding_resolver.py [--modules 200] [--lines 400 1500]

Builds a repository of N Python modules (classes with methods and attributes, a few
inheritance chains) and a large current file, indexes it with RepoIndex, then times:
- the first call on a file version (parse + evaluation),
- the next keystroke inside the same word (the parse is reused),
- a keystroke elsewhere in the file (a new version: parse again),
- a bare-identifier completion, and the hallucination check of a suggestion,
and the same for a JavaScript file. Prints median milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def write_repo(root: Path, modules: int) -> None:
    package = root / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for i in range(modules):
        base = f"from pkg.m{i - 1} import Thing{i - 1} as Base\n" if i else "class Base:\n    pass\n"
        methods = "".join(
            f"    def method_{j}(self, a, b=1):\n        self.attr_{j} = a\n        return b\n\n" for j in range(12)
        )
        (package / f"m{i}.py").write_text(
            f"{base}\n\nclass Thing{i}(Base):\n    kind = {i}\n\n{methods}"
            f"def helper_{i}(x):\n    return Thing{i}()\n"
        )
    js = root / "web"
    js.mkdir()
    for i in range(modules // 4):
        methods = "".join(f"  method{j}(a) {{ this.field{j} = a; return a; }}\n" for j in range(12))
        (js / f"w{i}.js").write_text(f"export class Widget{i} {{\n{methods}}}\nexport function make{i}() {{ return new Widget{i}(); }}\n")


def current_python(lines: int) -> str:
    body = [f"from pkg.m{i} import Thing{i}" for i in range(20)]
    body += ["", "", "def work(value):", "    total = 0"]
    while len(body) < lines - 4:
        n = len(body)
        body.append(f"    item_{n} = Thing{n % 20}()")
        body.append(f"    total += item_{n}.method_{n % 12}(value)")
    body += ["    obj = Thing19()", "    obj.meth"]
    return "\n".join(body) + "\n"


def current_js(lines: int) -> str:
    body = [f"import {{ Widget{i} }} from './w{i}.js';" for i in range(10)]
    body += ["", "export function work(value) {", "  let total = 0;"]
    while len(body) < lines - 4:
        n = len(body)
        body.append(f"  const item{n} = new Widget{n % 10}();")
        body.append(f"  total += item{n}.method{n % 12}(value);")
    body += ["  const obj = new Widget9();", "  obj.meth"]
    return "\n".join(body) + "\n}\n"


def timed(function, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run(index, language: str, path: str, text: str, size: int, repeat: int) -> None:
    from coder.grounding import check_suggestion, resolve_names

    lines = text.split("\n")
    last = len(lines) - 2 if language == "python" else len(lines) - 3
    col = len(lines[last])
    edits = iter(range(10**6))

    def new_version():
        # A new file version each time: an edit far above the cursor.
        edited = text.replace("total", f"total{next(edits)}", 1)
        return resolve_names(index, path, edited, last, col, language)

    names = resolve_names(index, path, text, last, col, language)
    cold = timed(new_version, repeat)
    same_word = timed(lambda: resolve_names(index, path, text, last, col, language), repeat)
    call = "obj.method_1(val" if language == "python" else "obj.method1(val"
    scope_text = text.replace("obj.meth", call)
    scope_col = len(scope_text.split("\n")[last])
    resolve_names(index, path, scope_text, last, scope_col, language)
    scope = timed(lambda: resolve_names(index, path, scope_text, last, scope_col, language), repeat)
    check = timed(lambda: check_suggestion(
        "od_3(value).foo", names_context=names, index=index, path=path, text=text,
        line=last, col=col, language=language), repeat)
    print(f"{language:<11}{size:>5} lines, {len(names.names):>2} members ({names.confidence}): "
          f"new version {cold:6.2f} ms | same version {same_word:5.2f} ms | "
          f"bare identifier {scope:5.2f} ms | check {check:5.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--lines", type=int, nargs="+", default=[400, 1500])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from coder.index.repo_index import RepoIndex

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        write_repo(root, args.modules)
        index = RepoIndex(root, cache_path=Path(tmp) / "index.sqlite3")
        stats = index.refresh()
        print(f"repository: {stats.files} files, {stats.definitions} definitions")
        for size in args.lines:
            for language, path, text in (
                ("python", "pkg/current.py", current_python(size)),
                ("javascript", "web/current.js", current_js(size)),
            ):
                run(index, language, path, text, size, args.repeat)
        index.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
