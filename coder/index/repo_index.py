"""The repository index: every file's tags, cached in SQLite by path + mtime + size.

A warm start stats the files and reads the cache; only new or changed files are
parsed (in two worker processes when there are many, as on a cold build). Unsaved
editor buffers go into an in-memory overlay that takes precedence over the file on
disk until the buffer is saved or closed.

Storage: definitions are rows (looked up by name, scope and path). References are
most of the tags (eight in nine on SymPy) and are only ever read per file or as
totals per name, so each file keeps them in one row: its per-name counts and its
reference positions, as marshal data. Writing a row per reference made the cold build
three times slower.
"""

from __future__ import annotations

import hashlib
import marshal
import multiprocessing
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from coder import paths
from coder.errors import CoderError
from coder.index.files import BINARY_SNIFF_BYTES, list_source_files
from coder.index.tags import Tag, extract_rows, extract_tags, has_tags
from coder.syntax.languages import PLAIN_TEXT, detect_language

# Bump when the tables change: an older cache is dropped and rebuilt. The blobs are
# marshal data (fast, and unlike pickle it cannot run code), tied to its format version.
SCHEMA_VERSION = 31 + marshal.version
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, language TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS defs (
    path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    line INTEGER NOT NULL, col INTEGER NOT NULL, end_line INTEGER NOT NULL,
    scope TEXT, signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS defs_name ON defs(name);
CREATE INDEX IF NOT EXISTS defs_path ON defs(path);
CREATE INDEX IF NOT EXISTS defs_scope ON defs(scope);
CREATE TABLE IF NOT EXISTS refs (
    path TEXT PRIMARY KEY,
    total INTEGER NOT NULL,
    counts BLOB NOT NULL,     -- marshal {name: uses in this file}
    positions BLOB NOT NULL   -- marshal [(line, column, name, kind), ...] in source order
);
"""
DROP_DEF_INDEXES = "DROP INDEX IF EXISTS defs_name; DROP INDEX IF EXISTS defs_path; DROP INDEX IF EXISTS defs_scope;"
PARALLEL_THRESHOLD = 64  # below this many files to parse, processes cost more than they save
CHUNK_FILES = 32
WORKERS = 2  # the machines we aim at have two cores
DEF_COLUMNS = "name, kind, 'definition', path, line, col, end_line, scope, signature"


@dataclass
class IndexStats:
    files: int = 0
    parsed: int = 0  # files (re)read by the last refresh
    cached: int = 0  # files read from the cache by the last refresh
    removed: int = 0
    definitions: int = 0
    references: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    skipped_binary: list[str] = field(default_factory=list)
    skipped_large: list[str] = field(default_factory=list)
    seconds: float = 0.0


# A parsed file: (path, definition rows for `defs`, reference total, counts, positions).
Parsed = tuple[str, list[tuple], int, bytes, bytes]


def _parse_source(relative: str, language: str, source: bytes) -> Parsed:
    definitions, references = extract_rows(language, source, relative)
    counts = Counter([reference[2] for reference in references])
    rows = [(relative, name, kind, line, column, end_line, scope, signature)
            for name, kind, _, _, line, column, end_line, scope, signature in definitions]
    return relative, rows, len(references), marshal.dumps(dict(counts)), marshal.dumps(references)


def _parse_files(root: str, jobs: list[tuple[str, str]]) -> list[Parsed]:
    """Parse files (in a worker process on a large build)."""
    parsed = []
    for relative, language in jobs:
        try:
            source = (Path(root) / relative).read_bytes()
        except OSError:
            source = b""  # gone since it was listed: the next refresh drops it
        parsed.append(_parse_source(relative, language, source))
    return parsed


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
        self._lock = threading.RLock()  # one connection, used by whichever thread asks
        self._db = sqlite3.connect(cache_path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        # A cache: losing the last transaction to a power cut only means re-parsing.
        self._db.execute("PRAGMA synchronous = NORMAL")
        if self._db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            for (table,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                self._db.execute(f'DROP TABLE "{table}"')
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db.executescript(SCHEMA)
        self._overlay: dict[str, list[Tag]] = {}
        self._overlay_text: dict[str, str] = {}
        self._disk_counts: dict[str, int] | None = None  # reference totals of the files on disk
        self._counts: dict[str, int] | None = None  # the same with unsaved buffers applied
        self._last = IndexStats()

    # -- building --------------------------------------------------------------

    def refresh(self) -> IndexStats:
        with self._lock:
            return self._refresh()

    def _refresh(self) -> IndexStats:
        started = time.perf_counter()
        known = {row[0]: (row[1], row[2]) for row in self._db.execute("SELECT path, mtime_ns, size FROM files")}
        names, skipped = list_source_files(
            self.root, max_file_bytes=self.max_file_bytes, exclude=self.exclude, known=known
        )
        stats = IndexStats(skipped_binary=skipped.binary, skipped_large=skipped.too_large)
        to_parse: list[tuple[str, str]] = []
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
                to_parse.append((name, language))
        gone = sorted(set(known) - set(names))
        self._forget(gone)
        # Tags go in first and the file rows that vouch for them last: a build cut
        # short leaves files without a row, which the next refresh parses again.
        self._store(self._parse_all(to_parse), fresh=not known)
        self._db.execute("BEGIN")
        self._db.executemany("DELETE FROM defs WHERE path = ?", [(r[0],) for r in file_rows if not has_tags(r[3])])
        self._db.executemany("DELETE FROM refs WHERE path = ?", [(r[0],) for r in file_rows if not has_tags(r[3])])
        self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", file_rows)
        self._db.execute("COMMIT")
        if file_rows or gone:
            self._disk_counts = self._counts = None
        stats.files = len(names)
        stats.parsed = len(file_rows)
        stats.removed = len(gone)
        stats.definitions, stats.references = self._totals()
        stats.seconds = time.perf_counter() - started
        self._last = stats
        return stats

    def _parse_all(self, jobs: list[tuple[str, str]]):
        """Parsed files, chunk by chunk, as they are ready."""
        root = str(self.root)
        if len(jobs) < PARALLEL_THRESHOLD:
            yield _parse_files(root, jobs)
            return
        chunks = [jobs[i : i + CHUNK_FILES] for i in range(0, len(jobs), CHUNK_FILES)]
        done = 0
        try:
            # spawn, not fork: the caller may hold threads (an editor server, a model).
            # A script that builds an index needs the `if __name__ == "__main__":` guard.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=WORKERS, mp_context=context) as pool:
                for parsed in pool.map(_parse_files, [root] * len(chunks), chunks):
                    yield parsed
                    done += 1
        except (BrokenProcessPool, OSError, RuntimeError):
            # No worker processes here (a sandbox, a frozen app, an unguarded script):
            # slower, but the index still gets built.
            for chunk in chunks[done:]:
                yield _parse_files(root, chunk)

    def _store(self, chunks, *, fresh: bool = False) -> None:
        """Write parsed files; ``fresh``: into empty tables (a cold build), where
        there is nothing to delete and indexes are cheaper built once at the end."""
        if fresh:
            # Rows of a build cut short before any file row was written.
            self._db.executescript("DELETE FROM defs; DELETE FROM refs; " + DROP_DEF_INDEXES)
        for parsed in chunks:
            self._db.execute("BEGIN")
            if not fresh:
                self._db.executemany("DELETE FROM defs WHERE path = ?", [(p[0],) for p in parsed])
            self._db.executemany(
                "INSERT INTO defs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [row for p in parsed for row in p[1]]
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO refs VALUES (?, ?, ?, ?)", [(p[0], p[2], p[3], p[4]) for p in parsed]
            )
            self._db.execute("COMMIT")
        if fresh:
            self._db.executescript(SCHEMA)

    def _forget(self, gone: list[str]) -> None:
        if not gone:
            return
        rows = [(name,) for name in gone]
        self._db.execute("BEGIN")
        for table in ("defs", "refs", "files"):
            self._db.executemany(f"DELETE FROM {table} WHERE path = ?", rows)
        self._db.execute("COMMIT")

    def _totals(self) -> tuple[int, int]:
        definitions = self._db.execute("SELECT COUNT(*) FROM defs").fetchone()[0]
        references = self._db.execute("SELECT COALESCE(SUM(total), 0) FROM refs").fetchone()[0]
        return definitions, references

    def _relative(self, path: str | Path) -> str:
        path = Path(path)
        if path.is_absolute():
            try:
                return path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                return path.as_posix()
        return path.as_posix()

    def update_file(self, path: str | Path, text: str | None = None) -> None:
        """Re-index one file: from an unsaved buffer's text, or from disk when None
        (the buffer was saved or closed)."""
        relative = self._relative(path)
        language = _language_of(self.root / relative)
        with self._lock:
            if text is not None and self._overlay_text.get(relative) == text:
                return  # an editor resending the same buffer
            self._counts = None
            if text is not None:
                self._overlay[relative] = extract_tags(language, text.encode("utf-8"), relative)
                self._overlay_text[relative] = text
                return
            self._overlay.pop(relative, None)
            self._overlay_text.pop(relative, None)
            full = self.root / relative
            try:
                stat = full.stat()
                with full.open("rb") as handle:
                    source = handle.read(self.max_file_bytes + 1)
            except OSError:
                self.remove_file(relative)
                return
            if len(source) > self.max_file_bytes or b"\0" in source[:BINARY_SNIFF_BYTES]:
                self.remove_file(relative)
                return
            self._disk_counts = None
            if has_tags(language):
                self._store([[_parse_source(relative, language, source)]])
            self._db.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (relative, stat.st_mtime_ns, stat.st_size, language)
            )

    def remove_file(self, path: str | Path) -> None:
        relative = self._relative(path)
        with self._lock:
            self._overlay.pop(relative, None)
            self._overlay_text.pop(relative, None)
            self._forget([relative])
            self._disk_counts = self._counts = None

    # -- queries ---------------------------------------------------------------

    def _definitions(self, where: str, values: tuple, overlay_filter) -> list[Tag]:
        with self._lock:
            rows = self._db.execute(f"SELECT {DEF_COLUMNS} FROM defs WHERE {where}", values).fetchall()
        tags = [Tag(*row) for row in rows if row[3] not in self._overlay]
        for buffer_tags in list(self._overlay.values()):
            tags += [t for t in buffer_tags if t.role == "definition" and overlay_filter(t)]
        return tags

    def files(self) -> list[str]:
        with self._lock:
            on_disk = [row[0] for row in self._db.execute("SELECT path FROM files")]
        return sorted(set(on_disk) | set(self._overlay))

    def language_of(self, path: str) -> str:
        relative = self._relative(path)
        with self._lock:
            row = self._db.execute("SELECT language FROM files WHERE path = ?", (relative,)).fetchone()
        return row[0] if row else _language_of(self.root / relative)

    def definitions(self, name: str) -> list[Tag]:
        return self._definitions("name = ?", (name,), lambda t: t.name == name)

    def all_definitions(self) -> list[Tag]:
        """Every definition in the repository, file by file, each in source order
        (a repo map reads them all at once: one query, not one per name or file)."""
        return self._definitions("1 ORDER BY path, line, col", (), lambda t: True)

    def definitions_in(self, path: str) -> list[Tag]:
        relative = self._relative(path)
        if relative in self._overlay:
            return [t for t in self._overlay[relative] if t.role == "definition"]
        return self._definitions("path = ? ORDER BY line, col", (relative,), lambda t: False)

    def references_in(self, path: str) -> list[Tag]:
        relative = self._relative(path)
        if relative in self._overlay:
            return [t for t in self._overlay[relative] if t.role == "reference"]
        with self._lock:
            row = self._db.execute("SELECT positions FROM refs WHERE path = ?", (relative,)).fetchone()
        if row is None:
            return []
        return [Tag(name, kind, "reference", relative, line, column, line, None, "")
                for line, column, name, kind in marshal.loads(row[0])]

    def members(self, scope: str, path: str | None = None) -> list[Tag]:
        if path is None:
            return self._definitions("scope = ?", (scope,), lambda t: t.scope == scope)
        relative = self._relative(path)
        return self._definitions(
            "scope = ? AND path = ?", (scope, relative), lambda t: t.scope == scope and t.path == relative
        )

    def reference_counts(self) -> dict[str, int]:
        """name -> uses across the repository (unsaved buffers included). The caller
        must not modify the dict: it is cached until the index changes."""
        with self._lock:
            if self._counts is not None:
                return self._counts
            if self._disk_counts is None:
                totals: dict[str, int] = {}
                for (counts,) in self._db.execute("SELECT counts FROM refs"):
                    for name, count in marshal.loads(counts).items():
                        totals[name] = totals.get(name, 0) + count
                self._disk_counts = totals
            if not self._overlay:
                self._counts = self._disk_counts
                return self._counts
            merged = dict(self._disk_counts)
            for relative, buffer_tags in self._overlay.items():
                row = self._db.execute("SELECT counts FROM refs WHERE path = ?", (relative,)).fetchone()
                for name, count in (marshal.loads(row[0]) if row else {}).items():
                    merged[name] -= count
                for tag in buffer_tags:
                    if tag.role == "reference":
                        merged[tag.name] = merged.get(tag.name, 0) + 1
            self._counts = {name: count for name, count in merged.items() if count > 0}
            return self._counts

    def reference_counts_by_file(self, kind: str | None = None) -> dict[str, dict[str, int]]:
        """path -> {name: uses in that file}, for every file with references
        (unsaved buffers included), built afresh for the caller; with ``kind``, only
        references of that kind (slower: each file's positions are read)."""
        with self._lock:
            if kind is None:
                by_file = {path: marshal.loads(counts) for path, counts in self._db.execute("SELECT path, counts FROM refs")}
            else:
                by_file = {
                    path: dict(Counter([name for _, _, name, of_kind in marshal.loads(positions) if of_kind == kind]))
                    for path, positions in self._db.execute("SELECT path, positions FROM refs")
                }
            for relative, buffer_tags in list(self._overlay.items()):
                by_file[relative] = dict(Counter(
                    t.name for t in buffer_tags if t.role == "reference" and (kind is None or t.kind == kind)
                ))
        return {path: counts for path, counts in by_file.items() if counts}

    def read_text(self, path: str) -> str:
        relative = self._relative(path)
        if relative in self._overlay_text:
            return self._overlay_text[relative]
        return (self.root / relative).read_text(encoding="utf-8", errors="replace")

    def stats(self) -> IndexStats:
        return self._last

    def language_summary(self) -> dict[str, tuple[int, int, int]]:
        """language -> (files, definitions, references) of the files on disk."""
        with self._lock:
            summary = {language: [files, 0, 0] for language, files in
                       self._db.execute("SELECT language, COUNT(*) FROM files GROUP BY language")}
            for language, definitions in self._db.execute(
                "SELECT f.language, COUNT(*) FROM defs d JOIN files f ON f.path = d.path GROUP BY f.language"
            ):
                summary[language][1] = definitions
            for language, references in self._db.execute(
                "SELECT f.language, SUM(r.total) FROM refs r JOIN files f ON f.path = r.path GROUP BY f.language"
            ):
                summary[language][2] = references
        return {language: tuple(row) for language, row in summary.items()}

    def close(self) -> None:
        with self._lock:
            self._db.close()
