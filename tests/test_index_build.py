"""Building the index at size: progress, cancel and interrupt with resume, what is
skipped and remembered; on real git repositories in temporary directories."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coder.index.repo_index import RepoIndex

ROOT = Path(__file__).resolve().parents[1]


def write_modules(root: Path, count: int, padding: int = 0) -> Path:
    """count small modules that import each other; padding: extra functions in each
    (a build that lasts long enough to be interrupted on a fast machine)."""
    root.mkdir(parents=True, exist_ok=True)
    extra = "".join(f"\n\ndef extra{n}(a, b):\n    total = a + b * {n}\n    return total\n" for n in range(padding))
    for i in range(count):
        (root / f"mod{i:04d}.py").write_text(
            f"from mod{(i + 1) % count:04d} import helper{(i + 1) % count}\n\n"
            f"class Thing{i}:\n    def run(self):\n        return helper{(i + 1) % count}({i})\n\n\n"
            f"def helper{i}(x):\n    return x\n" + extra
        )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_progress_is_reported_from_zero_to_all(tmp_path):
    root = write_modules(tmp_path / "repo", 150)  # enough for the worker processes
    calls = []
    stats = RepoIndex(root, tmp_path / "cache.sqlite3").refresh(
        progress=lambda done, total: calls.append((done, total, threading.get_ident()))
    )
    assert stats.parsed == 150 and stats.complete
    assert calls[0][:2] == (0, 150) and calls[-1][:2] == (150, 150)
    assert [done for done, _, _ in calls] == sorted(done for done, _, _ in calls)
    assert len(calls) > 3  # chunk by chunk, not only at the ends
    assert {thread for _, _, thread in calls} == {threading.get_ident()}  # the refreshing thread


def test_a_cancelled_build_keeps_what_it_read_and_the_next_refresh_reads_the_rest(tmp_path):
    root = write_modules(tmp_path / "repo", 300)
    cache = tmp_path / "cache.sqlite3"
    cancel = threading.Event()

    def stop_after_the_first_chunk(done, total):
        if done:
            cancel.set()

    first = RepoIndex(root, cache).refresh(progress=stop_after_the_first_chunk, cancel=cancel)
    assert not first.complete and 0 < first.parsed < 300
    again = RepoIndex(root, cache)
    assert len(again.files()) == first.parsed
    rest = again.refresh()
    assert rest.complete and rest.parsed == 300 - first.parsed and rest.cached == first.parsed
    whole = RepoIndex(root, tmp_path / "whole.sqlite3").refresh()
    assert (rest.definitions, rest.references) == (whole.definitions, whole.references)
    assert [t.path for t in again.definitions("helper7") if t.kind == "function"] == ["mod0007.py"]


def test_an_interrupted_build_resumes(tmp_path):
    root = write_modules(tmp_path / "repo", 300)
    cache = tmp_path / "cache.sqlite3"

    def interrupt(done, total):
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        RepoIndex(root, cache).refresh(progress=interrupt)
    resumed = RepoIndex(root, cache)
    kept = len(resumed.files())
    assert 0 < kept < 300
    stats = resumed.refresh()
    assert stats.cached == kept and stats.parsed == 300 - kept
    # The build cut short dropped the indexes of a fresh table; they are back.
    indexes = {row[0] for row in resumed._db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"def_names_name", "def_scopes_scope"} <= indexes


def child_processes(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


def test_ctrl_c_on_the_command_keeps_the_work_and_a_rerun_goes_on(tmp_path):
    """`coder index` on a real terminal (a pty): the progress bar shows, Ctrl-C stops
    it with one line, and the next run reads only what is left."""
    # Padded: unpadded, a quiet machine built all 3,000 files in 0.8 s, before the first progress line.
    root = write_modules(tmp_path / "repo", 3000, padding=60)
    env = dict(os.environ, CODER_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    pid, fd = pty.fork()
    if pid == 0:
        # As a terminal's foreground process has it: a runner started in the background
        # by a script (`cmd &`) ignores SIGINT, which its children inherit, and Python
        # started that way never raises KeyboardInterrupt (the build ran to its end).
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(sys.executable, [sys.executable, "-m", "coder", "index", str(root)], env)
    seen = b""
    deadline = time.monotonic() + 120
    while not [n for n in re.findall(rb"\] (\d+)/3000 files", seen) if int(n) > 0]:
        assert time.monotonic() < deadline, seen[-300:]
        if select.select([fd], [], [], 1)[0]:
            seen += os.read(fd, 4096)
    # Freeze the workers so the build cannot finish before the interrupt lands,
    # however fast or loaded the machine; they go on (and wind down) after it.
    workers = child_processes(pid)
    for worker in workers:
        os.kill(worker, signal.SIGSTOP)
    os.kill(pid, signal.SIGINT)  # what the terminal sends to the foreground process on Ctrl-C
    time.sleep(1)
    for worker in workers:
        os.kill(worker, signal.SIGCONT)
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 130, seen[-500:]
    assert b"interrupted:" in seen and b"run `coder index` again" in seen
    assert b"Traceback" not in seen
    rerun = subprocess.run([sys.executable, "-m", "coder", "index", str(root)], env=env,
                           capture_output=True, text=True, check=True)
    counts = rerun.stdout.splitlines()[0]  # files:      3000 (N parsed, M from cache, 0 removed)
    parsed = int(counts.split("(")[1].split()[0])
    assert counts.startswith("files:      3000") and 0 < parsed < 3000, counts


def test_skipped_files_are_remembered_and_the_size_limit_follows_changes(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "small.py").write_text("def small():\n    pass\n")
    (root / "grows.py").write_text("def grows():\n    pass\n")
    (root / "data.dat").write_bytes(b"\x00\x01" * 50)  # binary by its content
    (root / "module.pyc").write_bytes(b"not even read")  # binary by its extension
    (root / "ignored").mkdir()
    (root / "ignored" / "x.py").write_text("def ignored():\n    pass\n")
    (root / ".gitignore").write_text("ignored/\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    cache = tmp_path / "cache.sqlite3"
    stats = RepoIndex(root, cache, max_file_bytes=200).refresh()
    assert stats.skipped_binary == ["data.dat", "module.pyc"] and stats.skipped_large == []
    assert sorted(RepoIndex(root, cache, max_file_bytes=200).files()) == [".gitignore", "grows.py", "small.py"]
    warm = RepoIndex(root, cache, max_file_bytes=200).refresh()
    assert warm.to_parse == 0 and warm.skipped_binary == ["data.dat", "module.pyc"]  # nothing read again
    (root / "grows.py").write_text("def grows():\n    pass\n" + "# padding\n" * 40)
    index = RepoIndex(root, cache, max_file_bytes=200)
    grown = index.refresh()
    assert grown.skipped_large == ["grows.py"] and index.definitions("grows") == []
    (root / "grows.py").write_text("def grows():\n    return 2\n")
    shrunk = index.refresh()
    assert shrunk.skipped_large == [] and [t.name for t in index.definitions("grows")] == ["grows"]
    (root / "data.dat").unlink()
    gone = index.refresh()
    assert gone.removed == 1 and gone.skipped_binary == ["module.pyc"]


def test_a_script_without_extension_is_read_by_its_shebang(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "tool").write_text("#!/usr/bin/env python3\ndef main():\n    pass\n")
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    stats = index.refresh()
    assert stats.languages == {"python": 1} and [t.name for t in index.definitions("main")] == ["main"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="PYTHONSAFEPATH is Python 3.11's")
def test_parse_workers_never_import_the_repositorys_modules(tmp_path):
    """The workers start in the user's working directory, the repository: its own
    `multiprocessing` package must not be what they import."""
    root = write_modules(tmp_path / "repo", 100)
    marker = tmp_path / "ran"
    (root / "multiprocessing").mkdir()
    (root / "multiprocessing" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    env = dict(os.environ, CODER_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "coder", "index", "."], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "files:      101 (101 parsed" in done.stdout
    assert not marker.exists()
