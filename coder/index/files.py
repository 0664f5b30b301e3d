"""Which files of a repository the index considers.

Inside a git work tree git itself answers (`git ls-files` for tracked and untracked
files that no .gitignore, nested .gitignore or .git/info/exclude excludes); outside
one, .gitignore files are read with pathspec's gitignore rules, and the directories
no project writes by hand are not entered: hidden ones (.cache, .npm, .local),
node_modules, __pycache__ and virtual environments (a pyvenv.cfg). A folder that is
not a repository (a home directory, /tmp) is mostly those: walking them took
minutes.

This module only names candidates: it neither stats nor reads them. The refresh
stats each once (the size limit and the cache check need it) and the parse
workers, which read the files anyway, tell binary from text (a NUL in the first
8 KB). Files whose extension says binary (.pyc, .so, images, archives) are never
read at all: on a copy of a site-packages tree they are a third of the files.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pathspec

BINARY_SNIFF_BYTES = 8192
BINARY_EXTENSIONS = frozenset((
    ".pyc", ".pyo", ".pyd", ".so", ".dll", ".dylib", ".a", ".o", ".obj", ".lib", ".exe", ".class", ".jar",
    ".whl", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".tar", ".png", ".jpg", ".jpeg", ".gif",
    ".bmp", ".ico", ".webp", ".pdf", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mo", ".npy", ".npz",
    ".sqlite", ".sqlite3", ".db", ".gguf", ".bin", ".wasm", ".mp3", ".mp4", ".wav", ".ogg",
))


def has_binary_extension(name: str) -> bool:
    dot = name.rfind(".")
    return dot > name.rfind("/") and name[dot:].lower() in BINARY_EXTENSIONS


def _git_files(root: Path) -> list[str] | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    # A tracked file deleted from the work tree is still listed: the refresh's stat drops it.
    return sorted({name for name in result.stdout.decode("utf-8", "replace").split("\0") if name})


GENERATED_DIRECTORIES = frozenset(("node_modules", "__pycache__"))


def _generated(directory: str, name: str) -> bool:
    """A directory outside git that holds no hand-written code (module docstring)."""
    if name.startswith(".") or name in GENERATED_DIRECTORIES:
        return True
    return os.path.exists(os.path.join(directory, name, "pyvenv.cfg"))


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
        if ".gitignore" in files:
            lines = (Path(directory) / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
            specs.append((relative_dir, pathspec.GitIgnoreSpec.from_lines(lines)))
        dirs[:] = sorted(d for d in dirs if not _generated(directory, d) and not ignored(relative_dir + d, True))
        found += [relative_dir + f for f in sorted(files) if not ignored(relative_dir + f, False)]
    return found


def list_candidates(root: Path, *, exclude: list[str] | None = None) -> list[str]:
    """Repo-relative POSIX paths that no ignore rule excludes, sorted (not yet
    checked for existence, size or content)."""
    names = _git_files(root) if (root / ".git").exists() else None
    if names is None:
        return _walk_with_gitignore(root, list(exclude or []))
    if exclude:
        spec = pathspec.GitIgnoreSpec.from_lines(exclude)
        names = [n for n in names if not spec.match_file(n)]
    return names
