"""The repository index: every file's tags, cached in SQLite by path + mtime + size.

A warm start stats the files and reads the cache; only new or changed files are
parsed (in two worker processes when there are many, as on a cold build). Unsaved
editor buffers go into an in-memory overlay that takes precedence over the file on
disk until the buffer is saved or closed.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from coder import paths
from coder.errors import CoderError
from coder.index.files import list_source_files
from coder.index.tags import Tag, extract_rows, extract_tags, has_tags
from coder.syntax.languages import PLAIN_TEXT, detect_language

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, language TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tags (
    path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, role TEXT NOT NULL,
    line INTEGER NOT NULL, col INTEGER NOT NULL, end_line INTEGER NOT NULL,
    scope TEXT, signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tags_name ON tags(name, role);
CREATE INDEX IF NOT EXISTS tags_path ON tags(path);
CREATE INDEX IF NOT EXISTS tags_scope ON tags(scope, role);
CREATE TABLE IF NOT EXISTS counts (role TEXT PRIMARY KEY, total INTEGER NOT NULL);
"""
PARALLEL_THRESHOLD = 64  # below this many files to parse, processes cost more than they save
TAG_COLUMNS = "name, kind, role, path, line, col, end_line, scope, signature"


@dataclass
class IndexStats:
    files: int = 0
    parsed: int = 0  # files (re)parsed by the last refresh
    cached: int = 0  # files read from the cache by the last refresh
    removed: int = 0
    definitions: int = 0
    references: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    skipped_binary: list[str] = field(default_factory=list)
    skipped_large: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _parse_into(database: str, jobs: list[tuple[str, str, str]]) -> int:
    """Parse files and write their tags straight into the cache database.

    Run in worker processes on a cold build: sending hundreds of thousands of rows
    back to the parent costs more than parsing them, while SQLite takes concurrent
    writers in turn (WAL, busy timeout) and inserts in C."""
    connection = sqlite3.connect(database, timeout=60, isolation_level=None)
    connection.execute("PRAGMA synchronous = NORMAL")
    try:
        rows = [row for job in jobs for row in _parse(job)[1]]
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(f"INSERT INTO tags ({TAG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.execute("COMMIT")
        return len(rows)
    finally:
        connection.close()


def _parse(job: tuple[str, str, str]) -> tuple[str, list[tuple]]:
    root, relative, language = job
    try:
        source = (Path(root) / relative).read_bytes()
    except OSError:
        return relative, []
    definitions, references = extract_rows(language, source, relative)
    return relative, definitions + [
        (name, kind, "reference", relative, line, column, line, None, "") for name, kind, line, column in references
    ]


def _language_of(path: Path) -> str:
    language = detect_language(path)
    if language == PLAIN_TEXT and not path.suffix:
        try:
            with path.open("rb") as handle:
                first = handle.readline(200).decode("utf-8", "replace")
            language = detect_language(path, first)
        except OSError:
            pass
    return language


class RepoIndex:
    def __init__(self, root: str | Path, cache_path: Path | None = None, *, max_file_bytes: int = 1_000_000, exclude: list[str] | None = None):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise CoderError(f"{root}: not a directory; give the repository's folder")
        if cache_path is None:
            digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:16]
            cache_path = paths.cache_dir() / "index" / f"{digest}.sqlite3"
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        self.cache_path = cache_path
        self.max_file_bytes = max_file_bytes
        self.exclude = exclude or []
        self._db = sqlite3.connect(cache_path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        # A cache: losing the last transaction to a power cut only means re-parsing.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(SCHEMA)
        self._overlay: dict[str, list[Tag]] = {}
        self._overlay_text: dict[str, str] = {}
        self._reference_counts: dict[str, int] | None = None
        self._last = IndexStats()

    # -- building --------------------------------------------------------------

    def refresh(self) -> IndexStats:
        started = time.perf_counter()
        known = {row[0]: (row[1], row[2]) for row in self._db.execute("SELECT path, mtime_ns, size FROM files")}
        names, skipped = list_source_files(
            self.root, max_file_bytes=self.max_file_bytes, exclude=self.exclude, known=known
        )
        stats = IndexStats(skipped_binary=skipped.binary, skipped_large=skipped.too_large)
        to_parse: list[tuple[str, str, str]] = []
        file_rows = []
        for name in names:
            path = self.root / name
            try:
                stat = path.stat()
            except OSError:
                continue
            language = _language_of(path)
            stats.languages[language] = stats.languages.get(language, 0) + 1
            if known.get(name) == (stat.st_mtime_ns, stat.st_size):
                stats.cached += 1
                continue
            file_rows.append((name, stat.st_mtime_ns, stat.st_size, language))
            if has_tags(language):
                to_parse.append((str(self.root), name, language))
        gone = set(known) - set(names)
        # Old tags of changed and deleted files go first, then the new ones are written
        # (by worker processes on a large build), then the file rows that vouch for them:
        # a build cut short leaves files that the next refresh parses again.
        self._db.execute("BEGIN")
        for name in gone | {row[0] for row in file_rows}:
            self._db.execute("DELETE FROM tags WHERE path = ?", (name,))
        self._db.execute("COMMIT")
        self._parse_all(to_parse)
        self._db.execute("BEGIN")
        for name in gone:
            self._db.execute("DELETE FROM files WHERE path = ?", (name,))
        self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", file_rows)
        stale = self._db.execute("SELECT 1 FROM counts").fetchone() is None
        if file_rows or gone or stale:
            self._db.execute("DELETE FROM counts")
            self._db.execute("INSERT INTO counts SELECT role, COUNT(*) FROM tags GROUP BY role")
        self._db.execute("COMMIT")
        self._reference_counts = None
        stats.files = len(names)
        stats.parsed = len(file_rows)
        stats.removed = len(gone)
        stats.definitions, stats.references = self._counts()
        stats.seconds = time.perf_counter() - started
        self._last = stats
        return stats

    def _parse_all(self, jobs: list[tuple[str, str, str]]) -> None:
        database = str(self.cache_path)
        if len(jobs) < PARALLEL_THRESHOLD:
            _parse_into(database, jobs)
            return
        chunks = [jobs[i : i + 32] for i in range(0, len(jobs), 32)]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
            list(pool.map(_parse_into, [database] * len(chunks), chunks))

    def _counts(self) -> tuple[int, int]:
        rows = dict(self._db.execute("SELECT role, total FROM counts").fetchall())
        return rows.get("definition", 0), rows.get("reference", 0)

    def _relative(self, path: str | Path) -> str:
        path = Path(path)
        if path.is_absolute():
            try:
                return path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                return path.as_posix()
        return path.as_posix()

    def update_file(self, path: str | Path, text: str | None = None) -> None:
        """Re-index one file: from an unsaved buffer's text, or from disk when None."""
        relative = self._relative(path)
        language = _language_of(self.root / relative)
        self._reference_counts = None
        if text is not None:
            self._overlay[relative] = extract_tags(language, text.encode("utf-8"), relative)
            self._overlay_text[relative] = text
            return
        self._overlay.pop(relative, None)
        self._overlay_text.pop(relative, None)
        full = self.root / relative
        if not full.is_file():
            self.remove_file(relative)
            return
        stat = full.stat()
        _, rows = _parse((str(self.root), relative, language))
        self._db.execute("BEGIN")
        self._db.execute("DELETE FROM tags WHERE path = ?", (relative,))
        self._db.execute("DELETE FROM counts")  # recounted at the next refresh
        self._db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (relative, stat.st_mtime_ns, stat.st_size, language))
        self._db.executemany(f"INSERT INTO tags ({TAG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self._db.execute("COMMIT")

    def remove_file(self, path: str | Path) -> None:
        relative = self._relative(path)
        self._overlay.pop(relative, None)
        self._overlay_text.pop(relative, None)
        self._db.execute("DELETE FROM tags WHERE path = ?", (relative,))
        self._db.execute("DELETE FROM files WHERE path = ?", (relative,))
        self._db.execute("DELETE FROM counts")
        self._reference_counts = None

    # -- queries ---------------------------------------------------------------

    def _tags(self, where: str, values: tuple, overlay_filter) -> list[Tag]:
        rows = self._db.execute(f"SELECT {TAG_COLUMNS} FROM tags WHERE {where}", values).fetchall()
        tags = [Tag(*row) for row in rows if row[3] not in self._overlay]
        for buffer_tags in self._overlay.values():
            tags += [t for t in buffer_tags if overlay_filter(t)]
        return tags

    def files(self) -> list[str]:
        on_disk = [row[0] for row in self._db.execute("SELECT path FROM files ORDER BY path")]
        return sorted(set(on_disk) | set(self._overlay))

    def language_of(self, path: str) -> str:
        row = self._db.execute("SELECT language FROM files WHERE path = ?", (self._relative(path),)).fetchone()
        return row[0] if row else _language_of(self.root / self._relative(path))

    def definitions(self, name: str) -> list[Tag]:
        return self._tags("name = ? AND role = 'definition'", (name,), lambda t: t.name == name and t.role == "definition")

    def definitions_in(self, path: str) -> list[Tag]:
        relative = self._relative(path)
        if relative in self._overlay:
            return [t for t in self._overlay[relative] if t.role == "definition"]
        return self._tags("path = ? AND role = 'definition' ORDER BY line, col", (relative,), lambda t: False)

    def references_in(self, path: str) -> list[Tag]:
        relative = self._relative(path)
        if relative in self._overlay:
            return [t for t in self._overlay[relative] if t.role == "reference"]
        return self._tags("path = ? AND role = 'reference' ORDER BY line, col", (relative,), lambda t: False)

    def members(self, scope: str, path: str | None = None) -> list[Tag]:
        tags = self._tags("scope = ? AND role = 'definition'", (scope,), lambda t: t.scope == scope and t.role == "definition")
        if path is not None:
            relative = self._relative(path)
            tags = [t for t in tags if t.path == relative]
        return tags

    def reference_counts(self) -> dict[str, int]:
        if self._reference_counts is None:
            counts = dict(self._db.execute(
                "SELECT name, COUNT(*) FROM tags WHERE role = 'reference' AND path NOT IN (%s) GROUP BY name"
                % ",".join("?" * len(self._overlay)), tuple(self._overlay)
            ).fetchall())
            for buffer_tags in self._overlay.values():
                for tag in buffer_tags:
                    if tag.role == "reference":
                        counts[tag.name] = counts.get(tag.name, 0) + 1
            self._reference_counts = counts
        return self._reference_counts

    def read_text(self, path: str) -> str:
        relative = self._relative(path)
        if relative in self._overlay_text:
            return self._overlay_text[relative]
        return (self.root / relative).read_text(encoding="utf-8", errors="replace")

    def stats(self) -> IndexStats:
        return self._last

    def close(self) -> None:
        self._db.close()
