"""The repository index: every file's tags, cached in SQLite by path + mtime + size.

A refresh lists the files (git's view of them), stats each once, and reads only the
new or changed ones (in two worker processes when there are many, as on a cold
build; see parse_jobs). Each chunk of parsed files is written in one transaction
with the file rows that vouch for it, so a build cut short (Ctrl-C, a cancel event,
a crash) keeps what it indexed and the next refresh goes on from there. Binary and
oversized files are remembered too (the ``skipped`` table), so a warm start never
reads them again. Unsaved editor buffers go into an in-memory overlay that takes
precedence over the file on disk until the buffer is saved or closed; the overlay
keeps each buffer's syntax tree, so the next version of it is parsed incrementally.

Storage: rows per file and per name, not per tag. Each file's definitions are one
marshal blob (``defs``, read whole by the repo map and per file); ``def_names`` has
a row per name a file defines, with that name's definitions there as JSON (a lookup
by name, made for every identifier near the cursor, reads only those), and
``def_scopes`` a row per scope a file defines members of, with the file's id. Both
arrive as one JSON text per file that SQLite splits into rows (``json_each``):
binding 175,000 rows one by one from Python took twice the CPU, and on 2 cores the
parent's CPU is the parse workers'. Writing a row of eight columns per definition,
with three indexes, was a quarter of the parent's work in a cold build. References are most of the tags (eight
in nine on SymPy) and are only ever read per file or as totals per name, so each
file keeps them in one row: its per-name counts and the same for names passed as
arguments (the repo map weighs those down), as marshal data. Writing a row per
reference made the cold build three times slower, and keeping each reference's
position and kind (a million on a big tree) cost it several per cent more for what
only ``references_in`` and counts of other kinds ask: those read the files again.

``generation`` counts the changes to the stored tags (kept in the cache, so another
process sees them) and ``overlay_version`` the changes to unsaved buffers: what is
derived from the whole index (the ranked repo map) is cached under both.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import marshal
import multiprocessing
import os
import sqlite3
import stat as stat_module
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from coder import paths
from coder.errors import CoderError
from coder.index.files import BINARY_SNIFF_BYTES, has_binary_extension, list_candidates
from coder.index.parse_jobs import BINARY, GONE, PARSED, TOO_LARGE, parse_source, parsed_chunks
from coder.index.buffer_tags import BufferTags, buffer_tags
from coder.index.tags import Tag, extract_tags, has_tags
from coder.syntax.languages import PLAIN_TEXT, detect_language

# Bump when the tables change: an older cache is dropped and rebuilt. The blobs are
# marshal data (fast, and unlike pickle it cannot run code), tied to its format version.
SCHEMA_VERSION = 54 + marshal.version  # above every earlier one (30-46, 51-53 + 4)
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, language TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS skipped (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS defs (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, count INTEGER NOT NULL,
    rows BLOB NOT NULL  -- marshal [(name, kind, line, column, end_line, scope, signature), ...] in source order
);
-- Clustered by file: a cold build appends to them, an update deletes a file's range.
CREATE TABLE IF NOT EXISTS def_names (
    file INTEGER NOT NULL, name TEXT NOT NULL,
    rows TEXT NOT NULL,  -- JSON: this file's definitions of the name, as in defs.rows
    PRIMARY KEY (file, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS def_names_name ON def_names(name);
CREATE TABLE IF NOT EXISTS def_scopes (file INTEGER NOT NULL, scope TEXT NOT NULL, PRIMARY KEY (file, scope)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS def_scopes_scope ON def_scopes(scope);
CREATE TABLE IF NOT EXISTS refs (
    path TEXT PRIMARY KEY,
    total INTEGER NOT NULL,
    counts BLOB NOT NULL,     -- marshal {name: uses in this file}
    arguments BLOB NOT NULL   -- marshal {name: uses as a bare name (an argument, a value)}
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value);
INSERT OR IGNORE INTO state VALUES ('generation', 0);
CREATE TABLE IF NOT EXISTS derived (key TEXT PRIMARY KEY, generation INTEGER NOT NULL, value BLOB NOT NULL);
"""
DROP_DEF_INDEXES = "DROP INDEX IF EXISTS def_names_name; DROP INDEX IF EXISTS def_scopes_scope;"
BUMP_GENERATION = "UPDATE state SET value = value + 1 WHERE key = 'generation'"
# A file's definitions with the file's id, for the lookups by name and by scope.
BY_NAME = "SELECT d.path, n.rows FROM def_names n JOIN defs d ON d.id = n.file WHERE n.name = ?"  # JSON rows
BY_SCOPE = "SELECT d.path, d.rows FROM def_scopes s JOIN defs d ON d.id = s.file WHERE s.scope = ?"  # marshal rows
FORGET_DEFINITIONS = (
    "DELETE FROM def_names WHERE file = (SELECT id FROM defs WHERE path = ?)",
    "DELETE FROM def_scopes WHERE file = (SELECT id FROM defs WHERE path = ?)",
    "DELETE FROM defs WHERE path = ?",
)
SKIPPED_BINARY, SKIPPED_TOO_LARGE = "binary", "too_large"
# How many changed paths the index remembers for derived caches to catch up with;
# further back, they rebuild from scratch.
CHANGE_LOG = 4096

