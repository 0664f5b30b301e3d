"""The repository index on real git repositories in temporary directories."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from coder.cli.main import main
from coder.index.repo_index import RepoIndex


def git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "pkg" / "vendor").mkdir(parents=True)
    (root / "pkg" / "shapes.py").write_text(
        "class Shape:\n    def area(self):\n        return 0\n\n\nclass Square(Shape):\n"
        "    def __init__(self, side):\n        self.side = side\n\n    def area(self):\n        return self.side ** 2\n"
    )
    (root / "pkg" / "use.py").write_text("from pkg.shapes import Square\n\nprint(Square(2).area())\n")
    (root / "pkg" / "vendor" / "big.py").write_text("def vendored():\n    pass\n")
    (root / "pkg" / "vendor" / "keep.py").write_text("def kept():\n    pass\n")
    (root / "build").mkdir()
    (root / "build" / "gen.py").write_text("def generated():\n    pass\n")
    (root / ".gitignore").write_text("build/\n")
    (root / "pkg" / ".gitignore").write_text("vendor/*\n!vendor/keep.py\n")
    (root / "blob.bin").write_bytes(b"\0\1\2" * 100)
    (root / "huge.py").write_text("x = 1\n" * 200_000)
    git(root, "init", "-q")
    return root


def names(tags):
    return sorted({t.name for t in tags})


def test_build_respects_gitignore_and_skips_binary_and_huge(repo):
    index = RepoIndex(repo)
    stats = index.refresh()
    files = index.files()
    assert "pkg/shapes.py" in files and "pkg/vendor/keep.py" in files
    assert "build/gen.py" not in files and "pkg/vendor/big.py" not in files
    assert stats.skipped_binary == ["blob.bin"] and stats.skipped_large == ["huge.py"]
    assert names(index.members("Square")) == ["__init__", "area", "side"]
    assert [t.path for t in index.definitions("Square") if t.kind != "import"] == ["pkg/shapes.py"]
    assert index.reference_counts()["area"] == 1


def test_outside_git_the_gitignore_files_still_apply(repo):
    import shutil

    shutil.rmtree(repo / ".git")
    index = RepoIndex(repo)
    index.refresh()
    files = index.files()
    assert "pkg/vendor/keep.py" in files and "pkg/vendor/big.py" not in files and "build/gen.py" not in files


def test_outside_git_generated_directories_are_not_entered(repo):
    import shutil

    shutil.rmtree(repo / ".git")
    for folder in (".cache/pip", "node_modules/left-pad", "pkg/__pycache__", "venv/lib", ".venv/lib"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "junk.py").write_text("def junk():\n    pass\n")
    (repo / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (repo / "env_tools").mkdir()  # a directory that only looks like one
    (repo / "env_tools" / "real.py").write_text("def real():\n    pass\n")
    index = RepoIndex(repo)
    index.refresh()
    files = index.files()
    assert "env_tools/real.py" in files and "pkg/shapes.py" in files
    assert not [name for name in files if name.endswith("junk.py")]


def test_warm_start_reads_the_cache(repo):
    RepoIndex(repo).refresh()
    again = RepoIndex(repo)
    stats = again.refresh()
    assert stats.parsed == 0 and stats.cached == stats.files
    assert names(again.members("Square")) == ["__init__", "area", "side"]


def test_changed_deleted_and_renamed_files(repo):
    index = RepoIndex(repo)
    index.refresh()
    shapes = repo / "pkg" / "shapes.py"
    shapes.write_text(shapes.read_text() + "\n\ndef perimeter(s):\n    return 4 * s.side\n")
    os.utime(shapes, ns=(time.time_ns(), time.time_ns() + 10**9))
    (repo / "pkg" / "use.py").rename(repo / "pkg" / "main.py")
    (repo / "pkg" / "vendor" / "keep.py").unlink()
    stats = index.refresh()
    assert stats.parsed == 2 and stats.removed == 2
    assert [t.path for t in index.definitions("perimeter")] == ["pkg/shapes.py"]
    assert index.definitions("kept") == []
    assert "pkg/main.py" in index.files() and "pkg/use.py" not in index.files()


def test_unsaved_buffer_overrides_the_file_until_saved(repo):
    index = RepoIndex(repo)
    index.refresh()
    index.update_file(repo / "pkg" / "shapes.py", "class Circle:\n    def radius(self):\n        pass\n")
    assert [t.kind for t in index.definitions("Square")] == ["import"]  # only use.py's import
    assert names(index.members("Circle")) == ["radius"]
    assert index.read_text("pkg/shapes.py").startswith("class Circle")
    index.update_file("pkg/shapes.py")  # saved/closed: back to the file on disk
    assert names(index.members("Square")) == ["__init__", "area", "side"]


def test_index_command(repo, capsys):
    assert main(["index", str(repo), "--stats"]) == 0
    out = capsys.readouterr().out
    assert "files:      5 (5 parsed, 0 from cache" in out
    assert "skipped:    2 (1 binary, 1 over 1000000 bytes)" in out
    assert "skipped (binary): blob.bin" in out and "skipped (too large): huge.py" in out
    assert "languages:  python 3, text 2" in out  # text: the two .gitignore files
    python_row = next(line for line in out.splitlines() if line.startswith("  python "))
    assert python_row.split()[1:] == ["3", "8", "5"]  # files, definitions, references
    assert main(["index", str(repo)]) == 0
    assert "files:      5 (0 parsed, 5 from cache, 0 removed)" in capsys.readouterr().out
    assert main(["index", str(repo / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_reference_counts_follow_unsaved_buffers(repo):
    index = RepoIndex(repo)
    index.refresh()
    assert index.reference_counts()["Square"] == 1  # `Square(2)` in use.py
    assert [(t.name, t.kind, t.line) for t in index.references_in("pkg/use.py")] == [
        ("print", "call", 2), ("Square", "call", 2), ("area", "call", 2)
    ]
    index.update_file("pkg/use.py", "from pkg.shapes import Square\n\nSquare(1)\nSquare(2).grow()\n")
    counts = index.reference_counts()
    assert counts["Square"] == 2 and counts["grow"] == 1 and "print" not in counts
    assert "area" not in counts  # its only use was in the file on disk
    index.update_file("pkg/use.py")  # closed without saving
    assert index.reference_counts()["Square"] == 1 and "grow" not in index.reference_counts()


def test_many_files_are_parsed_by_worker_processes_and_cached(tmp_path):
    root = tmp_path / "big"
    root.mkdir()
    for i in range(90):  # over the threshold where the build uses two processes
        (root / f"mod{i}.py").write_text(f"class C{i}:\n    def m{i}(self):\n        return helper({i})\n")
    (root / "helpers.js").write_text("export function helper(x) { return x; }\n")
    cache = tmp_path / "cache.sqlite3"
    index = RepoIndex(root, cache)
    stats = index.refresh()
    assert (stats.files, stats.parsed, stats.languages) == (91, 91, {"python": 90, "javascript": 1})
    assert stats.definitions == 90 * 2 + 1 and stats.references == 90
    assert [(t.name, t.kind, t.scope) for t in index.definitions("m42")] == [("m42", "method", "C42")]
    assert index.reference_counts()["helper"] == 90
    index.close()
    again = RepoIndex(root, cache)
    warm = again.refresh()
    assert (warm.parsed, warm.cached, warm.definitions) == (0, 91, 181)


def test_a_cache_from_an_older_schema_is_rebuilt(repo, tmp_path):
    import sqlite3

    cache = tmp_path / "old.sqlite3"
    old = sqlite3.connect(cache)
    old.execute("CREATE TABLE files (path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, language TEXT)")
    old.execute("INSERT INTO files VALUES ('pkg/shapes.py', 1, 1, 'python')")
    old.commit()
    old.close()
    stats = RepoIndex(repo, cache).refresh()
    assert stats.parsed == stats.files == 5


@pytest.mark.parametrize("with_git", [True, False])
def test_nested_gitignore_overrides_its_parent(tmp_path, with_git):
    root = tmp_path / "nested"
    (root / "logs" / "deep").mkdir(parents=True)
    (root / ".gitignore").write_text("*.gen.py\nlogs/deep/\n")
    (root / "logs" / ".gitignore").write_text("!keep.gen.py\n")
    for name in ("a.py", "b.gen.py", "logs/keep.gen.py", "logs/drop.gen.py", "logs/deep/x.py"):
        (root / name).write_text("x = 1\n")
    if with_git:
        git(root, "init", "-q")
        (root / ".git" / "info").mkdir(exist_ok=True)
        (root / ".git" / "info" / "exclude").write_text("a.py\n")
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    expected = ["logs/keep.gen.py"] if with_git else ["a.py", "logs/keep.gen.py"]
    assert [f for f in index.files() if f.endswith(".py")] == expected
