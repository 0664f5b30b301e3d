"""Reading and parsing the files a refresh needs: in two worker processes on a big
build, in this process on a small one.

A worker gets a chunk of (path, language) jobs, reads each file once, tells binary
from text on the bytes it read, parses and runs the tags query, and sends the whole
chunk back as one marshal blob: one object to pickle per chunk instead of a tuple
per definition. The parent only writes the rows to SQLite.

Chunks are submitted a few at a time, not all at once, so a build of any size
holds only a handful of parsed chunks in memory, and stopping (Ctrl-C, a cancel
event) has at most those few to throw away. They are taken as they finish, not in
the order submitted: waiting for the oldest (a chunk of big files) while the other
worker had finished everything else in flight left that worker idle.
"""

from __future__ import annotations

import json
import marshal
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from coder.index.files import BINARY_SNIFF_BYTES
from coder.index.tags import extract_counts, has_tags
from coder.isolation import children_without_working_directory
from coder.syntax.languages import PLAIN_TEXT, detect_language

PARALLEL_THRESHOLD = 64  # below this many files to read, processes cost more than they save
WORKERS = 2  # the machines we aim at have two cores
CHUNK_FILES = 48
CHUNK_BYTES = 1 << 20  # a chunk ends at this much source, so big files spread over workers
IN_FLIGHT_PER_WORKER = 2  # submitted chunks per worker: 2 beat 3 and 6 on the site tree (BENCHMARKS, session 4)

# What became of a job (the second field of every result).
PARSED, BINARY, GONE, TOO_LARGE = range(4)

# A job: (path relative to the root, language from its extension, size from the stat).
Job = tuple[str, str, int]
# A result: (path, PARSED, language, definition count, definitions blob, JSON
# {name: that name's definitions}, JSON [scope, ...] (each once), reference total,
# counts blob, argument counts blob), or (path, BINARY | GONE | TOO_LARGE). The
# blobs and the JSON are what RepoIndex stores; the parent unpacks none of them.
Result = tuple


def parse_source(relative: str, language: str, source: bytes) -> Result:
    """Tags of one file's bytes as the index stores them."""
    if not has_tags(language):
        return (relative, PARSED, language, 0, b"", "{}", "[]", 0, b"", b"")
    rows, counts, arguments = extract_counts(language, source)
    by_name: dict[str, list[tuple]] = {}
    for row in rows:
        by_name.setdefault(row[0], []).append(row)
    # JSON, which SQLite splits into a row per name itself (json_each): binding a row
    # at a time from Python was most of the parent's work on a cold build.
    named = json.dumps(by_name, ensure_ascii=False, separators=(",", ":"))
    scopes = json.dumps(list(dict.fromkeys([row[5] for row in rows if row[5] is not None])), ensure_ascii=False)
    return (relative, PARSED, language, len(rows), marshal.dumps(rows), named, scopes, sum(counts.values()),
            marshal.dumps(counts), marshal.dumps(arguments))


def read_and_parse(root: str, jobs: list[Job], max_file_bytes: int) -> bytes:
    """Results of a chunk of jobs, marshalled (runs in a worker process)."""
    return marshal.dumps(_read_and_parse(root, jobs, max_file_bytes))


def _read_and_parse(root: str, jobs: list[Job], max_file_bytes: int) -> list[Result]:
    results = []
    for relative, language, size in jobs:
        try:
            with open(os.path.join(root, relative), "rb") as handle:
                # A file without tags is only sniffed; one with tags read whole, as
                # big as the stat said (a larger buffer costs an allocation and a copy).
                read_more = has_tags(language)
                source = handle.read(size + 1 if read_more else BINARY_SNIFF_BYTES)
                if b"\0" in source[:BINARY_SNIFF_BYTES]:
                    results.append((relative, BINARY))
                    continue
                if language == PLAIN_TEXT and "." not in relative.rsplit("/", 1)[-1]:
                    # A script without an extension: its shebang line names the language.
                    first = source[:200].split(b"\n", 1)[0].decode("utf-8", "replace")
                    language = detect_language(relative, first)
                    read_more = has_tags(language)  # then it is read whole
                elif read_more:
                    read_more = len(source) > size  # grown since the stat
                if read_more:
                    source += handle.read(max_file_bytes + 1 - len(source))
        except OSError:
            results.append((relative, GONE))  # gone (or unreadable) since it was listed
            continue
        if len(source) > max_file_bytes:
            results.append((relative, TOO_LARGE))
            continue
        results.append(parse_source(relative, language, source))
    return results


def chunked(jobs: list[Job]) -> list[list[Job]]:
    chunks: list[list[Job]] = []
    current: list[Job] = []
    size = 0
    for job in jobs:
        current.append(job)
        size += job[2]
        if len(current) >= CHUNK_FILES or size >= CHUNK_BYTES:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the build and the
    # workers with it, without a traceback from each of them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def parsed_chunks(root: str, jobs: list[Job], max_file_bytes: int) -> Iterator[tuple[int, list[Result]]]:
    """(jobs in the chunk, its results), chunk by chunk as they are parsed (in no
    fixed order). Closing the generator early (a cancel, an interrupt) stops the
    workers."""
    chunks = chunked(jobs)
    if len(jobs) < PARALLEL_THRESHOLD:
        for chunk in chunks:
            yield len(chunk), marshal.loads(read_and_parse(root, chunk, max_file_bytes))
        return
    done: set[int] = set()  # chunks yielded
    try:
        # spawn, not fork: the caller may hold threads (an editor server, a model).
        # A script that builds an index needs the `if __name__ == "__main__":` guard.
        with children_without_working_directory():  # the pool's resource tracker process starts here
            pool = ProcessPoolExecutor(
                max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
            )
    except (OSError, RuntimeError, NotImplementedError):
        pool = None
    if pool is not None:
        pending: dict = {}  # future -> its chunk's number
        submitted = 0
        try:
            while len(done) < len(chunks):
                while submitted < len(chunks) and len(pending) < WORKERS * IN_FLIGHT_PER_WORKER:
                    with children_without_working_directory():
                        pending[pool.submit(read_and_parse, root, chunks[submitted], max_file_bytes)] = submitted
                    submitted += 1
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=pending.get):
                    number = pending.pop(future)
                    results = marshal.loads(future.result())
                    done.add(number)
                    yield len(chunks[number]), results
        except (BrokenProcessPool, OSError, RuntimeError):
            pass  # no worker processes here (a sandbox, an unguarded script): go on in this process
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    for number, chunk in enumerate(chunks):
        if number not in done:
            yield len(chunk), marshal.loads(read_and_parse(root, chunk, max_file_bytes))
