"""A review as the fronts run it: choose the change, review it, keep the result.

``run_review`` is shared by ``coder review`` and the commit hook; ``remember`` puts the
result in the history store with what identifies its commit, and ``last_result``
reads it back (recognising the commit a staged review became, once it exists).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from coder.errors import CoderError
from coder.review.changes import Changes, file_target, head_commit, open_repo, range_changes, staged_changes
from coder.review.findings import ReviewResult
from coder.review.reviewer import Reviewer


def choose_changes(repo, root: Path, *, diff: str | None = None, target: str | None = None) -> Changes:
    if target:
        return file_target(root, target)
    if diff:
        return range_changes(repo, diff)
    return staged_changes(repo)


def diff_key(repo, sides: tuple[str, ...]) -> str:
    """What identifies a change: its files and blob ids (the raw diff), hashed."""
    raw = repo.git.diff(*sides, "--raw", "-z", "--no-abbrev", "-M", "--no-ext-diff")
    return hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()


def run_review(workspace, changes: Changes, *, deadline: float | None = None, use_model: bool = True,
               min_confidence: float | None = None) -> ReviewResult:
    settings = workspace.settings.review
    if min_confidence is not None:
        from dataclasses import replace

        settings = replace(settings, min_confidence=min_confidence)
    index = None
    if changes.files:
        try:
            index = workspace.index()
        except CoderError:
            index = None  # the review goes on without cross-file context and name checks
    open_model = (lambda: workspace.chat_backend) if use_model else None
    return Reviewer(settings, open_model=open_model, index=index).review(changes, deadline=deadline)


def remember(workspace, result: ReviewResult, outcome: str, key: str | None) -> str | None:
    """Keep the result; a store problem costs the record only (the message, or None)."""
    try:
        with workspace.store() as store:
            store.record_review(repo=str(workspace.root), result=result, outcome=outcome, diff_key=key)
    except CoderError as error:
        return f"{error.message} (the review was not recorded)"
    return None


def last_result(workspace) -> tuple[ReviewResult, dict] | None:
    """The latest review of this repository, with the commit it became when known."""
    with workspace.store() as store:
        record = store.last_review(str(workspace.root))
        if record is None:
            return None
        result = ReviewResult.from_dict(record["result"])
        if record["commit_sha"] is None and record["label"] == "staged" and record["diff_key"]:
            commit = _commit_made_from(workspace.root, record["base"], record["diff_key"])
            if commit:
                store.attach_review_commit(record["id"], commit)
                record["commit_sha"] = commit
        result.commit = record["commit_sha"]
        return result, record


def _commit_made_from(root: Path, base: str | None, key: str) -> str | None:
    """HEAD, when it is the commit the staged change (base + key) became."""
    repo = open_repo(root)
    head = head_commit(repo)
    if head is None:
        return None
    commit = repo.commit(head)
    parents = [p.hexsha for p in commit.parents]
    if base is None and not parents:
        sides = (repo.git.hash_object("-t", "tree", "/dev/null"), head)
    elif base is not None and parents[:1] == [base]:
        sides = (base, head)
    else:
        return None
    return head if diff_key(repo, sides) == key else None
