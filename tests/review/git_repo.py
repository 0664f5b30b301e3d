"""Real git repositories in temporary folders, and a fingerprint of what a review must not touch."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str, check: bool = True, env: dict | None = None, input: str | None = None):
    return subprocess.run(["git", *args], cwd=root, check=check, capture_output=True, text=True, input=input,
                          env={**os.environ, **GIT_ENV, **(env or {})}, timeout=120)


def new_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    return root


def write(root: Path, path: str, content: str | bytes) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8", newline="")


def commit_all(root: Path, message: str = "commit") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", message)
    return git(root, "rev-parse", "HEAD").stdout.strip()


def fingerprint(root: Path, *, index_bytes: bool = True) -> str:
    """A hash of the index, every working-tree file, HEAD and the refs.

    ``index_bytes=False`` hashes the index's entries (``git ls-files --stage``) instead
    of its file: `git commit` itself rewrites the file's cached stat data."""
    digest = hashlib.sha256()
    git_dir = root / ".git"
    if not index_bytes:
        digest.update(git(root, "ls-files", "--stage").stdout.encode())
    for name in (("index",) if index_bytes else ()) + ("HEAD", "MERGE_HEAD"):
        item = git_dir / name
        digest.update(name.encode() + (item.read_bytes() if item.is_file() else b"-"))
    digest.update(git(root, "for-each-ref").stdout.encode())
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == ".git" or not path.is_file():
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
