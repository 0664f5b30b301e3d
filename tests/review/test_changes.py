"""What a review reads from git, in real repositories; nothing it does changes them.

Each case hashes the index, the working tree, HEAD and the refs before and after
reading the change and reviewing it (with a scripted model: the mechanics here are
git's, the model's part is tested on the real model elsewhere)."""

from __future__ import annotations

import json

import pytest

from coder.review.changes import file_target, open_repo, range_changes, staged_changes
from coder.review.reviewer import Reviewer
from coder.settings import ReviewSettings
from tests.review.git_repo import commit_all, fingerprint, git, new_repo, write
from tests.support.scripted_backend import ScriptedBackend

NO_FINDINGS = json.dumps({"findings": []})


def review_untouched(root, changes):
    """Review with a scripted model that finds nothing; the repository must not change."""
    before = fingerprint(root)
    backend = ScriptedBackend(lambda request: NO_FINDINGS)
    result = Reviewer(ReviewSettings(confidence="off"), open_model=lambda: backend).review(changes)
    assert fingerprint(root) == before
    return result, backend


def staged(root):
    before = fingerprint(root)
    changes = staged_changes(open_repo(root))
    assert fingerprint(root) == before
    return changes


def test_partially_staged_file_is_reviewed_as_staged(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "calc.py", "def add(a, b):\n    return a + b\n")
    commit_all(root)
    write(root, "calc.py", "def add(a, b):\n    return a - b\n")
    git(root, "add", "calc.py")
    write(root, "calc.py", "def add(a, b):\n    return a * b  # not staged\n")
    changes = staged(root)
    [change] = changes.files
    assert change.line(2) == "    return a - b"
    assert change.changed_lines == {2}
    result, backend = review_untouched(root, changes)
    prompt = backend.chat_requests[0].messages[-1].content
    assert "return a - b" in prompt and "not staged" not in prompt
    assert result.reviewed_hunks == 1


def test_added_file_in_a_repository_without_commits(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "first.py", "print('hello')\nprint('world')\n")
    git(root, "add", "first.py")
    changes = staged(root)
    assert changes.base is None
    [change] = changes.files
    assert (change.path, change.status, change.changed_lines) == ("first.py", "A", {1, 2})
    review_untouched(root, changes)


def test_rename_with_an_edit_keeps_both_names(tmp_path):
    root = new_repo(tmp_path / "repo")
    body = "".join(f"value_{n} = {n}\n" for n in range(20))
    write(root, "old_name.py", body)
    commit_all(root)
    git(root, "mv", "old_name.py", "new_name.py")
    write(root, "new_name.py", body.replace("value_7 = 7", "value_7 = 70"))
    git(root, "add", "new_name.py")
    [change] = staged(root).files
    assert (change.path, change.old_path, change.status) == ("new_name.py", "old_name.py", "R")
    assert change.changed_lines == {8}
    assert change.hunks[0].removed == ("value_7 = 7",)


def test_binary_deleted_and_symlinked_files_are_skipped_with_a_reason(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "gone.py", "x = 1\n")
    commit_all(root)
    git(root, "rm", "-q", "gone.py")
    write(root, "image.png", b"\x89PNG\r\n\x1a\n\0\0\0binary")
    (root / "link.py").symlink_to("elsewhere.py")
    git(root, "add", "image.png", "link.py")
    changes = staged(root)
    assert changes.files == []
    assert dict(changes.skipped) == {"gone.py": "deleted", "image.png": "binary", "link.py": "symbolic link"}
    result, backend = review_untouched(root, changes)
    assert backend.chat_requests == [] and result.findings == []


def test_crlf_file_keeps_its_line_numbers(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "win.py", "a = 1\r\nb = 2\r\nc = 3\r\n")
    commit_all(root)
    write(root, "win.py", "a = 1\r\nb = 20\r\nc = 3\r\n")
    git(root, "add", "win.py")
    [change] = staged(root).files
    assert change.crlf and "\r" not in change.text
    assert change.changed_lines == {2} and change.line(2) == "b = 20"
    assert change.hunks[0].added == ("b = 20",)


