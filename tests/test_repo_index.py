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
    assert "skipped (binary): blob.bin" in out
    assert main(["index", str(repo / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
