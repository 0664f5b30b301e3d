"""Helpers for the loop tests: fixture projects as git repositories, whole-tree hashes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path


def make_repo(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "fixture"]):
        subprocess.run(command, cwd=destination, check=True, env=env)
    return destination


def tree_hash(root: Path) -> str:
    """Every path, mode and byte under root, .git included."""
    digest = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files) + dirs:
            path = Path(folder) / name
            stat = path.lstat()
            digest.update(f"{path.relative_to(root)}\0{stat.st_mode}\0".encode())
            if path.is_file() and not path.is_symlink():
                digest.update(path.read_bytes())
    return digest.hexdigest()
