"""The installed packages a repository's Python code imports, found without importing.

A class in the repository often derives from one in a dependency (``LazyMixin`` from
gitdb, ``Session`` from requests). Their source sits in the project's environment;
reading it with tree-sitter, like a repository file, tells their members without
running any of their code.

Where the environment is: ``$VIRTUAL_ENV``, else a ``.venv``, ``venv`` or ``env``
folder at the repository root, else the interpreter coder itself runs in (coder is
often installed into the project's own environment). Paths found here are absolute;
repository paths are relative, which is how the rest of the resolver tells them apart.
"""

from __future__ import annotations

import glob
import os
import sysconfig
from functools import lru_cache
from pathlib import Path

ENVIRONMENT_FOLDERS = (".venv", "venv", "env")
SUFFIXES = (".pyi", ".py")  # a stub says the API more plainly than the code
MAX_FILE_BYTES = 1_000_000


def _site_packages(environment: str) -> list[str]:
    pattern = os.path.join(environment, "lib", "python3*", "site-packages")
    return sorted(glob.glob(pattern)) + glob.glob(os.path.join(environment, "Lib", "site-packages"))


@lru_cache(maxsize=16)
def environment_roots(repo_root: str) -> tuple[str, ...]:
    """The site-packages folders imports resolve against, best first."""
    roots: list[str] = []
    virtual = os.environ.get("VIRTUAL_ENV")
    for environment in ([virtual] if virtual else []) + [os.path.join(repo_root, f) for f in ENVIRONMENT_FOLDERS]:
        roots += _site_packages(environment)
    if not roots:
        paths = sysconfig.get_paths()
        roots += [paths["purelib"], paths["platlib"]]
    seen: dict[str, None] = {}
    for root in roots:
        if os.path.isdir(root):
            seen.setdefault(os.path.realpath(root), None)
    return tuple(seen)


class InstalledModules:
    """Module name -> source file in the environment, looked up once per name."""

    def __init__(self, roots: tuple[str, ...]):
        self.roots = roots
        self._found: dict[str, tuple[str | None, str | None] | None] = {}

    def find(self, dotted: str) -> tuple[str | None, str | None] | None:
        """(file, package folder) of an installed module, or None when not installed.
        A namespace package has a folder and no file."""
        if dotted not in self._found:
            self._found[dotted] = self._search(dotted.split("."))
        return self._found[dotted]

    def _search(self, parts: list[str]) -> tuple[str | None, str | None] | None:
        if not all(part.isidentifier() for part in parts):
            return None
        for root in self.roots:
            found = module_path(os.path.join(root, *parts))
            if found is not None:
                return found
        return None


def module_path(target: str) -> tuple[str | None, str | None] | None:
    """(file, package folder) for an absolute path without suffix, as Python would
    import it: a module file, a package's ``__init__``, or a namespace folder."""
    for suffix in SUFFIXES:
        if os.path.isfile(target + suffix):
            return target + suffix, None
    for suffix in SUFFIXES:
        if os.path.isfile(os.path.join(target, "__init__" + suffix)):
            return os.path.join(target, "__init__" + suffix), target
    if os.path.isdir(target) and submodules(target):
        return None, target
    return None


@lru_cache(maxsize=512)
def submodules(folder: str) -> frozenset[str]:
    """Names importable from an installed package folder."""
    names = set()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return frozenset()
    for entry in entries:
        stem, dot, suffix = entry.name.partition(".")
        if entry.is_file() and dot and "." + suffix in SUFFIXES and stem.isidentifier() and stem != "__init__":
            names.add(stem)
        elif entry.is_dir() and entry.name.isidentifier() and entry.name != "__pycache__":
            names.add(entry.name)
    return frozenset(names)


def read_installed(path: str) -> str | None:
    """An installed file's text; None when unreadable or too large to be worth it."""
    try:
        if Path(path).stat().st_size > MAX_FILE_BYTES:
            return None
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