Progress = Callable[[int, int], None]


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
    complete: bool = True  # False: cancelled; what was parsed is kept, the next refresh goes on
    to_parse: int = 0  # files this refresh set out to read


@dataclass
class _Buffer:
    """An unsaved editor buffer: its text, and its tags with its syntax tree."""

    text: str
    parsed: BufferTags
    version: int  # the overlay_version it was made at

    @property
    def language(self) -> str:
        return self.parsed.language

    @property
    def tags(self) -> list[Tag]:
        return self.parsed.tags


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
        self._overlay: dict[str, _Buffer] = {}
        self.overlay_version = 0
        self._changes: list[tuple[int, str]] = []  # (generation after the change, path), oldest first
        # The log covers the changes after _log_start up to _log_end.
        self._log_start = self._log_end = self.generation
        self._disk_counts: dict[str, int] | None = None  # reference totals of the files on disk
        self._counts: dict[str, int] | None = None  # the same with unsaved buffers applied
        self._map_cache = None
        self._last = IndexStats()

    # -- building --------------------------------------------------------------

    def refresh(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> IndexStats:
        """Bring the index up to date with the files on disk.

        ``progress(done, total)``: called from this thread with the files read so
        far out of those this refresh reads (first with done = 0, last with done =
        total unless cancelled). ``cancel``: checked after each chunk; once set, the
        refresh stops and returns with ``complete`` False. A KeyboardInterrupt stops
        it the same way and propagates. Either way what was parsed stays indexed and
        the next refresh reads only the rest."""
        with self._lock, self._refresh_lock():
            return self._refresh(progress, cancel)

    @contextmanager
    def _refresh_lock(self):
        """One refresh at a time per cache file, across processes (an editor's
        server and `coder index` in a terminal): the second waits, then finds the
        files the first indexed in the cache."""
        with open(str(self.cache_path) + ".lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if multiprocessing.parent_process() is not None:
                    # A parse worker running the caller's script again: waiting would
                    # deadlock with the parent that started it.
                    raise CoderError("the index is being built by the parent process: a script that builds "
                                     "an index needs the `if __name__ == \"__main__\":` guard") from None
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _refresh(self, progress: Progress | None, cancel: threading.Event | None) -> IndexStats:
        started = time.perf_counter()
        known = {row[0]: row[1:] for row in self._db.execute("SELECT path, mtime_ns, size, language FROM files")}
        known_skipped = {row[0]: row[1:] for row in self._db.execute("SELECT path, mtime_ns, size, reason FROM skipped")}
        stats = IndexStats()
        languages: Counter = Counter()
        jobs, stamps, newly_skipped = [], {}, []
        listed = set()
        root = str(self.root) + os.sep
        for name in list_candidates(self.root, exclude=self.exclude):
            try:
                stat = os.stat(root + name)
            except OSError:
                continue  # tracked but deleted, or a dangling link
            if not stat_module.S_ISREG(stat.st_mode):
                continue
            listed.add(name)
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stat.st_size > self.max_file_bytes:
                stats.skipped_large.append(name)
                if known_skipped.get(name) != (*stamp, SKIPPED_TOO_LARGE):
                    newly_skipped.append((name, *stamp, SKIPPED_TOO_LARGE))
                continue
            row = known.get(name)
            if row is not None and row[:2] == stamp:
                stats.cached += 1
                languages[row[2]] += 1
                continue
            if known_skipped.get(name) == (*stamp, SKIPPED_BINARY):
                stats.skipped_binary.append(name)
                continue
            if has_binary_extension(name):
                stats.skipped_binary.append(name)
                newly_skipped.append((name, *stamp, SKIPPED_BINARY))
                continue
            jobs.append((name, detect_language(name), stat.st_size))
            stamps[name] = stamp
        gone = sorted((set(known) | set(known_skipped)) - listed)
        self._forget(gone + [row[0] for row in newly_skipped if row[0] in known])
        if newly_skipped:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO skipped VALUES (?, ?, ?, ?)", newly_skipped)
            self._db.execute("COMMIT")
        stats.to_parse = len(jobs)
        done = 0
        if progress is not None:
            progress(0, len(jobs))
        fresh = not known
        if fresh:
            # Empty tables: indexes are cheaper built once at the end than kept up row by row.
            self._db.executescript("DELETE FROM defs; DELETE FROM def_names; DELETE FROM def_scopes; DELETE FROM refs; "
                                   + DROP_DEF_INDEXES)
        chunks = parsed_chunks(str(self.root), jobs, self.max_file_bytes)
        try:
            for count, results in chunks:
                self._store(results, stamps, fresh=fresh, stats=stats, languages=languages)
                done += count
                if progress is not None:
                    progress(done, len(jobs))
                if cancel is not None and cancel.is_set() and done < len(jobs):
                    stats.complete = False
                    break
        finally:
            chunks.close()  # stops the workers when cancelled or interrupted
            if fresh:
                self._db.executescript(SCHEMA)
            self._disk_counts = self._counts = None
        stats.languages = dict(languages)
        stats.skipped_binary.sort()
        stats.skipped_large.sort()
        stats.files = stats.cached + stats.parsed
        stats.removed = len(gone)
        stats.definitions, stats.references = self._totals()
        stats.seconds = time.perf_counter() - started
        self._last = stats
        return stats

    def _store(self, results: list, stamps: dict, *, fresh: bool, stats: IndexStats, languages: Counter) -> None:
        """Writes one chunk of parse results, with their file rows, in one transaction.
        ``fresh``: into empty tables, where there is nothing to delete first."""
        definitions, names, scopes, references, files, skipped, dropped = [], [], [], [], [], [], []
        self._db.execute("BEGIN IMMEDIATE")  # the ids below are this writer's until COMMIT
        try:
            next_id = self._db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM defs").fetchone()[0]
            for result in results:
                path, status = result[0], result[1]
                if status == PARSED:
                    _, _, language, count, rows, named, scoped, total, counts, arguments = result
                    if count:
                        definitions.append((next_id, path, count, rows))
                        names.append((next_id, named))
                        scopes.append((next_id, scoped))
                        next_id += 1
                    if has_tags(language):
                        references.append((path, total, counts, arguments))
                    files.append((path, *stamps[path], language))
                    languages[language] += 1
                    stats.parsed += 1
                elif status == GONE:
                    dropped.append((path,))
                else:
                    reason = SKIPPED_BINARY if status == BINARY else SKIPPED_TOO_LARGE
                    (stats.skipped_binary if status == BINARY else stats.skipped_large).append(path)
                    skipped.append((path, *stamps[path], reason))
                    dropped.append((path,))
            if not fresh:
                every = [(result[0],) for result in results]
                for statement in FORGET_DEFINITIONS:
                    self._db.executemany(statement, every)
                self._db.executemany("DELETE FROM refs WHERE path = ?", every)
                self._db.executemany("DELETE FROM skipped WHERE path = ?", every)
                self._db.executemany("DELETE FROM files WHERE path = ?", dropped)
            self._db.executemany("INSERT INTO defs VALUES (?, ?, ?, ?)", definitions)
            self._db.executemany("INSERT INTO def_names SELECT ?, key, value FROM json_each(?)", names)
            self._db.executemany("INSERT INTO def_scopes SELECT ?, value FROM json_each(?)", scopes)
            self._db.executemany("INSERT OR REPLACE INTO refs VALUES (?, ?, ?, ?)", references)
            self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", files)
            self._db.executemany("INSERT OR REPLACE INTO skipped VALUES (?, ?, ?, ?)", skipped)
            self._db.execute(BUMP_GENERATION)
        except BaseException:  # an interrupt mid-chunk: none of it, rather than a part
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._changed([result[0] for result in results])

    def _forget(self, gone: list[str]) -> None:
        if not gone:
            return
        rows = [(name,) for name in gone]
        self._db.execute("BEGIN IMMEDIATE")
        for statement in FORGET_DEFINITIONS:
            self._db.executemany(statement, rows)
        for table in ("refs", "files", "skipped"):
            self._db.executemany(f"DELETE FROM {table} WHERE path = ?", rows)
        self._db.execute(BUMP_GENERATION)
        self._db.execute("COMMIT")
        self._changed(gone)

    def _changed(self, changed: list[str]) -> None:
        generation = self.generation
        if generation != self._log_end + 1:  # another process wrote in between: its changes are unknown here
            self._changes, self._log_start = [], generation - 1
        self._log_end = generation
        self._changes += [(generation, path) for path in changed]
        if len(self._changes) > CHANGE_LOG:
            del self._changes[: len(self._changes) - CHANGE_LOG]
            self._log_start = self._changes[0][0]  # that generation's changes may be cut: only later ones are whole
        self._disk_counts = self._counts = None

    @property
    def generation(self) -> int:
        """Counts the changes to the stored tags, by any process using this cache."""
        with self._lock:
            return self._db.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()[0]

    def changes_since(self, generation: int) -> set[str] | None:
        """Paths whose stored tags changed after ``generation``, or None when this
        index does not know (another process changed the cache, or too long ago)."""
        with self._lock:
            now = self.generation
            if now == generation:
                return set()
            if now != self._log_end or generation < self._log_start or generation > now:
                return None
            return {path for changed_at, path in self._changes if changed_at > generation}

    def _totals(self) -> tuple[int, int]:
        definitions = self._db.execute("SELECT COALESCE(SUM(count), 0) FROM defs").fetchone()[0]
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

    def update_file(self, path: str | Path, text: str | None = None, old_tree=None) -> None:
        """Re-index one file: from an unsaved buffer's text, or from disk when None
        (the buffer was saved or closed).

        A buffer is parsed incrementally from its previous version's tree: the
        index keeps that tree and works out the edit itself from the two texts. A
        caller that keeps its own tree of the buffer (an editor server) may pass it
        as ``old_tree``, already edited with ``tree.edit(...)`` to match ``text``, as
        tree-sitter's ``Parser.parse(source, old_tree)`` takes it."""
        relative = self._relative(path)
        with self._lock:
            buffer = self._overlay.get(relative)
            if text is not None and buffer is not None and buffer.text == text:
                return  # an editor resending the same buffer
            if text is not None:
                self._update_buffer(relative, text, buffer, old_tree)
                return
            if self._overlay.pop(relative, None) is not None:
                self.overlay_version += 1
                self._counts = None
            self._update_from_disk(relative)

    def _update_buffer(self, relative: str, text: str, buffer: _Buffer | None, old_tree) -> None:
        language = buffer.language if buffer is not None else self.language_of(relative)
        previous = buffer.parsed if buffer is not None else None
        parsed = buffer_tags(relative, language, text.encode("utf-8"), previous, old_tree)
        self.overlay_version += 1
        self._overlay[relative] = _Buffer(text, parsed, self.overlay_version)
        self._counts = None

    def _update_from_disk(self, relative: str) -> None:
        full = self.root / relative
        try:
            stat = full.stat()
            with full.open("rb") as handle:
                source = handle.read(self.max_file_bytes + 1)
        except OSError:
            self._forget([relative])
            return
        if len(source) > self.max_file_bytes or b"\0" in source[:BINARY_SNIFF_BYTES]:
            self._forget([relative])
            return
        language = _language_of(full)
        result = parse_source(relative, language, source)
        stats = IndexStats()
        self._store([result], {relative: (stat.st_mtime_ns, stat.st_size)}, fresh=False, stats=stats, languages=Counter())

    def remove_file(self, path: str | Path) -> None:
        relative = self._relative(path)
        with self._lock:
            if self._overlay.pop(relative, None) is not None:
                self.overlay_version += 1
            self._forget([relative])
            self._disk_counts = self._counts = None

    # -- derived data ------------------------------------------------------------

    def repo_map(self, budget_tokens: int = 1024, focus_paths=(), exclude_paths=(), **options):
        """The ranked repository map (coder.context.repo_map.build_repo_map), cached:
        asked again with nothing changed it costs a dictionary lookup; after a change
        only the changed files are read again."""
        from coder.context.repo_map import build_repo_map

        return build_repo_map(self, budget_tokens=budget_tokens, focus_paths=focus_paths,
                              exclude_paths=exclude_paths, **options)

    def map_cache(self):
        """The repo map's cache for this index (made on first use)."""
        with self._lock:
            if self._map_cache is None:
                from coder.context.map_cache import MapCache

                self._map_cache = MapCache(self)
            return self._map_cache

    def load_derived(self, key: str, generation: int) -> bytes | None:
        """A value derived from the stored tags at ``generation``, if one was saved."""
        with self._lock:
            row = self._db.execute("SELECT generation, value FROM derived WHERE key = ?", (key,)).fetchone()
        return row[1] if row is not None and row[0] == generation else None

    def save_derived(self, key: str, generation: int, value: bytes) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO derived VALUES (?, ?, ?)", (key, generation, value))

    # -- queries ---------------------------------------------------------------

    def _definitions(self, query: str, values: tuple, keep, overlay_filter, decode=marshal.loads) -> list[Tag]:
        """Stored definitions of the files ``query`` selects (path, rows) that
        ``keep(row)`` accepts, outside unsaved buffers, then the buffers' own."""
        with self._lock:
            files = self._db.execute(query, values).fetchall()
            buffers = list(self._overlay.values())
        tags = []
        for path, blob in files:
            if path in self._overlay:
                continue
            tags += [Tag(name, kind, "definition", path, line, column, end_line, scope, signature)
                     for name, kind, line, column, end_line, scope, signature in decode(blob)
                     if keep is None or keep(name, scope)]
        for buffer in buffers:
            tags += [t for t in buffer.tags if t.role == "definition" and overlay_filter(t)]
        return tags

    def files(self) -> list[str]:
        with self._lock:
            on_disk = [row[0] for row in self._db.execute("SELECT path FROM files")]
        return sorted(set(on_disk) | set(self._overlay))

    def language_of(self, path: str) -> str:
        relative = self._relative(path)
        with self._lock:
            buffer = self._overlay.get(relative)
            if buffer is not None:
                return buffer.language
            row = self._db.execute("SELECT language FROM files WHERE path = ?", (relative,)).fetchone()
        return row[0] if row else _language_of(self.root / relative)

    def definitions(self, name: str) -> list[Tag]:
        return self._definitions(BY_NAME + " ORDER BY d.path", (name,), None, lambda t: t.name == name, json.loads)

    def all_definitions(self) -> list[Tag]:
        """Every definition in the repository, file by file, each in source order
        (a repo map reads them all at once: one query, not one per name or file)."""
        return self._definitions("SELECT path, rows FROM defs ORDER BY path", (), None, lambda t: True)

    def definitions_in(self, path: str) -> list[Tag]:
        relative = self._relative(path)
        buffer = self._overlay.get(relative)
        if buffer is not None:
            return [t for t in buffer.tags if t.role == "definition"]
        return self._definitions("SELECT path, rows FROM defs WHERE path = ?", (relative,), None, lambda t: False)

    def definition_rows(self, paths=None) -> dict[str, list[tuple]]:
        """path -> its definitions as (name, kind, line, column, end_line, scope,
        signature) tuples in source order, for every file with definitions (or those
        of ``paths``), unsaved buffers included: what a repo map reads of every file,
        without a Tag for each import it only counts."""
        with self._lock:
            if paths is None:
                files = self._db.execute("SELECT path, rows FROM defs").fetchall()
            else:
                files = [row for path in paths for row in self._db.execute(
                    "SELECT path, rows FROM defs WHERE path = ?", (path,))]
            buffers = [(path, buffer) for path, buffer in self._overlay.items() if paths is None or path in paths]
        found = {path: marshal.loads(blob) for path, blob in files if path not in self._overlay}
        for path, buffer in buffers:
            rows = buffer.parsed.spans.definitions
            if rows:
                found[path] = list(rows)
        return found

    def references_in(self, path: str) -> list[Tag]:
        """A file's references with their positions, in source order. The index
        keeps no positions for files on disk (see the module's note), so the file
        is read and tagged again: its positions are those of the file as it is now."""
        relative = self._relative(path)
        buffer = self._overlay.get(relative)
        if buffer is not None:
            return [t for t in buffer.tags if t.role == "reference"]
        return self._references_on_disk(relative)

    def _references_on_disk(self, relative: str) -> list[Tag]:
        with self._lock:
            row = self._db.execute("SELECT language FROM files WHERE path = ?", (relative,)).fetchone()
        if row is None:
            return []
        try:
            source = (self.root / relative).read_bytes()
        except OSError:
            return []
        return [tag for tag in extract_tags(row[0], source, relative) if tag.role == "reference"]

    def members(self, scope: str, path: str | None = None) -> list[Tag]:
        if path is None:
            return self._definitions(BY_SCOPE + " ORDER BY d.path", (scope,), lambda _, owner: owner == scope,
                                     lambda t: t.scope == scope)
        relative = self._relative(path)
        return self._definitions(BY_SCOPE + " AND d.path = ?", (scope, relative), lambda _, owner: owner == scope,
                                 lambda t: t.scope == scope and t.path == relative)

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
            for relative, buffer in self._overlay.items():
                row = self._db.execute("SELECT counts FROM refs WHERE path = ?", (relative,)).fetchone()
                for name, count in (marshal.loads(row[0]) if row else {}).items():
                    merged[name] -= count
                for _, _, name, _ in buffer.parsed.spans.references:
                    merged[name] = merged.get(name, 0) + 1
            self._counts = {name: count for name, count in merged.items() if count > 0}
            return self._counts

    def reference_counts_by_file(self, kind: str | None = None, paths=None) -> dict[str, dict[str, int]]:
        """path -> {name: uses in that file}, for every file with references (or
        those of ``paths``), unsaved buffers included, built afresh for the caller.
        ``kind``: only references of that kind ("name", a bare name: an argument or
        a value, is stored apart; any other kind reads the files again)."""
        column = "arguments" if kind == "name" else "counts"
        query = f"SELECT path, {column} FROM refs"
        with self._lock:
            if paths is None:
                rows = self._db.execute(query).fetchall()
            else:
                rows = [row for path in paths for row in self._db.execute(query + " WHERE path = ?", (path,))]
            buffers = [(path, buffer) for path, buffer in self._overlay.items() if paths is None or path in paths]
        if kind in (None, "name"):
            by_file = {path: marshal.loads(blob) for path, blob in rows}
        else:
            by_file = {path: dict(Counter(t.name for t in self._references_on_disk(path) if t.kind == kind))
                       for path, _ in rows}
        for relative, buffer in buffers:
            by_file[relative] = dict(Counter(
                name for _, _, name, of_kind in buffer.parsed.spans.references if kind is None or of_kind == kind
            ))
        return {path: counts for path, counts in by_file.items() if counts}

    def overlay_versions(self) -> dict[str, int]:
        """path -> version of each unsaved buffer (a new version on every change)."""
        with self._lock:
            return {path: buffer.version for path, buffer in self._overlay.items()}

    def read_text(self, path: str) -> str:
        relative = self._relative(path)
        buffer = self._overlay.get(relative)
        if buffer is not None:
            return buffer.text
        return (self.root / relative).read_text(encoding="utf-8", errors="replace")

    def stats(self) -> IndexStats:
        return self._last

    def language_summary(self) -> dict[str, tuple[int, int, int]]:
        """language -> (files, definitions, references) of the files on disk."""
        with self._lock:
            summary = {language: [files, 0, 0] for language, files in
                       self._db.execute("SELECT language, COUNT(*) FROM files GROUP BY language")}
            for language, definitions in self._db.execute(
                "SELECT f.language, SUM(d.count) FROM defs d JOIN files f ON f.path = d.path GROUP BY f.language"
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