def test_submodule_change_is_skipped(tmp_path):
    inner = new_repo(tmp_path / "inner")
    write(inner, "lib.py", "x = 1\n")
    commit_all(inner)
    root = new_repo(tmp_path / "repo")
    write(root, "main.py", "import lib\n")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sub")
    changes = staged(root)
    assert ("sub", "submodule") in changes.skipped
    assert [f.path for f in changes.files] == [".gitmodules"]
    review_untouched(root, changes)


def test_merge_in_progress_reviews_what_the_merge_stages(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "a.py", "a = 1\n")
    write(root, "b.py", "b = 1\n")
    commit_all(root)
    git(root, "checkout", "-q", "-b", "other")
    write(root, "b.py", "b = 2\n")
    commit_all(root, "other")
    git(root, "checkout", "-q", "main")
    write(root, "a.py", "a = 2\n")
    commit_all(root, "main")
    git(root, "merge", "--no-commit", "--no-ff", "-q", "other")
    assert (root / ".git" / "MERGE_HEAD").is_file()
    changes = staged(root)
    assert [(f.path, f.changed_lines) for f in changes.files] == [("b.py", {1})]
    review_untouched(root, changes)
    assert (root / ".git" / "MERGE_HEAD").is_file()


def test_conflicted_merge_skips_unmerged_files(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "a.py", "a = 1\n")
    commit_all(root)
    git(root, "checkout", "-q", "-b", "other")
    write(root, "a.py", "a = 2\n")
    commit_all(root, "other")
    git(root, "checkout", "-q", "main")
    write(root, "a.py", "a = 3\n")
    commit_all(root, "main")
    git(root, "merge", "-q", "other", check=False)
    changes = staged(root)
    assert changes.files == [] and changes.skipped == [("a.py", "unmerged (resolve the conflict first)")]


def test_commit_and_range(tmp_path):
    root = new_repo(tmp_path / "repo")
    write(root, "a.py", "a = 1\n")
    first = commit_all(root)
    write(root, "a.py", "a = 1\nb = 2\n")
    second = commit_all(root)
    write(root, "a.py", "a = 1\nb = 2\nc = 3\n")
    commit_all(root)
    repo = open_repo(root)
    before = fingerprint(root)
    assert range_changes(repo, "HEAD").files[0].changed_lines == {3}
    assert range_changes(repo, f"{first}..HEAD").files[0].changed_lines == {2, 3}
    root_commit = range_changes(repo, first)  # a root commit: against the empty tree
    assert root_commit.files[0].changed_lines == {1} and root_commit.commit == first
    assert range_changes(repo, f"{first}..{second}").files[0].changed_lines == {2}
    assert range_changes(repo, f"{second}...HEAD").files[0].changed_lines == {3}
    assert fingerprint(root) == before


def test_bad_revision_is_one_clear_error(tmp_path):
    from coder.review.changes import ReviewTargetError

    root = new_repo(tmp_path / "repo")
    write(root, "a.py", "a = 1\n")
    commit_all(root)
    with pytest.raises(ReviewTargetError, match="no such revision"):
        range_changes(open_repo(root), "nonexistent..HEAD")


def test_file_and_function_targets(tmp_path, monkeypatch):
    root = new_repo(tmp_path / "repo")
    write(root, "shapes.py", "class Box:\n    def area(self):\n        return self.w * self.h\n\n\ndef other():\n    pass\n")
    monkeypatch.chdir(root)
    whole = file_target(root, "shapes.py")
    assert whole.files[0].changed_lines == set(range(1, 8))
    method = file_target(root, "shapes.py::Box.area")
    assert method.files[0].changed_lines == {2, 3}
    assert file_target(root, "shapes.py::other").files[0].changed_lines == {6, 7}
    from coder.review.changes import ReviewTargetError

    with pytest.raises(ReviewTargetError, match="no function or class named missing"):
        file_target(root, "shapes.py::missing")
