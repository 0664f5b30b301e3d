"""The resolver's view of the repository index: files, module names, parsed files.

Everything here is cached: the file list and file texts for a second (a keystroke
must not query SQLite or read a dozen files), module maps for as long as the file
list is unchanged, and parsed files by path and text, so a file is parsed once per
version. ``forget`` drops the timed caches at once (after an edit elsewhere).

Python modules the repository does not have are looked for among the installed
packages (``python_environment``); their files go by absolute paths, repository
files by paths relative to the index root.
"""

from __future__ import annotations

import posixpath
import time
from collections import OrderedDict
from typing import Callable, TypeVar

from coder.grounding import python_environment

FILES_TTL_S = 1.0
TEXT_TTL_S = 1.0
PARSED_CACHE_SIZE = 256
# Versions kept per (kind, path): typing makes a new version of the current file at
# every keystroke, and hundreds of parsed versions of one large file (each a tree and
# thousands of bindings) made Python's full garbage collections take 0.4-1 s, every
# few dozen requests. Going back a few edits (an undo) is what older versions serve.
VERSIONS_PER_PATH = 4
PYTHON_SUFFIXES = (".py", ".pyi")
JS_SUFFIXES = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")

T = TypeVar("T")


class RepoView:
    def __init__(self, index):
        self.index = index
        self._files: tuple[str, ...] = ()
        self._file_set: frozenset[str] = frozenset()
        self._files_at = -1.0
        self._python_modules: dict[str, list[tuple[str, str | None, str | None]]] | None = None
        self._package_dirs: dict[str, set[str]] | None = None
        self._parsed: OrderedDict[tuple, object] = OrderedDict()
        self._versions: dict[tuple[str, str], list[tuple]] = {}  # cache keys per (kind, path), oldest first
        self._latest: dict[tuple[str, str], object] = {}  # newest version per (kind, path)
        self._texts: dict[str, tuple[float, str | None]] = {}  # path -> (read at, text)
        self._installed: python_environment.InstalledModules | None = None

    # -- files -------------------------------------------------------------------------

    def files(self) -> tuple[str, ...]:
        now = time.monotonic()
        if now - self._files_at > FILES_TTL_S:
            files = tuple(self.index.files())
            if files != self._files:
                self._files = files
                self._file_set = frozenset(files)
                self._python_modules = None
                self._package_dirs = None
            self._files_at = now
        return self._files

    def has_file(self, path: str) -> bool:
        if path.startswith("/"):
            return posixpath.isfile(path)
        self.files()
        return path in self._file_set

    def read_text(self, path: str) -> str | None:
        """A repository file's text (the index's unsaved buffer if it has one).

        Cached for TEXT_TTL_S: resolving one name may read a dozen files, and the
        next keystroke comes before any of them changes; ``forget`` drops it sooner.
        """
        now = time.monotonic()
        cached = self._texts.get(path)
        if cached is not None and (now - cached[0] <= TEXT_TTL_S or cached[0] == float("inf")):
            return cached[1]
        if path.startswith("/"):
            # An installed package changes only on an install: keep it.
            text = python_environment.read_installed(path)
            self._texts[path] = (float("inf"), text)
            return text
        try:
            text = self.index.read_text(path)
        except (OSError, UnicodeError):
            text = None
        self._texts[path] = (now, text)
        return text

    def forget(self, path: str | None = None) -> None:
        """Drop cached file texts (one path, or all) and the cached file list."""
        if path is None:
            self._texts.clear()
        else:
            self._texts.pop(path, None)
        self._files_at = -1.0

    def parsed(self, kind: str, path: str, text: str, build: Callable[[str, str, T | None], T]) -> T:
        """``build(text, path, previous)``, cached by (kind, path, text).

        ``previous`` is the last version built for (kind, path), so the builder can
        reparse incrementally.
        """
        key = (kind, path, len(text), hash(text))
        cached = self._parsed.get(key)
        if cached is not None and cached.text == text:  # type: ignore[attr-defined]
            self._parsed.move_to_end(key)
            return cached  # type: ignore[return-value]
        value = build(text, path, self._latest.get((kind, path)))
        self._latest[(kind, path)] = value
        if len(self._latest) > PARSED_CACHE_SIZE:
            self._latest.pop(next(iter(self._latest)))
        self._parsed[key] = value
        versions = self._versions.setdefault((kind, path), [])
        versions.append(key)
        if len(versions) > VERSIONS_PER_PATH:
            self._parsed.pop(versions.pop(0), None)
        if len(self._parsed) > PARSED_CACHE_SIZE:
            oldest, _ = self._parsed.popitem(last=False)
            held = self._versions.get(oldest[:2])
            if held is not None and oldest in held:
                held.remove(oldest)
        return value

    def parsed_file(self, kind: str, path: str, build: Callable[[str, str, T | None], T]) -> T | None:
        text = self.read_text(path)
        if text is None:
            return None
        return self.parsed(kind, path, text, build)

    # -- Python modules ----------------------------------------------------------------

    def _build_python_modules(self) -> None:
        modules: dict[str, list[tuple[str, str | None, str | None]]] = {}
        packages: dict[str, set[str]] = {}
        for path in self.files():
            if not path.endswith(PYTHON_SUFFIXES):
                continue
            parts = path.rsplit(".", 1)[0].split("/")
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            # Every directory above a Python file is a (possibly namespace) package.
            for depth in range(1, len(parts)):
                directory = "/".join(parts[:depth])
                packages.setdefault(directory, set()).add(parts[depth])
            for start in range(len(parts)):
                dotted = ".".join(parts[start:])
                root = "/".join(parts[:start])
                entry = (root, path, "/".join(parts) if is_package else None)
                modules.setdefault(dotted, []).append(entry)
        # Namespace packages (directories without __init__.py) resolve to no file.
        for directory in packages:
            parts = directory.split("/")
            for start in range(len(parts)):
                dotted = ".".join(parts[start:])
                root = "/".join(parts[:start])
                entries = modules.setdefault(dotted, [])
                if not any(e[0] == root for e in entries):
                    entries.append((root, None, directory))
        self._python_modules = modules
        self._package_dirs = packages

    def python_module(self, dotted: str, importer: str) -> tuple[str | None, str | None] | None:
        """(file, package directory) of an absolute module name, as the importer sees it.

        A module root must be the repository root, a directory above the importer, or
        a conventional source folder; among several, the nearest to the importer wins.
        None when the repository has no such module (or only ambiguous ones).
        """
        self.files()
        if self._python_modules is None:
            self._build_python_modules()
        entries = self._python_modules.get(dotted, [])
        if not entries:
            return self.installed_module(dotted)
        importer_dir = posixpath.dirname(importer)
        best, best_rank = None, None
        for root, path, package in entries:
            if root == "" or importer_dir == root or importer_dir.startswith(root + "/"):
                rank = (0, -len(root))
            elif root in ("src", "lib", "python"):
                rank = (1, 0)
            else:
                continue
            if best_rank is None or rank < best_rank:
                best, best_rank = (path, package), rank
        return best if best is not None else self.installed_module(dotted)

    def installed_module(self, dotted: str) -> tuple[str | None, str | None] | None:
        """(file, package folder) of a module installed in the project's environment."""
        if self._installed is None:
            roots = python_environment.environment_roots(str(self.index.root))
            self._installed = python_environment.InstalledModules(roots)
        return self._installed.find(dotted)

    def submodules(self, package_dir: str) -> set[str]:
        if package_dir.startswith("/"):
            return set(python_environment.submodules(package_dir))
        self.files()
        if self._package_dirs is None:
            self._build_python_modules()
        return self._package_dirs.get(package_dir, set())

    def python_relative(self, importer: str, dotted: str) -> tuple[str | None, str | None] | None:
        """(file, package directory) of a relative module (``.x``, ``..pkg.y``, ``.``)."""
        level = len(dotted) - len(dotted.lstrip("."))
        rest = dotted[level:]
        base = posixpath.dirname(importer)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        target = posixpath.join(base, *rest.split(".")) if rest else base
        return self.python_path(target)

    def python_path(self, target: str) -> tuple[str | None, str | None] | None:
        """(file, package dir) for a slash path without suffix: module, package or namespace."""
        if target.startswith("/"):
            return python_environment.module_path(target.rstrip("/"))
        target = target.strip("/")
        for suffix in PYTHON_SUFFIXES:
            if self.has_file(target + suffix):
                return target + suffix, None
        for suffix in PYTHON_SUFFIXES:
            if self.has_file(f"{target}/__init__{suffix}"):
                return f"{target}/__init__{suffix}", target
        if self.submodules(target):
            return None, target
        return None

    # -- JavaScript / TypeScript modules ----------------------------------------------

    def js_module(self, importer: str, specifier: str) -> str | None:
        """The repository file a relative import specifier names, or None."""
        if not specifier.startswith("."):
            return None  # a package (node_modules) or an alias: outside what we know
        target = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
        if target.startswith(".."):
            return None
        if self.has_file(target):
            return target
        # `./x.js` written for a TypeScript source `./x.ts`.
        stem, dot, ext = target.rpartition(".")
        if dot and ext in ("js", "mjs", "cjs", "jsx"):
            for suffix in (".ts", ".tsx", ".mts", ".cts"):
                if self.has_file(stem + suffix):
                    return stem + suffix
        for suffix in JS_SUFFIXES:
            if self.has_file(target + suffix):
                return target + suffix
        for suffix in JS_SUFFIXES:
            if self.has_file(f"{target}/index{suffix}"):
                return f"{target}/index{suffix}"
        return None
