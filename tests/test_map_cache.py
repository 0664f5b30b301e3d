"""The repo map is cached by the index: a request with nothing changed reads nothing
again, a change re-reads only the changed file, and the result always equals a map
built from scratch."""

from __future__ import annotations

import os
import shutil
import time

from coder.context.repo_map import build_repo_map
from coder.index.repo_index import RepoIndex
from tests.test_repo_map import FILES, write_repo


def fresh_map(root, tmp_path, name, **options):
    """The map of a new index of a copy of the tree: nothing cached anywhere."""
    copy = tmp_path / name
    shutil.copytree(root, copy)
    index = RepoIndex(copy, tmp_path / f"{name}.sqlite3")
    index.refresh()
    return build_repo_map(index, **options).text


def touch(path, text):
    path.write_text(text)
    later = time.time_ns() + 10**9
    os.utime(path, ns=(later, later))


def test_an_unchanged_request_reads_nothing_again(tmp_path):
    root = write_repo(tmp_path / "repo", FILES)
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    first = index.repo_map(200)
    cache = index.map_cache()
    assert cache.rebuilds == 1
    again = index.repo_map(200)
    assert again.text == first.text and again.definitions == first.definitions
    assert (cache.rebuilds, cache.updated_files) == (1, 0)
    index.refresh()  # nothing changed on disk
    assert index.repo_map(200).text == first.text and (cache.rebuilds, cache.updated_files) == (1, 0)
    again.files.clear()  # what a caller does with its copy stays with it
    assert index.repo_map(200).files == first.files


def test_a_buffer_change_updates_the_map_from_that_file_only(tmp_path):
    root = write_repo(tmp_path / "repo", FILES)
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    before = index.repo_map(4000).text
    assert "def format_table(rows):" in before
    users = FILES["app/users.py"] + "\n\ndef report(rows):\n" + "    format_table(rows)\n" * 6
    index.update_file("app/users.py", users)
    cache = index.map_cache()
    after = index.repo_map(4000).text
    assert after != before and (cache.rebuilds, cache.updated_files) == (1, 1)
    write_repo(tmp_path / "expected", FILES | {"app/users.py": users})
    assert after == fresh_map(tmp_path / "expected", tmp_path, "scratch", budget_tokens=4000)
    index.update_file("app/users.py")  # closed without saving
    assert index.repo_map(4000).text == before and cache.updated_files == 2


def test_files_changed_or_removed_on_disk_update_the_map(tmp_path):
    root = write_repo(tmp_path / "repo", FILES)
    index = RepoIndex(root, tmp_path / "cache.sqlite3")
    index.refresh()
    index.repo_map(4000, focus_paths=["leaf/report.py"])
    touch(root / "util" / "strings.py", "def slugify(text):\n    return text.lower()\n\n\ndef titled(text):\n    return text.title()\n")
    (root / "leaf" / "layout.py").unlink()
    index.refresh()
    cache = index.map_cache()
    updated = index.repo_map(4000, focus_paths=["leaf/report.py"])
    assert (cache.rebuilds, cache.updated_files) == (1, 2)
    assert "def titled(text):" in updated.text and "leaf/layout.py" not in updated.files
    assert updated.text == fresh_map(root, tmp_path, "scratch", budget_tokens=4000, focus_paths=["leaf/report.py"])


def test_a_new_process_reads_the_stored_map_until_something_changes(tmp_path):
    root = write_repo(tmp_path / "repo", FILES)
    cache_path = tmp_path / "cache.sqlite3"
    first = RepoIndex(root, cache_path)
    first.refresh()
    made = first.repo_map(300)
    first.close()
    second = RepoIndex(root, cache_path)
    second.refresh()
    stored = second.repo_map(300)
    assert stored == made and second.map_cache().rebuilds == 0  # read, not built
    touch(root / "leaf" / "report.py", "def print_report(rows):\n    return rows\n")
    second.refresh()
    changed = second.repo_map(300)
    assert second.map_cache().rebuilds == 1 and changed.text == fresh_map(root, tmp_path, "scratch", budget_tokens=300)


def test_another_process_changing_the_cache_makes_the_map_rebuild(tmp_path):
    root = write_repo(tmp_path / "repo", FILES)
    cache_path = tmp_path / "cache.sqlite3"
    editor = RepoIndex(root, cache_path)
    editor.refresh()
    editor.repo_map(4000)
    touch(root / "util" / "strings.py", "def slugify(text):\n    return text\n\n\ndef other_name(x):\n    return x\n")
    RepoIndex(root, cache_path).refresh()  # say, `coder index` in a terminal
    assert "def other_name(x):" in editor.repo_map(4000).text
    assert editor.map_cache().rebuilds == 2
