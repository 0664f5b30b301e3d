"""Which files of a repository the index reads.

Inside a git work tree git itself answers (`git ls-files` for tracked and untracked
files that no .gitignore, nested .gitignore or .git/info/exclude excludes); outside
one, .gitignore files are read with pathspec's gitignore rules. Binary files (a NUL
in the first 8 KB) and files over the size limit are skipped with a note.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

BINARY_SNIFF_BYTES = 8192


@dataclass
class Skipped:
    binary: list[str] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)


def _git_files(root: Path) -> list[str] | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    names = {name for name in result.stdout.decode("utf-8", "replace").split("\0") if name}
    return sorted(n for n in names if (root / n).is_file())  # deleted-but-tracked files drop out


def _walk_with_gitignore(root: Path, extra: list[str]) -> list[str]:
    """Files under root that the .gitignore files (and ``extra`` patterns) keep.

    As git does: a deeper .gitignore overrides a shallower one (its ``!pattern`` can
    re-include what a parent excluded), and inside one file the last matching
    pattern decides; an excluded directory is not entered at all."""
    found = []
    specs: list[tuple[str, pathspec.PathSpec]] = []  # (directory prefix, its rules), shallow to deep
    if extra:
        specs.append(("", pathspec.GitIgnoreSpec.from_lines(extra)))

    def ignored(relative: str, is_dir: bool) -> bool:
        decision = False
        for base, spec in specs:
            if relative.startswith(base):
                include = spec.check_file(relative[len(base):] + ("/" if is_dir else "")).include
                if include is not None:
                    decision = include  # True: an ignore pattern matched; False: a `!` pattern
        return decision

    for directory, dirs, files in os.walk(root):
        relative_dir = Path(directory).relative_to(root).as_posix()
        relative_dir = "" if relative_dir == "." else relative_dir + "/"
        # Rules of directories os.walk has left behind no longer apply.
        specs = [(base, spec) for base, spec in specs if relative_dir.startswith(base)]
        ignore_file = Path(directory) / ".gitignore"
        if ignore_file.is_file():
            lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
            specs.append((relative_dir, pathspec.GitIgnoreSpec.from_lines(lines)))
        dirs[:] = sorted(d for d in dirs if d != ".git" and not ignored(relative_dir + d, True))
        found += [relative_dir + f for f in sorted(files) if not ignored(relative_dir + f, False)]
    return found


def list_source_files(
    root: Path, *, max_file_bytes: int, exclude: list[str] | None = None, known: dict | None = None
) -> tuple[list[str], Skipped]:
    """Repo-relative POSIX paths worth indexing, and what was skipped and why.

    ``known`` maps paths to the (mtime_ns, size) already indexed: such files were
    sniffed when they were indexed and are not read again while unchanged."""
    known = known or {}
    names = _git_files(root) if (root / ".git").exists() else None
    if names is None:
        names = _walk_with_gitignore(root, list(exclude or []))
    elif exclude:
        spec = pathspec.GitIgnoreSpec.from_lines(exclude)
        names = [n for n in names if not spec.match_file(n)]
    skipped = Skipped()
    kept = []
    for name in names:
        path = root / name
        try:
            stat = path.stat()
            size = stat.st_size
            if known.get(name) == (stat.st_mtime_ns, size):
                kept.append(name)
                continue
            if size > max_file_bytes:
                skipped.too_large.append(name)
                continue
            with path.open("rb") as handle:
                if b"\0" in handle.read(BINARY_SNIFF_BYTES):
                    skipped.binary.append(name)
                    continue
        except OSError:
            continue
        kept.append(name)
    return kept, skipped
